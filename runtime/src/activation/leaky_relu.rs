//! Leaky ReLU: `x` for `x > 0`, `slope * x` otherwise (PyTorch default slope 0.01).
//!
//! `f'(0) = slope`, as PyTorch (its autograd tests `x > 0`). For `slope >= 0` the sign of the
//! output equals the sign of the input, so backward reads only `y`; a negative slope needs `x`.

use super::fast_math::FastFloat;
use super::{map_backward, map_forward, map_forward_bias, Elementwise};
use crate::error::{check_hyper, Result};
use crate::float::Float;

pub(crate) struct LeakyRelu {
    slope: f64,
}

impl LeakyRelu {
    pub(crate) fn new(slope: f64) -> Self {
        LeakyRelu { slope }
    }
    fn checked(slope: f64) -> Result<Self> {
        check_hyper("leaky ReLU slope", slope, true, "must be finite")?;
        Ok(LeakyRelu { slope })
    }
}

impl Elementwise for LeakyRelu {
    fn needs_input(&self) -> bool {
        // Also true for a NaN slope: then only x is trustworthy.
        self.slope.is_nan() || self.slope < 0.0
    }
    #[inline(always)]
    fn value<L: FastFloat>(&self, x: L) -> L {
        if x > L::ZERO {
            x
        } else {
            x * L::from_f64(self.slope)
        }
    }
    /// Same rule from `x` or, for `slope >= 0`, from `y` (`y > 0` exactly when `x > 0`).
    #[inline(always)]
    fn grad<L: FastFloat>(&self, xy: L, d: L) -> L {
        if xy > L::ZERO {
            d
        } else {
            d * L::from_f64(self.slope)
        }
    }
}

/// `x = leaky_relu(x)` in place; error if `slope` is not finite.
pub fn forward<T: Float>(x: &mut [T], slope: f64) -> Result<()> {
    map_forward(&LeakyRelu::checked(slope)?, x);
    Ok(())
}

/// `rows = leaky_relu(rows + bias)` per row of the row-major `[n, bias.len()]` block.
pub fn forward_bias<T: Float>(rows: &mut [T], bias: &[T], slope: f64) -> Result<()> {
    map_forward_bias(&LeakyRelu::checked(slope)?, rows, bias)
}

/// `d *= f'`; `xy` is the output `y` when `slope >= 0`, else the input `x`.
pub fn backward<T: Float>(xy: &[T], d: &mut [T], slope: f64) -> Result<()> {
    map_backward(&LeakyRelu::checked(slope)?, xy, d)
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use super::super::Activation;
    use super::*;

    #[test]
    fn hand_values_and_kink() {
        let a = Activation::LEAKY_RELU;
        assert!(!a.needs_input());
        assert_eq!(value(a, -2.0), -0.02);
        assert_eq!(value(a, 3.0), 3.0);
        // tools/reference/activations.py: leaky_relu'(0) = 0.01 in PyTorch.
        assert_eq!(derivative(a, 0.0), 0.01);
        assert_eq!(derivative(a, -5.0), 0.01);
        assert_eq!(derivative(a, 1e-30), 1.0);
        let neg = Activation::LeakyRelu { slope: -0.5 };
        assert!(neg.needs_input());
        assert_eq!(value(neg, -2.0), 1.0);
        assert_eq!(derivative(neg, -2.0), -0.5);
        assert_eq!(derivative(neg, 2.0), 1.0);
    }

    #[test]
    fn derivative_matches_finite_differences() {
        check_finite_differences(Activation::LEAKY_RELU, &[-3.0, -0.5, 0.5, 4.0]);
        check_finite_differences(Activation::LeakyRelu { slope: 0.3 }, &[-3.0, 2.0]);
    }

    #[test]
    fn module_functions_check_slope() {
        let mut x = [-1.0f32, 2.0];
        assert!(forward(&mut x, f64::NAN).is_err());
        forward(&mut x, 0.25).unwrap();
        assert_eq!(x, [-0.25, 2.0]);
        let mut d = [1.0f32, 1.0];
        backward(&x, &mut d, 0.25).unwrap();
        assert_eq!(d, [0.25, 1.0]);
    }
}
