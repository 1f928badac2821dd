//! GELU, exact (`x Phi(x)`, PyTorch's default) and its tanh approximation
//! (PyTorch's `approximate='tanh'`).
//!
//! The tanh form `x/2 (1 + tanh(u))`, `u = sqrt(2/pi) (x + 0.044715 x^3)`, is evaluated as the
//! identical `x sigmoid(2u)`, which avoids the `1 + tanh` cancellation for negative `x`.
//! `Phi` uses `erfc`, accurate in both tails (f32: [`super::fast_math::norm_cdf_f32`], libm
//! in f64).

use super::fast_math::FastFloat;
use super::{map_backward, map_forward, map_forward_bias, Elementwise};
use crate::error::Result;
use crate::float::Float;

/// `1 / sqrt(2 pi)`.
const INV_SQRT_2PI: f64 = 0.398_942_280_401_432_7;
/// `sqrt(2 / pi)`.
const SQRT_2_OVER_PI: f64 = 0.797_884_560_802_865_4;
const COEF: f64 = 0.044_715;

pub(crate) struct Gelu;
pub(crate) struct GeluTanh;

impl Elementwise for Gelu {
    fn needs_input(&self) -> bool {
        true
    }
    #[inline(always)]
    fn value<L: FastFloat>(&self, x: L) -> L {
        x * x.norm_cdf()
    }
    /// `Phi(x) + x phi(x)`.
    #[inline(always)]
    fn grad<L: FastFloat>(&self, x: L, d: L) -> L {
        let pdf = L::from_f64(INV_SQRT_2PI) * (x * x * L::from_f64(-0.5)).fast_exp();
        d * (x.norm_cdf() + x * pdf)
    }
}

impl Elementwise for GeluTanh {
    fn needs_input(&self) -> bool {
        true
    }
    #[inline(always)]
    fn value<L: FastFloat>(&self, x: L) -> L {
        let u = L::from_f64(SQRT_2_OVER_PI) * (x + L::from_f64(COEF) * x * x * x);
        x * (u + u).fast_sigmoid()
    }
    /// `s + 2 x s (1 - s) u'`, `s = sigmoid(2u)`, `u' = sqrt(2/pi) (1 + 3 * 0.044715 x^2)`.
    /// Evaluated at `x` clamped to `[-1e4, 1e4]`, where it is already exactly 0 or 1, so that
    /// huge inputs give `0 * finite` rather than `0 * inf`.
    #[inline(always)]
    fn grad<L: FastFloat>(&self, x: L, d: L) -> L {
        let lim = L::from_f64(1e4);
        let x = if x > lim {
            lim
        } else if x < -lim {
            -lim
        } else {
            x
        };
        let x2 = x * x;
        let u = L::from_f64(SQRT_2_OVER_PI) * (x + L::from_f64(COEF) * x2 * x);
        let du = L::from_f64(SQRT_2_OVER_PI) * (L::ONE + L::from_f64(3.0 * COEF) * x2);
        let s = (u + u).fast_sigmoid();
        d * (s + (x + x) * (s * (L::ONE - s)) * du)
    }
}

/// `x = x Phi(x)` (exact GELU) in place.
pub fn forward<T: Float>(x: &mut [T]) {
    map_forward(&Gelu, x)
}

/// Exact GELU of `rows + bias` per row of the row-major `[n, bias.len()]` block.
pub fn forward_bias<T: Float>(rows: &mut [T], bias: &[T]) -> Result<()> {
    map_forward_bias(&Gelu, rows, bias)
}

/// `d *= Phi(x) + x phi(x)` given the pre-activation `x`.
pub fn backward<T: Float>(x: &[T], d: &mut [T]) -> Result<()> {
    map_backward(&Gelu, x, d)
}

/// Tanh-approximated GELU in place.
pub fn forward_tanh<T: Float>(x: &mut [T]) {
    map_forward(&GeluTanh, x)
}

/// Tanh-approximated GELU of `rows + bias` per row of the `[n, bias.len()]` block.
pub fn forward_bias_tanh<T: Float>(rows: &mut [T], bias: &[T]) -> Result<()> {
    map_forward_bias(&GeluTanh, rows, bias)
}

/// `d *= f'(x)` for the tanh approximation, given the pre-activation `x`.
pub fn backward_tanh<T: Float>(x: &[T], d: &mut [T]) -> Result<()> {
    map_backward(&GeluTanh, x, d)
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use super::super::Activation;

    // From tools/reference/activations.py (PyTorch 2.15, float64), at these inputs.
    const XS: [f64; 6] = [-3.0, -1.5, -0.5, 0.25, 1.0, 2.5];
    const GELU: [f64; 6] = [
        -0.00404969409489031,
        -0.10021080190328704,
        -0.15426876936299344,
        0.14967658142073093,
        0.841344746068543,
        2.4844758366855597,
    ];
    const GELU_GRAD: [f64; 6] = [
        -0.01194564720418392,
        -0.1274691922299796,
        0.13250487534383712,
        0.695373354883636,
        1.0833154705876864,
        1.037611085908145,
    ];
    const GELU_TANH: [f64; 6] = [
        -0.0036373920817729943,
        -0.10042842301976707,
        -0.15428599017485606,
        0.149675350701685,
        0.8411919906082768,
        2.484915733910001,
    ];
    const GELU_TANH_GRAD: [f64; 6] = [
        -0.011584166630969648,
        -0.12771079315143308,
        0.13263009646535764,
        0.6953540951510604,
        1.0829640838457826,
        1.037951576212666,
    ];

    #[test]
    fn matches_pytorch() {
        for (a, want_y, want_g) in [
            (Activation::Gelu, GELU, GELU_GRAD),
            (Activation::GeluTanh, GELU_TANH, GELU_TANH_GRAD),
        ] {
            let y: Vec<f64> = XS.iter().map(|&x| value(a, x)).collect();
            assert_close(a.name(), &y, &want_y, 1e-15);
            let g: Vec<f64> = XS.iter().map(|&x| derivative(a, x)).collect();
            assert_close(a.name(), &g, &want_g, 1e-15);
            // f32 kernels (fast maths) within a few f32 ulps of PyTorch's f64 values.
            let y32: Vec<f64> = XS.iter().map(|&x| value32(a, x as f32) as f64).collect();
            assert_close(a.name(), &y32, &want_y, 5e-7);
        }
    }

    #[test]
    fn hand_values_and_tails() {
        let a = Activation::Gelu;
        assert_eq!(value(a, 0.0), 0.0);
        assert_eq!(derivative(a, 0.0), 0.5);
        // x Phi(x) for x = -10: Phi(-10) = 7.6198530241605e-24 (relative accuracy kept).
        assert!((value(a, -10.0) / (-7.619_853_024_160_527e-23) - 1.0).abs() < 1e-12);
        assert_eq!(value(Activation::GeluTanh, 1e30), 1e30);
        assert_eq!(derivative(Activation::GeluTanh, 1e30), 1.0);
        assert_eq!(derivative(Activation::GeluTanh, -1e30), 0.0);
    }

    #[test]
    fn derivative_matches_finite_differences() {
        let xs = [-6.0, -2.2, -0.7, 0.0, 0.3, 1.4, 5.0];
        check_finite_differences(Activation::Gelu, &xs);
        check_finite_differences(Activation::GeluTanh, &xs);
    }
}
