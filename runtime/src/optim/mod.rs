//! Optimisers that update any [`ParamSet`] in place, with PyTorch 2.x's update rules,
//! hyper-parameter names and defaults, so settings and checkpoints carry over both ways.
//!
//! | kiln | PyTorch |
//! |---|---|
//! | [`Sgd`] (plain, momentum + dampening, Nesterov) | `torch.optim.SGD` |
//! | [`Adagrad`] | `torch.optim.Adagrad` |
//! | [`RmsProp`] (optionally centred, with momentum) | `torch.optim.RMSprop` |
//! | [`Adadelta`] | `torch.optim.Adadelta` |
//! | [`Adam`] (optionally AMSGrad, L2 or decoupled decay) | `torch.optim.Adam` |
//! | [`AdamW`] | `torch.optim.AdamW` |
//! | [`NAdam`] (L2 or decoupled decay) | `torch.optim.NAdam` |
//!
//! Every optimiser is built with `new(lr)` and builder methods that validate their argument and
//! return [`Result`], e.g. `Sgd::new(0.1)?.momentum(0.9)?.nesterov(true)?`. Hyper-parameters
//! PyTorch leaves unchecked but that can only diverge (a momentum or decay rate >= 1, an `eps`
//! of zero) are rejected as well; each builder documents its range.
//!
//! # Weight decay
//! `weight_decay(wd)` is PyTorch's L2 decay, `wd * p` added to the gradient before anything
//! else (the notes' `+lambda W`, [FF Alg 5.1]). [`Sgd`], [`Adam`] and [`NAdam`] also offer
//! `decoupled_weight_decay(true)`: AdamW-style `p *= 1 - lr * wd` before the update (PyTorch
//! has this for Adam and NAdam; for SGD kiln applies the same rule). [`AdamW`] always decouples.
//!
//! Decay applies to every parameter by default, as in PyTorch. The notes' regularised objective
//! `L + lambda/2 sum ||W||^2` decays weights only, never biases: that is one call,
//! `.decay_only(ParamKind::Weight)` (see [`KindSet`]); in PyTorch it takes a second parameter
//! group with `weight_decay=0`.
//!
//! # State
//! Per-parameter state (moments, accumulators) is created on the first [`Optimizer::step`] (or
//! by [`Optimizer::init_state`]) and keyed by visit order, so a set that later yields a
//! different number of tensors or different lengths is [`KilnError::ParameterSetChanged`].
//! Elementwise arithmetic runs in `T`, like PyTorch's in the parameter's dtype; per-step
//! scalars (bias corrections, step sizes) are computed in `f64` and rounded to `T` once, as
//! PyTorch computes them as Python floats.

mod adadelta;
mod adagrad;
mod adam;
mod adamw;
pub mod clip;
mod decay;
mod nadam;
mod rmsprop;
mod sgd;
mod split;
mod state;

#[cfg(test)]
mod reference_tests;
#[cfg(test)]
#[rustfmt::skip]
mod reference_values;

pub use adadelta::Adadelta;
pub use adagrad::Adagrad;
pub use adam::Adam;
pub use adamw::AdamW;
pub use clip::{clip_grad_norm, clip_grad_value};
pub use decay::KindSet;
pub use nadam::NAdam;
pub use rmsprop::RmsProp;
pub use sgd::Sgd;

use crate::error::{check_hyper, Result};
use crate::float::Float;
use crate::param::ParamSet;

#[cfg(doc)]
use crate::{error::KilnError, param::ParamKind};

/// A first-order optimiser: updates every parameter of a [`ParamSet`] from its gradient.
pub trait Optimizer<T: Float> {
    /// One update of every parameter the set yields. State is created on the first step and
    /// keyed by visit order; a later step whose set has a different count or lengths is
    /// [`KilnError::ParameterSetChanged`], and a gradient whose length differs from its
    /// parameter's is [`KilnError::LengthMismatch`]. Nothing is modified when an error is
    /// returned.
    fn step(&mut self, params: &mut dyn ParamSet<T>) -> Result<()>;

    /// The learning rate the next step will use.
    fn learning_rate(&self) -> f64;

    /// Sets the learning rate for the following steps (schedules call this every step).
    /// Errors if `lr` is negative or not finite.
    fn set_learning_rate(&mut self, lr: f64) -> Result<()>;

    /// Number of steps taken (PyTorch's `state["step"]`).
    fn steps(&self) -> u64;

    /// Overwrites the step count, for restoring a checkpoint.
    fn set_steps(&mut self, steps: u64);

    /// Creates the state for `params` without updating them (no-op if it already exists and
    /// matches), so a checkpoint can be restored through [`Optimizer::visit_state`] before
    /// the first step.
    fn init_state(&mut self, params: &mut dyn ParamSet<T>) -> Result<()>;

    /// Visits every state tensor mutably, in a fixed order, with a stable name
    /// `"{parameter index}.{PyTorch state key}"`, e.g. `"0.exp_avg"`. Visits nothing before
    /// the state exists.
    fn visit_state(&mut self, f: &mut dyn FnMut(&str, &mut [T]));

    /// Visits the optimiser's scalar state other than the step count (e.g. NAdam's
    /// `"mu_product"`), for checkpoints. Most optimisers have none.
    fn visit_scalars(&mut self, _f: &mut dyn FnMut(&str, &mut f64)) {}
}

/// Checks a learning rate: `>= 0` (zero is allowed, as in PyTorch) and finite in the
/// network's float type `T` (1e39 is finite in f64 but infinite in f32, and would make every
/// updated parameter infinite).
pub(crate) fn check_lr<T: Float>(lr: f64) -> Result<()> {
    check_hyper(
        "learning rate",
        lr,
        lr >= 0.0 && T::from_f64(lr).is_finite(),
        "must be >= 0 and finite in the network's float type (f32 ends at 3.4e38)",
    )
}

/// Checks an `eps` added to a denominator: finite and `> 0` (PyTorch also accepts 0).
pub(crate) fn check_eps(eps: f64) -> Result<()> {
    check_hyper("eps", eps, eps > 0.0, "must be finite and > 0")
}

/// Checks a decay rate or momentum coefficient that must lie in `[0, 1)`.
pub(crate) fn check_unit(what: &'static str, v: f64) -> Result<()> {
    check_hyper(what, v, (0.0..1.0).contains(&v), "must be in [0, 1)")
}

/// PyTorch's `torch.lerp(a, b, w)`, with its two-branch formula so results round the same way.
#[inline(always)]
pub(crate) fn lerp<T: Float>(a: T, b: T, w: T) -> T {
    if w.abs() < T::from_f64(0.5) {
        a + w * (b - a)
    } else {
        b - (b - a) * (T::ONE - w)
    }
}
