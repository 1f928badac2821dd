//! kiln: neural networks declared with `network!`, shape-checked, compiled and differentiated
//! at compile time. `use kiln::prelude::*;` brings in everything a model declaration needs.

pub use kiln_runtime as runtime;

/// Everything a model declaration and a training loop need.
pub mod prelude {
    pub use kiln_runtime::{Float, KilnError, Param, ParamKind, ParamSet, Result};
}
