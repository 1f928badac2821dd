//! kiln: neural networks declared with `network!`, shape-checked, compiled and differentiated
//! at compile time. `use kiln::prelude::*;` brings in everything a model declaration and a
//! training loop need.

pub use kiln_macros::network;
pub use kiln_runtime as runtime;

pub mod checkpoint;
pub mod data;
pub mod train;

/// Everything a model declaration and a training loop need.
pub mod prelude {
    pub use kiln_macros::network;
    pub use kiln_runtime::activation::Activation;
    pub use kiln_runtime::gradcheck::{gradcheck, GradcheckConfig, GradcheckReport};
    pub use kiln_runtime::init::Init;
    pub use kiln_runtime::loss::Loss;
    pub use kiln_runtime::network::{Network, WithGrads};
    pub use kiln_runtime::optim::Optimizer;
    pub use kiln_runtime::rng::{seeded, KilnRng};
    pub use kiln_runtime::{Float, KilnError, Param, ParamKind, ParamSet, Result};
}
