//! Swish / SiLU `x sigmoid(x)` (PyTorch's `nn.SiLU`); `f' = s (1 + x (1 - s))`, `s = sigmoid(x)`.

use super::fast_math::FastFloat;
use super::{map_backward, map_forward, map_forward_bias, Elementwise};
use crate::error::Result;
use crate::float::Float;

pub(crate) struct Swish;

impl Elementwise for Swish {
    fn needs_input(&self) -> bool {
        true
    }
    #[inline(always)]
    fn value<L: FastFloat>(&self, x: L) -> L {
        x * x.fast_sigmoid()
    }
    #[inline(always)]
    fn grad<L: FastFloat>(&self, x: L, d: L) -> L {
        let s = x.fast_sigmoid();
        d * (s * (L::ONE + x * (L::ONE - s)))
    }
}

/// `x = x sigmoid(x)` in place.
pub fn forward<T: Float>(x: &mut [T]) {
    map_forward(&Swish, x)
}

/// `rows = swish(rows + bias)` per row of the row-major `[n, bias.len()]` block.
pub fn forward_bias<T: Float>(rows: &mut [T], bias: &[T]) -> Result<()> {
    map_forward_bias(&Swish, rows, bias)
}

/// `d *= f'(x)` given the pre-activation `x`.
pub fn backward<T: Float>(x: &[T], d: &mut [T]) -> Result<()> {
    map_backward(&Swish, x, d)
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use super::super::Activation;

    // From tools/reference/activations.py (PyTorch 2.15, float64, F.silu), at these inputs.
    const XS: [f64; 6] = [-3.0, -1.5, -0.5, 0.25, 1.0, 2.5];
    const SILU: [f64; 6] = [
        -0.14227761953270035,
        -0.2736382857095345,
        -0.1887703343990727,
        0.14054412522144952,
        0.7310585786300049,
        2.3103545499468914,
    ];
    const SILU_GRAD: [f64; 6] = [
        -0.08810410601516962,
        -0.041294154299142946,
        0.2600388126973482,
        0.6237100215701977,
        0.9276705118714869,
        1.0994011113415267,
    ];

    #[test]
    fn matches_pytorch() {
        let a = Activation::Swish;
        let y: Vec<f64> = XS.iter().map(|&x| value(a, x)).collect();
        assert_close("silu", &y, &SILU, 1e-15);
        let g: Vec<f64> = XS.iter().map(|&x| derivative(a, x)).collect();
        assert_close("silu'", &g, &SILU_GRAD, 1e-15);
        assert_eq!(value(a, 0.0), 0.0);
        assert_eq!(derivative(a, 0.0), 0.5);
    }

    #[test]
    fn derivative_matches_finite_differences() {
        check_finite_differences(Activation::Swish, &[-7.0, -1.2, 0.0, 0.4, 3.0]);
    }
}
