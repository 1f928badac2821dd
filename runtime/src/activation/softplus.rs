//! Softplus `ln(1 + e^x)` (beta 1), with PyTorch's threshold: `x` itself for `x > 20`.
//!
//! Computed as `max(x, 0) + ln(1 + e^-|x|)`, accurate in both tails. The derivative is
//! `sigmoid(x)`, and exactly 1 above the threshold, as PyTorch's autograd.

use super::fast_math::FastFloat;
use super::{map_backward, map_forward, map_forward_bias, Elementwise};
use crate::error::Result;
use crate::float::Float;

/// PyTorch's default `threshold` (with `beta = 1`).
const THRESHOLD: f64 = 20.0;

pub(crate) struct Softplus;

impl Elementwise for Softplus {
    fn needs_input(&self) -> bool {
        true
    }
    #[inline(always)]
    fn value<L: FastFloat>(&self, x: L) -> L {
        let pos = if x > L::ZERO { x } else { L::ZERO };
        let y = pos + (-x.fast_abs()).fast_exp().ln_1p_unit();
        if x > L::from_f64(THRESHOLD) {
            x
        } else {
            y
        }
    }
    #[inline(always)]
    fn grad<L: FastFloat>(&self, x: L, d: L) -> L {
        let s = d * x.fast_sigmoid();
        if x > L::from_f64(THRESHOLD) {
            d
        } else {
            s
        }
    }
}

/// `x = softplus(x)` in place.
pub fn forward<T: Float>(x: &mut [T]) {
    map_forward(&Softplus, x)
}

/// `rows = softplus(rows + bias)` per row of the row-major `[n, bias.len()]` block.
pub fn forward_bias<T: Float>(rows: &mut [T], bias: &[T]) -> Result<()> {
    map_forward_bias(&Softplus, rows, bias)
}

/// `d *= sigmoid(x)` (1 above the threshold) given the pre-activation `x`.
pub fn backward<T: Float>(x: &[T], d: &mut [T]) -> Result<()> {
    map_backward(&Softplus, x, d)
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use super::super::Activation;

    // From tools/reference/activations.py (PyTorch 2.15, float64), at these inputs.
    const XS: [f64; 6] = [-3.0, -1.5, -0.5, 0.25, 1.0, 2.5];
    const SOFTPLUS: [f64; 6] = [
        0.04858735157374206,
        0.2014132779827524,
        0.4740769841801067,
        0.8259394198788436,
        1.3132616875182228,
        2.5788897342925496,
    ];
    const SOFTPLUS_GRAD: [f64; 6] = [
        0.04742587317756679,
        0.18242552380635632,
        0.37754066879814546,
        0.5621765008857981,
        0.7310585786300049,
        0.9241418199787564,
    ];

    #[test]
    fn matches_pytorch() {
        let a = Activation::Softplus;
        let y: Vec<f64> = XS.iter().map(|&x| value(a, x)).collect();
        assert_close("softplus", &y, &SOFTPLUS, 1e-15);
        let g: Vec<f64> = XS.iter().map(|&x| derivative(a, x)).collect();
        assert_close("softplus'", &g, &SOFTPLUS_GRAD, 1e-15);
        // PyTorch: softplus'(25) = 1.0 (above the threshold).
        assert_eq!(derivative(a, 25.0), 1.0);
        assert_eq!(value(a, 25.0), 25.0);
    }

    #[test]
    fn hand_values_and_tails() {
        let a = Activation::Softplus;
        assert!((value(a, 0.0) - core::f64::consts::LN_2).abs() < 2e-16);
        assert_eq!(derivative(a, 0.0), 0.5);
        // Left tail: softplus(x) ~ e^x, to full relative accuracy.
        let x = -100.0f64;
        assert!((value(a, x) / libm::exp(x) - 1.0).abs() < 1e-15);
        assert!((value32(a, -50.0) as f64 / libm::exp(-50.0) - 1.0).abs() < 3e-7);
        // Right of the threshold's neighbourhood: x + e^-x.
        assert!((value(a, 15.0) - (15.0 + libm::log1p(libm::exp(-15.0)))).abs() < 1e-14);
    }

    #[test]
    fn derivative_matches_finite_differences() {
        check_finite_differences(Activation::Softplus, &[-8.0, -1.0, 0.0, 0.3, 4.0, 19.0]);
    }
}
