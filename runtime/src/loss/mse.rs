//! Mean squared error, as PyTorch's `nn.MSELoss` or with the textbook factor 1/2.

use super::{elementwise, Loss, Reduction};
use crate::error::Result;
use crate::float::Float;

/// Squared error per element: `(x - y)^2` (PyTorch's `nn.MSELoss`), gradient `2 (x - y)`; or
/// with `half`, the textbook `(x - y)^2 / 2`, gradient `x - y`. [`Reduction::Mean`] divides by
/// the number of elements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Mse {
    /// Multiply by 1/2 (a common textbook convention that makes the gradient `x - y`);
    /// `false` matches PyTorch.
    pub half: bool,
    /// Mean over all elements (PyTorch's default) or sum.
    pub reduction: Reduction,
}

impl Mse {
    /// Squared error, halved if `half`, reduced by `reduction`.
    pub const fn new(half: bool, reduction: Reduction) -> Self {
        Mse { half, reduction }
    }

    fn eval<T: Float>(
        &self,
        output: &[T],
        width: usize,
        target: &[T],
        grad: Option<&mut [T]>,
    ) -> Result<T> {
        let (c, dc) = if self.half {
            (T::from_f64(0.5), T::ONE)
        } else {
            (T::ONE, T::from_f64(2.0))
        };
        elementwise(output, width, target, grad, self.reduction, |x, y| {
            let d = x - y;
            (c * d * d, dc * d)
        })
    }
}

impl<T: Float> Loss<T> for Mse {
    super::masked_by_rows!();
    type Target = [T];

    fn loss_and_grad(&self, output: &[T], width: usize, target: &[T], grad: &mut [T]) -> Result<T> {
        self.eval(output, width, target, Some(grad))
    }

    fn loss(&self, output: &[T], width: usize, target: &[T]) -> Result<T> {
        self.eval(output, width, target, None)
    }

    super::mean_over_terms!(|_, width| width);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::KilnError;
    use crate::loss::test_util::{assert_close, numeric_grad};

    #[test]
    fn hand_computed() {
        // Differences [1, -2, 3, 0]: squares sum 14, mean 3.5; gradient 2d/4 = d/2.
        let out = [2.0f64, 0.0, 3.0, 1.0];
        let tgt = [1.0, 2.0, 0.0, 1.0];
        let mut g = [0.0; 4];
        assert_eq!(
            Mse::new(false, Reduction::Mean).loss_and_grad(&out, 2, &tgt, &mut g),
            Ok(3.5)
        );
        assert_eq!(g, [0.5, -1.0, 1.5, 0.0]);
        assert_eq!(
            Mse::new(true, Reduction::Sum).loss_and_grad(&out, 2, &tgt, &mut g),
            Ok(7.0)
        );
        assert_eq!(g, [1.0, -2.0, 3.0, 0.0]);
        let mut g = [0.0f32; 4];
        let out32 = [2.0f32, 0.0, 3.0, 1.0];
        let tgt32 = [1.0f32, 2.0, 0.0, 1.0];
        assert_eq!(
            Mse::new(true, Reduction::Mean).loss_and_grad(&out32, 4, &tgt32, &mut g),
            Ok(1.75)
        );
        assert_eq!(g, [0.25, -0.5, 0.75, 0.0]);
    }

    #[test]
    fn gradient_matches_central_differences() {
        let out = [0.3f64, -1.2, 2.0, 0.1, -4.0, 6.0];
        let tgt = [1.0, 0.0, 0.3, 0.9, 1.0, 0.0];
        for half in [false, true] {
            for red in [Reduction::Mean, Reduction::Sum] {
                let loss = Mse::new(half, red);
                let mut g = [0.0; 6];
                loss.loss_and_grad(&out, 2, &tgt, &mut g).unwrap();
                let num = numeric_grad(&out, 1e-4, |x| loss.loss(x, 2, &tgt).unwrap());
                assert_close(&g, &num, 1e-9);
            }
        }
    }

    /// From `tools/reference/losses.py` (torch 2.15).
    #[test]
    fn matches_pytorch() {
        for (red, want, want_grad) in [
            (Reduction::Mean, REF_MSE_MEAN, &REF_MSE_MEAN_GRAD),
            (Reduction::Sum, REF_MSE_SUM, &REF_MSE_SUM_GRAD),
        ] {
            let mut g = [0.0f64; 6];
            let l = Mse::new(false, red)
                .loss_and_grad(&REF_X, 3, &REF_Y, &mut g)
                .unwrap();
            assert!((l - want).abs() < 1e-14, "{l} vs {want}");
            assert_close(&g, want_grad, 1e-14);
        }
    }

    // Printed by tools/reference/losses.py (torch 2.15.0), pasted unchanged.
    const REF_X: [f64; 6] = [0.3, -1.2, 2.0, 0.0, -4.0, 6.5];
    const REF_Y: [f64; 6] = [1.0, 0.0, 0.3, 0.9, 1.0, 0.0];
    const REF_MSE_MEAN: f64 = 12.146666666666667;
    const REF_MSE_MEAN_GRAD: [f64; 6] = [
        -0.2333333333333333,
        -0.39999999999999997,
        0.5666666666666667,
        -0.3,
        -1.6666666666666665,
        2.1666666666666665,
    ];
    const REF_MSE_SUM: f64 = 72.88;
    const REF_MSE_SUM_GRAD: [f64; 6] = [-1.4, -2.4, 3.4, -1.8, -10.0, 13.0];

    #[test]
    fn validation() {
        assert!(matches!(
            Mse::default().loss(&[0.0f64; 4], 2, &[0.0; 5]),
            Err(KilnError::LengthMismatch { .. })
        ));
        assert!(matches!(
            Mse::default().loss_and_grad(&[0.0f64; 4], 2, &[0.0; 4], &mut [0.0; 2]),
            Err(KilnError::LengthMismatch { .. })
        ));
    }
}
