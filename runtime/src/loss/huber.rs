//! Huber loss (PyTorch's `nn.HuberLoss(delta)`) and smooth L1 (`nn.SmoothL1Loss(beta)`):
//! quadratic near the target, linear beyond, so outliers pull with a bounded force. Smooth L1
//! is Huber divided by its threshold.

use super::{elementwise, Loss, Reduction};
use crate::error::{check_hyper, Result};
use crate::float::Float;

/// Per element with `d = x - y`: `d^2 / 2` for `|d| <= delta`, else `delta (|d| - delta / 2)`;
/// gradient `d` or `delta sign(d)`. [`Reduction::Mean`] divides by the number of elements.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Huber {
    delta: f64,
    reduction: Reduction,
}

/// Per element with `d = x - y`: `d^2 / (2 beta)` for `|d| < beta`, else `|d| - beta / 2`;
/// gradient `d / beta` or `sign(d)`; `beta = 0` is the absolute error.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SmoothL1 {
    beta: f64,
    reduction: Reduction,
}

impl Huber {
    /// `delta` must be positive and finite.
    pub fn new(delta: f64, reduction: Reduction) -> Result<Self> {
        check_hyper(
            "Huber delta",
            delta,
            delta.is_finite() && delta > 0.0,
            "must be positive and finite",
        )?;
        Ok(Huber { delta, reduction })
    }
}

impl SmoothL1 {
    /// `beta` must be non-negative and finite.
    pub fn new(beta: f64, reduction: Reduction) -> Result<Self> {
        check_hyper(
            "smooth L1 beta",
            beta,
            beta.is_finite() && beta >= 0.0,
            "must be non-negative and finite",
        )?;
        Ok(SmoothL1 { beta, reduction })
    }
}

/// Huber with threshold `t`, both divided by `scale` (1 for Huber, `t` for smooth L1).
#[inline]
fn huber<T: Float>(x: T, y: T, t: T, scale: T) -> (T, T) {
    let d = x - y;
    let half = T::from_f64(0.5);
    if d.abs() < t {
        (half * d * d / scale, d / scale)
    } else {
        let s = if d > T::ZERO {
            T::ONE
        } else if d < T::ZERO {
            -T::ONE
        } else {
            d
        };
        (t * (d.abs() - half * t) / scale, t * s / scale)
    }
}

impl<T: Float> Loss<T> for Huber {
    super::masked_by_rows!();
    type Target = [T];

    fn loss_and_grad(&self, output: &[T], width: usize, target: &[T], grad: &mut [T]) -> Result<T> {
        let t = T::from_f64(self.delta);
        elementwise(output, width, target, Some(grad), self.reduction, |x, y| {
            huber(x, y, t, T::ONE)
        })
    }

    fn loss(&self, output: &[T], width: usize, target: &[T]) -> Result<T> {
        let t = T::from_f64(self.delta);
        elementwise(output, width, target, None, self.reduction, |x, y| {
            huber(x, y, t, T::ONE)
        })
    }

    super::mean_over_terms!(|_, width| width);
}

impl SmoothL1 {
    fn element<T: Float>(&self) -> impl Fn(T, T) -> (T, T) {
        let b = T::from_f64(self.beta);
        move |x, y| {
            if b == T::ZERO {
                let d = x - y;
                let s = if d > T::ZERO {
                    T::ONE
                } else if d < T::ZERO {
                    -T::ONE
                } else {
                    d
                };
                (d.abs(), s)
            } else {
                huber(x, y, b, b)
            }
        }
    }
}

impl<T: Float> Loss<T> for SmoothL1 {
    super::masked_by_rows!();
    type Target = [T];

    fn loss_and_grad(&self, output: &[T], width: usize, target: &[T], grad: &mut [T]) -> Result<T> {
        elementwise(
            output,
            width,
            target,
            Some(grad),
            self.reduction,
            self.element(),
        )
    }

    fn loss(&self, output: &[T], width: usize, target: &[T]) -> Result<T> {
        elementwise(output, width, target, None, self.reduction, self.element())
    }

    super::mean_over_terms!(|_, width| width);
}
