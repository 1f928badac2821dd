//! Hard tanh `max(min(x, 1), -1)`.
//!
//! Derivative 1 on the open interval `(-1, 1)` and 0 elsewhere, including at `+-1`, as
//! PyTorch's autograd. Since `y = x` inside the interval and `y = +-1` outside, the output
//! alone decides it, so backward reads `y`.

use super::fast_math::FastFloat;
use super::{map_backward, map_forward, map_forward_bias, Elementwise};
use crate::error::Result;
use crate::float::Float;

pub(crate) struct HardTanh;

impl Elementwise for HardTanh {
    fn needs_input(&self) -> bool {
        false
    }
    #[inline(always)]
    fn value<L: FastFloat>(&self, x: L) -> L {
        if x > L::ONE {
            L::ONE
        } else if x < -L::ONE {
            -L::ONE
        } else {
            x
        }
    }
    /// PyTorch: `grad` unless `y <= -1 || y >= 1` (a NaN output passes the gradient).
    #[inline(always)]
    fn grad<L: FastFloat>(&self, y: L, d: L) -> L {
        if y <= -L::ONE || y >= L::ONE {
            L::ZERO
        } else {
            d
        }
    }
}

/// `x = max(min(x, 1), -1)` in place.
pub fn forward<T: Float>(x: &mut [T]) {
    map_forward(&HardTanh, x)
}

/// `rows = hardtanh(rows + bias)` per row of the row-major `[n, bias.len()]` block.
pub fn forward_bias<T: Float>(rows: &mut [T], bias: &[T]) -> Result<()> {
    map_forward_bias(&HardTanh, rows, bias)
}

/// `d = 0` where the output is `+-1`, unchanged elsewhere.
pub fn backward<T: Float>(y: &[T], d: &mut [T]) -> Result<()> {
    map_backward(&HardTanh, y, d)
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use super::super::Activation;
    use super::*;

    #[test]
    fn hand_values_and_kinks() {
        let mut x = [-3.0f64, -1.0, -0.25, 0.0, 0.999, 1.0, 8.0];
        forward(&mut x);
        assert_eq!(x, [-1.0, -1.0, -0.25, 0.0, 0.999, 1.0, 1.0]);
        let a = Activation::HardTanh;
        // tools/reference/activations.py: hardtanh'(1) = hardtanh'(-1) = 0.0 in PyTorch.
        assert_eq!(derivative(a, 1.0), 0.0);
        assert_eq!(derivative(a, -1.0), 0.0);
        assert_eq!(derivative(a, 0.999), 1.0);
        assert_eq!(derivative(a, -5.0), 0.0);
        assert!(value32(a, f32::NAN).is_nan());
    }

    #[test]
    fn derivative_matches_finite_differences() {
        check_finite_differences(Activation::HardTanh, &[-2.0, -0.9, 0.0, 0.5, 1.5]);
    }
}
