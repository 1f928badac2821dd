//! kiln: neural networks declared with [`network!`], shape-checked, compiled and
//! differentiated at compile time. `use kiln::prelude::*;` brings in everything a model
//! declaration and a training loop need.
//!
//! ```
//! use kiln::prelude::*;
//! use kiln::runtime::optim::Sgd;
//!
//! network! {
//!     /// 8x8 digits -> 10 classes.
//!     pub struct Digits {
//!         input: [64],
//!         layers: [dense(32), relu, dense(10)],
//!         loss: softmax_cross_entropy,
//!     }
//! }
//!
//! let mut net = Digits::<f32>::new(&mut seeded(1));
//! let mut state = net.train_state(0);
//! let mut opt = Sgd::new(0.1)?;
//! let x = [[0.5f32; 64]; 4];
//! let loss = net.train_step(&x, &[1, 2, 3, 4], &mut opt, &mut state)?;
//! assert!(loss.is_finite());
//! # Ok::<(), kiln::KilnError>(())
//! ```
//!
//! Where to read on:
//! - [`dsl`]: the language reference (every layer, option, loss and block form, with its
//!   shape rule, PyTorch twin, tensor names and a compiled example);
//! - [`guide`]: a first model end to end, from PyTorch, sequences, embedding in `no_std`,
//!   your own layers and losses, performance;
//! - [`train::Fit`] (the training loop), [`data`] (loaders and data sets), [`checkpoint`]
//!   (safetensors with PyTorch's names), [`runtime`] (optimisers, schedules, losses, kernels).

#![cfg_attr(not(feature = "std"), no_std)]
#![deny(missing_docs)]

/// Declares a network; [`dsl`] is the language reference and [`guide`] the guides.
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
pub mod dsl;
#[cfg(feature = "std")]
pub mod guide;
#[cfg(feature = "mpi")]
pub mod mpi;
#[cfg(feature = "std")]
pub mod quantize;
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
    #[cfg(feature = "std")]
    pub use kiln_runtime::train_ctx::TrainCtx;
    pub use kiln_runtime::{Float, KilnError, Result};
    #[cfg(feature = "std")]
    pub use kiln_runtime::{Param, ParamKind, ParamSet};
}
