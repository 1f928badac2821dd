//! Learning-rate schedules: the learning rate for step `k` as a pure function of `k`, so a
//! schedule needs no state, can be shared across threads and resumes from any step.
//!
//! | kiln | notes | PyTorch |
//! |---|---|---|
//! | [`StepDecay`] | piecewise constant | `StepLR` |
//! | [`MultiStep`] | piecewise constant | `MultiStepLR` |
//! | [`InverseTime`] | `a0 / (1 + beta k)` | `LambdaLR` |
//! | [`Exponential`] | `a0 gamma^k` | `ExponentialLR` |
//! | [`ExponentialExp`] | `a0 exp(-beta k)` | `LambdaLR` |
//! | [`Cosine`] | `a0/2 (1 + cos(k pi / K))` | `CosineAnnealingLR` (up to `K`) |
//! | [`Warmup`] | `k / K_w a0`, then any decay | `LinearLR` + `SequentialLR` |
//! | [`Triangular`] | triangular cyclic | `CyclicLR(mode="triangular")` |
//! | [`Sgdr`] | SGDR warm restarts | `CosineAnnealingWarmRestarts` |
//!
//! `k` counts optimiser steps from 0; [`apply`] sets an optimiser's learning rate for step `k`.
//! Every constructor validates its arguments and returns [`Result`].

mod cosine;
mod exponential;
mod exponential_exp;
mod inverse_time;
mod multi_step;
mod sgdr;
mod step_decay;
mod triangular;
mod warmup;

#[cfg(test)]
mod reference_tests;
#[cfg(test)]
#[rustfmt::skip]
mod reference_values;

pub use cosine::Cosine;
pub use exponential::Exponential;
pub use exponential_exp::ExponentialExp;
pub use inverse_time::InverseTime;
pub use multi_step::MultiStep;
pub use sgdr::Sgdr;
pub use step_decay::StepDecay;
pub use triangular::Triangular;
pub use warmup::Warmup;

use crate::error::{check_hyper, Result};
use crate::float::Float;
use crate::optim::Optimizer;

/// A learning-rate schedule.
pub trait LrSchedule: Send + Sync {
    /// The learning rate to use for step `k` (0-based).
    fn lr_at(&self, k: u64) -> f64;
}

impl<S: LrSchedule + ?Sized> LrSchedule for &S {
    fn lr_at(&self, k: u64) -> f64 {
        (**self).lr_at(k)
    }
}

impl<S: LrSchedule + ?Sized> LrSchedule for Box<S> {
    fn lr_at(&self, k: u64) -> f64 {
        (**self).lr_at(k)
    }
}

/// Sets `opt`'s learning rate to `sched.lr_at(k)` and returns it; call before step `k`.
/// Errors (leaving the optimiser unchanged) if the schedule yields an invalid learning rate.
pub fn apply<T, S, O>(sched: &S, opt: &mut O, k: u64) -> Result<f64>
where
    T: Float,
    S: LrSchedule + ?Sized,
    O: Optimizer<T> + ?Sized,
{
    let lr = sched.lr_at(k);
    opt.set_learning_rate(lr)?;
    Ok(lr)
}

/// Checks a learning rate given to a schedule: finite and `>= 0`.
pub(crate) fn check_rate(what: &'static str, lr: f64) -> Result<()> {
    check_hyper(what, lr, lr >= 0.0, "must be finite and >= 0")
}

/// Checks a step count that must be at least 1.
pub(crate) fn check_count(what: &'static str, n: u64) -> Result<()> {
    check_hyper(what, n as f64, n >= 1, "must be at least 1")
}

/// Checks a multiplicative decay factor: finite and `> 0`.
pub(crate) fn check_gamma(gamma: f64) -> Result<()> {
    check_hyper("gamma", gamma, gamma > 0.0, "must be finite and > 0")
}
