//! Hard sigmoid in two forms, which differ in slope.
//!
//! - [`super::Activation::HardSigmoid`]: `max(min(x/4 + 1/2, 1), 0)`, the logistic sigmoid's
//!   tangent at 0 clipped to `[0, 1]` (as in Gulcehre et al., 2016), slope 1/4, flat outside
//!   `[-2, 2]`.
//! - [`super::Activation::HardSigmoidTorch`]: PyTorch's `nn.Hardsigmoid`, `max(min(x + 3, 6), 0) / 6`, slope 1/6,
//!   flat outside `[-3, 3]`.
//!
//! At the kinks the derivative is 0, as PyTorch's autograd (`grad` only on the open interval).
//! Backward reads `x`, like PyTorch. (PyTorch's float64 derivative is `1/6` rounded to f32,
//! 0.1666666716; kiln uses `1/6` in the element type.)

use super::fast_math::FastFloat;
use super::{map_backward, map_forward, map_forward_bias, Elementwise};
use crate::error::Result;
use crate::float::Float;

/// The hard sigmoid with the logistic's slope at 0, 1/4.
pub(crate) struct HardSigmoid;
/// PyTorch's hard sigmoid, slope 1/6.
pub(crate) struct HardSigmoidTorch;

/// `lo` below, `hi` above, `x` between; NaN stays NaN.
#[inline(always)]
fn clamp<L: FastFloat>(x: L, lo: L, hi: L) -> L {
    if x < lo {
        lo
    } else if x > hi {
        hi
    } else {
        x
    }
}

impl Elementwise for HardSigmoid {
    fn needs_input(&self) -> bool {
        true
    }
    #[inline(always)]
    fn value<L: FastFloat>(&self, x: L) -> L {
        clamp(x * L::from_f64(0.25) + L::from_f64(0.5), L::ZERO, L::ONE)
    }
    #[inline(always)]
    fn grad<L: FastFloat>(&self, x: L, d: L) -> L {
        let two = L::from_f64(2.0);
        if x > -two && x < two {
            d * L::from_f64(0.25)
        } else {
            L::ZERO
        }
    }
}

impl Elementwise for HardSigmoidTorch {
    fn needs_input(&self) -> bool {
        true
    }
    #[inline(always)]
    fn value<L: FastFloat>(&self, x: L) -> L {
        clamp(x + L::from_f64(3.0), L::ZERO, L::from_f64(6.0)) / L::from_f64(6.0)
    }
    #[inline(always)]
    fn grad<L: FastFloat>(&self, x: L, d: L) -> L {
        let three = L::from_f64(3.0);
        if x > -three && x < three {
            d * (L::ONE / L::from_f64(6.0))
        } else {
            L::ZERO
        }
    }
}

/// `x = max(min(x/4 + 1/2, 1), 0)` (slope 1/4) in place.
pub fn forward<T: Float>(x: &mut [T]) {
    map_forward(&HardSigmoid, x)
}

/// The slope-1/4 hard sigmoid of `rows + bias` per row of the `[n, bias.len()]` block.
pub fn forward_bias<T: Float>(rows: &mut [T], bias: &[T]) -> Result<()> {
    map_forward_bias(&HardSigmoid, rows, bias)
}

/// `d *= 1/4` where `-2 < x < 2`, else `d = 0`, given the pre-activation `x`.
pub fn backward<T: Float>(x: &[T], d: &mut [T]) -> Result<()> {
    map_backward(&HardSigmoid, x, d)
}

/// `x = max(min(x + 3, 6), 0) / 6` (PyTorch's `nn.Hardsigmoid`) in place.
pub fn forward_torch<T: Float>(x: &mut [T]) {
    map_forward(&HardSigmoidTorch, x)
}

/// PyTorch's hard sigmoid of `rows + bias` per row of the `[n, bias.len()]` block.
pub fn forward_bias_torch<T: Float>(rows: &mut [T], bias: &[T]) -> Result<()> {
    map_forward_bias(&HardSigmoidTorch, rows, bias)
}

/// `d *= 1/6` where `-3 < x < 3`, else `d = 0`, given the pre-activation `x`.
pub fn backward_torch<T: Float>(x: &[T], d: &mut [T]) -> Result<()> {
    map_backward(&HardSigmoidTorch, x, d)
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use super::super::Activation;
    use super::*;

    // From tools/reference/activations.py (PyTorch 2.15, float64), at these inputs.
    const XS: [f64; 6] = [-3.0, -1.5, -0.5, 0.25, 1.0, 2.5];
    const HARDSIGMOID_TORCH: [f64; 6] = [
        0.0,
        0.25,
        0.4166666666666667,
        0.5416666666666666,
        0.6666666666666666,
        0.9166666666666666,
    ];
    const HARDSIGMOID_TORCH_GRAD: [f64; 6] = [
        0.0,
        0.1666666716337204,
        0.1666666716337204,
        0.1666666716337204,
        0.1666666716337204,
        0.1666666716337204,
    ];

    #[test]
    fn torch_form_matches_pytorch() {
        let a = Activation::HardSigmoidTorch;
        let y: Vec<f64> = XS.iter().map(|&x| value(a, x)).collect();
        assert_close("hardsigmoid", &y, &HARDSIGMOID_TORCH, 1e-16);
        let g: Vec<f64> = XS.iter().map(|&x| derivative(a, x)).collect();
        // PyTorch's f64 slope is 1/6 rounded to f32 (5e-9 off); kiln's is 1/6 exactly.
        assert_close("hardsigmoid'", &g, &HARDSIGMOID_TORCH_GRAD, 1e-8);
        assert_eq!(derivative(a, 0.0), 1.0 / 6.0);
        // PyTorch: hardsigmoid'(3) = hardsigmoid'(-3) = 0.
        assert_eq!(derivative(a, 3.0), 0.0);
        assert_eq!(derivative(a, -3.0), 0.0);
        let mut x = [3.0f32, -1.5];
        forward_torch(&mut x);
        assert_eq!(x, [1.0, 0.25]);
    }

    #[test]
    fn quarter_slope_form_hand_values() {
        let a = Activation::HardSigmoid;
        assert_eq!(value(a, 0.0), 0.5);
        assert_eq!(value(a, 1.0), 0.75);
        assert_eq!(value(a, -1.0), 0.25);
        assert_eq!(value(a, 2.0), 1.0);
        assert_eq!(value(a, 7.0), 1.0);
        assert_eq!(value(a, -2.5), 0.0);
        assert_eq!(derivative(a, 0.5), 0.25);
        assert_eq!(derivative(a, 2.0), 0.0);
        assert_eq!(derivative(a, -2.0), 0.0);
        assert_eq!(derivative(a, -1.999), 0.25);
        let mut d = [1.0f32, 1.0];
        backward(&[1.0f32, 5.0], &mut d).unwrap();
        assert_eq!(d, [0.25, 0.0]);
    }

    #[test]
    fn derivative_matches_finite_differences() {
        check_finite_differences(Activation::HardSigmoid, &[-3.0, -1.0, 0.5, 1.9, 2.5]);
        check_finite_differences(Activation::HardSigmoidTorch, &[-4.0, -2.9, 0.5, 2.5, 3.5]);
    }
}
