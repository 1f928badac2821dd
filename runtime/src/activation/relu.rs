//! Rectified linear unit `max(x, 0)`.
//!
//! Derivative 1 for `x > 0` and 0 otherwise, so `f'(0) = 0`, as PyTorch's autograd (which
//! reads the output: `grad` where `y > 0`). Like PyTorch, a NaN output passes the gradient
//! through and a NaN input stays NaN in the forward pass.

use super::fast_math::FastFloat;
use super::{map_backward, map_forward, map_forward_bias, Elementwise};
use crate::error::Result;
use crate::float::Float;

pub(crate) struct Relu;

impl Elementwise for Relu {
    fn needs_input(&self) -> bool {
        false
    }
    #[inline(always)]
    fn value<L: FastFloat>(&self, x: L) -> L {
        if x < L::ZERO {
            L::ZERO
        } else {
            x
        }
    }
    #[inline(always)]
    fn grad<L: FastFloat>(&self, y: L, d: L) -> L {
        if y <= L::ZERO {
            L::ZERO
        } else {
            d
        }
    }
}

/// `x = max(x, 0)` in place.
pub fn forward<T: Float>(x: &mut [T]) {
    map_forward(&Relu, x)
}

/// `rows = max(rows + bias, 0)` per row of the row-major `[n, bias.len()]` block.
pub fn forward_bias<T: Float>(rows: &mut [T], bias: &[T]) -> Result<()> {
    map_forward_bias(&Relu, rows, bias)
}

/// `d = 0` where the output `y <= 0` (so at `x = 0` too), unchanged elsewhere.
pub fn backward<T: Float>(y: &[T], d: &mut [T]) -> Result<()> {
    map_backward(&Relu, y, d)
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use super::super::Activation;
    use super::*;

    #[test]
    fn hand_values_and_kink() {
        let mut x = [-2.0f32, -0.0, 0.0, 1.5, f32::NAN];
        forward(&mut x);
        assert_eq!(&x[..4], &[0.0, 0.0, 0.0, 1.5]);
        assert!(x[4].is_nan());
        // tools/reference/activations.py: relu'(0) = 0.0 in PyTorch.
        assert_eq!(derivative(Activation::Relu, 0.0), 0.0);
        assert_eq!(derivative(Activation::Relu, 1e-300), 1.0);
        assert_eq!(derivative(Activation::Relu, -3.0), 0.0);
        // A NaN gradient is zeroed where the unit is off (PyTorch's `where`, not a product).
        let mut d = [f64::NAN, 2.0];
        backward(&[0.0, f64::NAN], &mut d).unwrap();
        assert_eq!(d[0], 0.0);
        assert_eq!(d[1], 2.0);
    }

    #[test]
    fn derivative_matches_finite_differences() {
        check_finite_differences(Activation::Relu, &[-3.0, -0.5, 0.5, 4.0]);
    }
}
