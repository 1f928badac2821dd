//! Hyperbolic tangent; its derivative `1 - y^2` needs only the output.

use super::fast_math::FastFloat;
use super::{map_backward, map_forward, map_forward_bias, Elementwise};
use crate::error::Result;
use crate::float::Float;

pub(crate) struct Tanh;

impl Elementwise for Tanh {
    fn needs_input(&self) -> bool {
        false
    }
    #[inline(always)]
    fn value<L: FastFloat>(&self, x: L) -> L {
        x.fast_tanh()
    }
    #[inline(always)]
    fn grad<L: FastFloat>(&self, y: L, d: L) -> L {
        d * (L::ONE - y * y)
    }
}

/// `x = tanh(x)` in place.
pub fn forward<T: Float>(x: &mut [T]) {
    map_forward(&Tanh, x)
}

/// `rows = tanh(rows + bias)` per row of the row-major `[n, bias.len()]` block.
pub fn forward_bias<T: Float>(rows: &mut [T], bias: &[T]) -> Result<()> {
    map_forward_bias(&Tanh, rows, bias)
}

/// `d *= 1 - y^2` given the output `y = tanh(x)`.
pub fn backward<T: Float>(y: &[T], d: &mut [T]) -> Result<()> {
    map_backward(&Tanh, y, d)
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use super::super::Activation;
    use super::*;

    #[test]
    fn hand_values() {
        let a = Activation::Tanh;
        assert_eq!(value(a, 0.0), 0.0);
        assert_eq!(derivative(a, 0.0), 1.0);
        // tanh(0.5) = (e - 1)/(e + 1) with e = e^1.
        let e = core::f64::consts::E;
        let t = (e - 1.0) / (e + 1.0);
        assert!((value(a, 0.5) - t).abs() < 1e-15);
        assert!((derivative(a, 0.5) - (1.0 - t * t)).abs() < 1e-15);
        assert_eq!(value(a, -30.0), -1.0);
        let mut y = [0.5f32];
        forward(&mut y);
        assert!((y[0] - 0.462_117_16).abs() < 1e-7);
    }

    #[test]
    fn derivative_matches_finite_differences() {
        check_finite_differences(Activation::Tanh, &[-4.0, -0.6, -0.1, 0.0, 0.3, 0.625, 2.2]);
    }
}
