//! Mean absolute error (PyTorch's `nn.L1Loss`): robust to outliers, constant-size
//! gradient.

use super::{elementwise, Loss, Reduction};
use crate::error::Result;
use crate::float::Float;

/// Absolute error per element `|x - y|`, subgradient `sign(x - y)` with 0 at `x == y` (as
/// PyTorch's `L1Loss`; NaN for a NaN difference). [`Reduction::Mean`] divides by the number of
/// elements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Mae {
    /// Mean over all elements (PyTorch's default) or sum.
    pub reduction: Reduction,
}

impl Mae {
    /// Absolute error reduced by `reduction`.
    pub const fn new(reduction: Reduction) -> Self {
        Mae { reduction }
    }
}

#[inline]
fn mae<T: Float>(x: T, y: T) -> (T, T) {
    let d = x - y;
    let s = if d > T::ZERO {
        T::ONE
    } else if d < T::ZERO {
        -T::ONE
    } else if d == T::ZERO {
        T::ZERO
    } else {
        d // NaN
    };
    (d.abs(), s)
}

impl<T: Float> Loss<T> for Mae {
    super::masked_by_rows!();
    type Target = [T];

    fn loss_and_grad(&self, output: &[T], width: usize, target: &[T], grad: &mut [T]) -> Result<T> {
        elementwise(output, width, target, Some(grad), self.reduction, mae)
    }

    fn loss(&self, output: &[T], width: usize, target: &[T]) -> Result<T> {
        elementwise(output, width, target, None, self.reduction, mae)
    }

    super::mean_over_terms!(|_, width| width);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loss::test_util::assert_close;

    #[test]
    fn hand_computed() {
        let out = [2.0f64, 0.0, 3.0, 1.0];
        let tgt = [1.0, 2.0, 0.0, 1.0];
        let mut g = [9.0; 4];
        assert_eq!(
            Mae::new(Reduction::Mean).loss_and_grad(&out, 2, &tgt, &mut g),
            Ok(1.5)
        );
        assert_eq!(g, [0.25, -0.25, 0.25, 0.0]);
        let mut g = [9.0f32; 4];
        let out32 = [2.0f32, 0.0, 3.0, 1.0];
        let tgt32 = [1.0f32, 2.0, 0.0, 1.0];
        assert_eq!(
            Mae::new(Reduction::Sum).loss_and_grad(&out32, 1, &tgt32, &mut g),
            Ok(6.0)
        );
        assert_eq!(g, [1.0, -1.0, 1.0, 0.0]);
        let mut g = [0.0f64; 1];
        assert!(Mae::default()
            .loss_and_grad(&[f64::NAN], 1, &[0.0], &mut g)
            .unwrap()
            .is_nan());
        assert!(g[0].is_nan());
    }

    /// From `tools/reference/losses.py` (torch 2.15).
    #[test]
    fn matches_pytorch() {
        for (red, want, want_grad) in [
            (Reduction::Mean, REF_L1_MEAN, &REF_L1_MEAN_GRAD),
            (Reduction::Sum, REF_L1_SUM, &REF_L1_SUM_GRAD),
        ] {
            let mut g = [0.0f64; 6];
            let l = Mae::new(red)
                .loss_and_grad(&REF_X, 3, &REF_Y, &mut g)
                .unwrap();
            assert!((l - want).abs() < 1e-14, "{l} vs {want}");
            assert_close(&g, want_grad, 1e-14);
        }
    }

    // Printed by tools/reference/losses.py (torch 2.15.0), pasted unchanged.
    const REF_X: [f64; 6] = [0.3, -1.2, 2.0, 0.0, -4.0, 6.5];
    const REF_Y: [f64; 6] = [1.0, 0.0, 0.3, 0.9, 1.0, 0.0];
    const REF_L1_MEAN: f64 = 2.6666666666666665;
    const REF_L1_MEAN_GRAD: [f64; 6] = [
        -0.16666666666666666,
        -0.16666666666666666,
        0.16666666666666666,
        -0.16666666666666666,
        -0.16666666666666666,
        0.16666666666666666,
    ];
    const REF_L1_SUM: f64 = 15.999999999999998;
    const REF_L1_SUM_GRAD: [f64; 6] = [-1.0, -1.0, 1.0, -1.0, -1.0, 1.0];
}
