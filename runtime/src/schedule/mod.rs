//! Learning-rate schedules: the learning rate for step `k` as a pure function of `k`, so a
//! schedule needs no state, can be shared across threads and resumes from any step.
//!
//! | kiln | formula | PyTorch |
//! |---|---|---|
//! | [`StepDecay`] | piecewise constant | `StepLR` |
//! | [`MultiStep`] | piecewise constant | `MultiStepLR` |
//! | [`InverseTime`] | `a0 / (1 + beta k)` | `LambdaLR` |
//! | [`Exponential`] | `a0 gamma^k` | `ExponentialLR` |
//! | [`ExponentialExp`] | `a0 exp(-beta k)` | `LambdaLR` |
//! | [`Cosine`] | `a0/2 (1 + cos(k pi / K))` | `CosineAnnealingLR` (up to `K`) |
//! | [`Warmup`] | `k / K_w a0`, then any decay | `LinearLR` + `SequentialLR` |
//! | [`Triangular`] | triangular cyclic (Smith, 2017) | `CyclicLR(mode="triangular")` |
//! | [`Sgdr`] | cosine with warm restarts (Loshchilov and Hutter, 2017) | `CosineAnnealingWarmRestarts` |
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

/// A learning-rate schedule: the rate for each optimiser step, as a function of the step.
///
/// ```
/// use kiln_runtime::optim::{Optimizer, Sgd};
/// use kiln_runtime::schedule::{self, LrSchedule, StepDecay, Warmup};
///
/// // Halve the rate every 10 steps, starting from 0.1.
/// let decay = StepDecay::new(0.1, 10, 0.5).unwrap();
/// assert_eq!(decay.lr_at(0), 0.1);
/// assert_eq!(decay.lr_at(9), 0.1);
/// assert_eq!(decay.lr_at(10), 0.05);
/// assert_eq!(decay.lr_at(25), 0.025);
///
/// // The same after a linear warm-up from 0 over 4 steps.
/// let sched = Warmup::new(4, decay).unwrap();
/// assert_eq!(sched.lr_at(0), 0.0);
/// assert_eq!(sched.lr_at(2), 0.05);
/// assert_eq!(sched.lr_at(4), 0.1);
///
/// // Before each step, set the optimiser's rate for that step.
/// let mut opt = Sgd::<f32>::new(0.1).unwrap();
/// let lr = schedule::apply(&sched, &mut opt, 3).unwrap();
/// assert!((lr - 0.075).abs() < 1e-15);
/// assert_eq!(opt.learning_rate(), lr);
///
/// // Invalid settings are refused when the schedule is built.
/// assert!(StepDecay::new(0.1, 0, 0.5).is_err());
/// ```
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
