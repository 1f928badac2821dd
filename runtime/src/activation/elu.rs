//! ELU: `x` for `x > 0`, `alpha (e^x - 1)` otherwise (PyTorch default alpha 1).
//!
//! `f'(x) = alpha e^x` for `x <= 0` (so `f'(0) = alpha`, PyTorch's choice), 1 above. Backward
//! reads `x`: recovering `alpha e^x` as `y + alpha` would cancel catastrophically in the tail.

use super::fast_math::FastFloat;
use super::{map_backward, map_forward, map_forward_bias, Elementwise};
use crate::error::{check_hyper, Result};
use crate::float::Float;

pub(crate) struct Elu {
    alpha: f64,
}

impl Elu {
    pub(crate) fn new(alpha: f64) -> Self {
        Elu { alpha }
    }
    fn checked(alpha: f64) -> Result<Self> {
        check_hyper("ELU alpha", alpha, true, "must be finite")?;
        Ok(Elu { alpha })
    }
}

impl Elementwise for Elu {
    fn needs_input(&self) -> bool {
        true
    }
    #[inline(always)]
    fn value<L: FastFloat>(&self, x: L) -> L {
        let neg = L::from_f64(self.alpha) * x.fast_expm1();
        if x <= L::ZERO {
            neg
        } else {
            x
        }
    }
    #[inline(always)]
    fn grad<L: FastFloat>(&self, x: L, d: L) -> L {
        let neg = d * (L::from_f64(self.alpha) * x.fast_exp());
        if x <= L::ZERO {
            neg
        } else {
            d
        }
    }
}

/// `x = elu(x)` in place; error if `alpha` is not finite.
pub fn forward<T: Float>(x: &mut [T], alpha: f64) -> Result<()> {
    map_forward(&Elu::checked(alpha)?, x);
    Ok(())
}

/// `rows = elu(rows + bias)` per row of the row-major `[n, bias.len()]` block.
pub fn forward_bias<T: Float>(rows: &mut [T], bias: &[T], alpha: f64) -> Result<()> {
    map_forward_bias(&Elu::checked(alpha)?, rows, bias)
}

/// `d *= f'(x)` given the pre-activation `x`.
pub fn backward<T: Float>(x: &[T], d: &mut [T], alpha: f64) -> Result<()> {
    map_backward(&Elu::checked(alpha)?, x, d)
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use super::super::Activation;

    // From tools/reference/activations.py (PyTorch 2.15, float64), at these inputs.
    const XS: [f64; 6] = [-3.0, -1.5, -0.5, 0.25, 1.0, 2.5];
    const ELU: [f64; 6] = [
        -0.950212931632136,
        -0.7768698398515702,
        -0.3934693402873666,
        0.25,
        1.0,
        2.5,
    ];
    const ELU_GRAD: [f64; 6] = [
        0.049787068367863944,
        0.22313016014842982,
        0.6065306597126334,
        1.0,
        1.0,
        1.0,
    ];

    #[test]
    fn matches_pytorch() {
        let a = Activation::ELU;
        let y: Vec<f64> = XS.iter().map(|&x| value(a, x)).collect();
        assert_close("elu", &y, &ELU, 1e-15);
        let g: Vec<f64> = XS.iter().map(|&x| derivative(a, x)).collect();
        assert_close("elu'", &g, &ELU_GRAD, 1e-15);
        // PyTorch: elu'(0) = 1.0 (= alpha).
        assert_eq!(derivative(a, 0.0), 1.0);
        assert_eq!(derivative(Activation::Elu { alpha: 0.5 }, 0.0), 0.5);
    }

    #[test]
    fn small_negative_inputs_keep_relative_accuracy() {
        // expm1, not exp - 1: elu(-1e-10) = -1e-10 + 5e-21.
        let y = value(Activation::ELU, -1e-10);
        assert!((y - (-1e-10 + 5e-21)).abs() < 1e-25);
        let y = value32(Activation::ELU, -1e-6);
        assert!((y + 9.999995e-7).abs() < 1e-13);
    }

    #[test]
    fn derivative_matches_finite_differences() {
        check_finite_differences(Activation::ELU, &[-5.0, -1.0, -0.3, 0.4, 2.0]);
        check_finite_differences(Activation::Elu { alpha: 0.5 }, &[-2.0, 1.0]);
    }
}
