//! kiln: neural networks declared with `network!`, shape-checked, compiled and differentiated
//! at compile time. `use kiln::prelude::*;` brings in everything a model declaration and a
//! training loop need.

#![cfg_attr(not(feature = "std"), no_std)]

pub use kiln_macros::network;
pub use kiln_runtime as runtime;
pub use kiln_runtime::{Float, KilnError};

#[cfg(feature = "std")]
mod atomic_write;
#[cfg(feature = "std")]
pub mod checkpoint;
#[cfg(feature = "std")]
pub mod data;
#[cfg(feature = "std")]
pub mod train;

/// The standard library, for code `network!` generates (a `no_std` crate using kiln with
/// `std` has no `::std` path of its own).
#[cfg(feature = "std")]
#[doc(hidden)]
pub extern crate std as __std_lib;

/// Whether kiln was built with its `std` feature (the default).
pub const HAS_STD: bool = cfg!(feature = "std");

/// Passes its tokens through when kiln has `std` (the default); drops them otherwise.
/// `network!` wraps the heap-backed network and its training code in it, so a `no_std`
/// crate gets only the embedded form.
#[cfg(feature = "std")]
#[doc(hidden)]
#[macro_export]
macro_rules! __std {
    ($($t:tt)*) => { $($t)* };
}

/// Passes its tokens through when kiln has `std` (the default); drops them otherwise.
#[cfg(not(feature = "std"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __std {
    ($($t:tt)*) => {};
}

/// Everything a model declaration and a training loop need.
pub mod prelude {
    pub use kiln_macros::network;
    pub use kiln_runtime::activation::Activation;
    #[cfg(feature = "std")]
    pub use kiln_runtime::gradcheck::{gradcheck, GradcheckConfig, GradcheckReport};
    #[cfg(feature = "std")]
    pub use kiln_runtime::init::Init;
    #[cfg(feature = "std")]
    pub use kiln_runtime::loss::Loss;
    #[cfg(feature = "std")]
    pub use kiln_runtime::network::{Network, WithGrads};
    #[cfg(feature = "std")]
    pub use kiln_runtime::optim::Optimizer;
    #[cfg(feature = "std")]
    pub use kiln_runtime::rng::{seeded, KilnRng};
    pub use kiln_runtime::{Float, KilnError, Result};
    #[cfg(feature = "std")]
    pub use kiln_runtime::{Param, ParamKind, ParamSet};
}
