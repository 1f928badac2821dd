//! Logistic sigmoid `1 / (1 + e^-x)`; its derivative `y (1 - y)` needs only the output.

use super::fast_math::FastFloat;
use super::{map_backward, map_forward, map_forward_bias, Elementwise};
use crate::error::Result;
use crate::float::Float;

pub(crate) struct Sigmoid;

impl Elementwise for Sigmoid {
    fn needs_input(&self) -> bool {
        false
    }
    #[inline(always)]
    fn value<L: FastFloat>(&self, x: L) -> L {
        x.fast_sigmoid()
    }
    #[inline(always)]
    fn grad<L: FastFloat>(&self, y: L, d: L) -> L {
        d * (y * (L::ONE - y))
    }
}

/// `x = sigmoid(x)` in place.
pub fn forward<T: Float>(x: &mut [T]) {
    map_forward(&Sigmoid, x)
}

/// `rows = sigmoid(rows + bias)` per row of the row-major `[n, bias.len()]` block.
pub fn forward_bias<T: Float>(rows: &mut [T], bias: &[T]) -> Result<()> {
    map_forward_bias(&Sigmoid, rows, bias)
}

/// `d *= y (1 - y)` given the output `y = sigmoid(x)`.
pub fn backward<T: Float>(y: &[T], d: &mut [T]) -> Result<()> {
    map_backward(&Sigmoid, y, d)
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use super::super::Activation;
    use super::*;

    #[test]
    fn hand_values() {
        let a = Activation::Sigmoid;
        assert_eq!(value(a, 0.0), 0.5);
        assert_eq!(derivative(a, 0.0), 0.25);
        assert!((value(a, 2.0) - 0.880_797_077_977_882_3).abs() < 1e-15);
        assert!((value(a, -2.0) - 0.119_202_922_022_117_57).abs() < 1e-15);
        // The worked example: f = sigmoid(w x + b) at x = 1, w = 0, b = 0 gives df/dw = 0.25.
        let (x, w, b) = (1.0f64, 0.0, 0.0);
        let mut z = [w * x + b];
        forward(&mut z);
        let mut d = [1.0];
        backward(&z, &mut d).unwrap();
        assert_eq!(d[0] * x, 0.25);
        assert_eq!(value32(a, 0.0), 0.5);
    }

    #[test]
    fn derivative_matches_finite_differences() {
        check_finite_differences(Activation::Sigmoid, &[-6.0, -1.3, -0.2, 0.0, 0.7, 3.1, 9.0]);
    }

    #[test]
    fn module_functions_check_lengths() {
        assert!(backward(&[0.5f32; 2], &mut [1.0; 3]).is_err());
        assert!(forward_bias(&mut [0.0f64; 4], &[0.0; 3]).is_err());
        let mut r = [0.0f64, 1.0];
        forward_bias(&mut r, &[1.0]).unwrap();
        assert!((r[1] - 0.880_797_077_977_882_3).abs() < 1e-15);
    }
}
