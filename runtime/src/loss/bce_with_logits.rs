//! Binary cross-entropy on logits (PyTorch's `nn.BCEWithLogitsLoss`), in the stable form that
//! never exponentiates a positive number, so it needs no separate sigmoid layer.

use super::{elementwise, elementwise_mut, Loss, Reduction};
use crate::error::Result;
use crate::float::Float;

/// Binary cross-entropy with logits: per element with logit `x` and target `y`,
/// `max(x, 0) - x y + ln(1 + exp(-|x|))` (= `-y ln s(x) - (1-y) ln(1 - s(x))`), gradient
/// `sigmoid(x) - y`. [`Reduction::Mean`] divides by the number of elements.
///
/// Targets are probabilities in `[0, 1]` (soft targets allowed); as in PyTorch, their range is
/// not checked.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BceWithLogits {
    /// Mean over all elements (PyTorch's default) or sum.
    pub reduction: Reduction,
    /// PyTorch's `pos_weight`: see [`BceWithLogits::with_pos_weight`].
    pos_weight: Option<Box<[f64]>>,
}

impl BceWithLogits {
    /// Unweighted binary cross-entropy reduced by `reduction`.
    pub const fn new(reduction: Reduction) -> Self {
        BceWithLogits {
            reduction,
            pos_weight: None,
        }
    }

    /// Weighs the positive term of each output column, as PyTorch's `pos_weight`: per element
    /// `-(p_j y ln s(x) + (1 - y) ln(1 - s(x)))`, so `p_j > 1` raises recall on column `j`.
    /// One positive, finite weight per output (checked against the width when the loss
    /// runs), or one for all.
    pub fn with_pos_weight(mut self, weights: &[f64]) -> Result<Self> {
        if weights.is_empty() {
            return Err(crate::error::KilnError::EmptyShape { what: "pos_weight" });
        }
        for &w in weights {
            crate::error::check_hyper(
                "pos_weight",
                w,
                w.is_finite() && w > 0.0,
                "must be positive and finite",
            )?;
        }
        self.pos_weight = Some(weights.into());
        Ok(self)
    }

    /// The positive-term weights set by [`BceWithLogits::with_pos_weight`], if any.
    pub fn pos_weight(&self) -> Option<&[f64]> {
        self.pos_weight.as_deref()
    }

    /// The loss with `pos_weight`: `p y softplus(-x) + (1 - y) softplus(x)`, gradient
    /// `s(x) (p y + 1 - y) - p y`.
    fn weighted<T: Float>(
        &self,
        w: &[f64],
        output: &[T],
        width: usize,
        target: &[T],
        grad: Option<&mut [T]>,
    ) -> Result<T> {
        if w.len() != 1 {
            crate::error::check_len("pos_weight (one per output)", width, w.len())?;
        }
        let weights: Vec<T> = w.iter().map(|&v| T::from_f64(v)).collect();
        let column = |i: usize| weights[if weights.len() == 1 { 0 } else { i % width }];
        match grad {
            Some(g) => {
                let mut i = 0;
                let f = |x: T, y: T| {
                    let p = column(i);
                    i += 1;
                    let softplus = |v: T| v.max(T::ZERO) + (-v.abs()).exp().ln_1p();
                    let s = sigmoid(x);
                    (
                        p * y * softplus(-x) + (T::ONE - y) * softplus(x),
                        s * (p * y + T::ONE - y) - p * y,
                    )
                };
                elementwise_mut(output, width, target, Some(g), self.reduction, f)
            }
            None => {
                let mut i = 0;
                let f = |x: T, y: T| {
                    let p = column(i);
                    i += 1;
                    let softplus = |v: T| v.max(T::ZERO) + (-v.abs()).exp().ln_1p();
                    (p * y * softplus(-x) + (T::ONE - y) * softplus(x), T::ZERO)
                };
                elementwise_mut(output, width, target, None, self.reduction, f)
            }
        }
    }
}

/// The logistic function, computed without overflow for either sign.
#[inline]
fn sigmoid<T: Float>(x: T) -> T {
    if x >= T::ZERO {
        T::ONE / (T::ONE + (-x).exp())
    } else {
        let e = x.exp();
        e / (T::ONE + e)
    }
}

#[inline]
fn bce<T: Float>(x: T, y: T) -> (T, T) {
    let loss = x.max(T::ZERO) - x * y + (-x.abs()).exp().ln_1p();
    (loss, sigmoid(x) - y)
}

impl<T: Float> Loss<T> for BceWithLogits {
    super::masked_by_rows!();
    type Target = [T];

    fn loss_and_grad(&self, output: &[T], width: usize, target: &[T], grad: &mut [T]) -> Result<T> {
        match &self.pos_weight {
            Some(w) => self.weighted(w, output, width, target, Some(grad)),
            None => elementwise(output, width, target, Some(grad), self.reduction, bce),
        }
    }

    fn loss(&self, output: &[T], width: usize, target: &[T]) -> Result<T> {
        match &self.pos_weight {
            Some(w) => self.weighted(w, output, width, target, None),
            None => elementwise(output, width, target, None, self.reduction, bce),
        }
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
        // x = 0: loss ln 2 for any y, gradient 1/2 - y.
        let mut g = [0.0f64; 2];
        let l = BceWithLogits::new(Reduction::Mean)
            .loss_and_grad(&[0.0, 0.0], 2, &[1.0, 0.25], &mut g)
            .unwrap();
        assert!((l - core::f64::consts::LN_2).abs() < 1e-15);
        assert_eq!(g, [-0.25, 0.125]);
        // x = ln 3, y = 1: s = 3/4, loss = ln(4/3), gradient -1/4 (sum).
        let mut g = [0.0f32; 1];
        let l = BceWithLogits::new(Reduction::Sum)
            .loss_and_grad(&[3.0f32.ln()], 1, &[1.0], &mut g)
            .unwrap();
        assert!((l - (4.0f32 / 3.0).ln()).abs() < 1e-6 && (g[0] + 0.25).abs() < 1e-6);
    }

    #[test]
    fn stable_for_huge_logits() {
        let out = [1000.0f32, -1000.0, 1000.0, -1000.0];
        let tgt = [1.0f32, 0.0, 0.0, 1.0];
        let mut g = [0.0f32; 4];
        let l = BceWithLogits::new(Reduction::Sum)
            .loss_and_grad(&out, 2, &tgt, &mut g)
            .unwrap();
        assert_eq!(l, 2000.0);
        assert_eq!(g, [0.0, 0.0, 1.0, -1.0]);
    }

    #[test]
    fn gradient_matches_central_differences() {
        let out = [0.3f64, -1.2, 2.0, 0.1, -4.0, 6.0];
        let tgt = [1.0, 0.0, 0.3, 0.9, 1.0, 0.0];
        for red in [Reduction::Mean, Reduction::Sum] {
            let loss = BceWithLogits::new(red);
            let mut g = [0.0; 6];
            loss.loss_and_grad(&out, 3, &tgt, &mut g).unwrap();
            let num = numeric_grad(&out, 1e-5, |x| loss.loss(x, 3, &tgt).unwrap());
            assert_close(&g, &num, 1e-8);
        }
    }

    /// From `tools/reference/losses.py` (torch 2.15).
    #[test]
    fn matches_pytorch() {
        for (red, want, want_grad) in [
            (Reduction::Mean, REF_BCE_MEAN, &REF_BCE_MEAN_GRAD),
            (Reduction::Sum, REF_BCE_SUM, &REF_BCE_SUM_GRAD),
        ] {
            let mut g = [0.0f64; 6];
            let l = BceWithLogits::new(red)
                .loss_and_grad(&REF_X, 3, &REF_Y, &mut g)
                .unwrap();
            assert!((l - want).abs() < 1e-14, "{l} vs {want}");
            assert_close(&g, want_grad, 1e-14);
        }
    }

    // Printed by tools/reference/losses.py (torch 2.15.0), pasted unchanged.
    const REF_X: [f64; 6] = [0.3, -1.2, 2.0, 0.0, -4.0, 6.5];
    const REF_Y: [f64; 6] = [1.0, 0.0, 0.3, 0.9, 1.0, 0.0];
    const REF_BCE_MEAN: f64 = 2.2595608569145065;
    const REF_BCE_MEAN_GRAD: [f64; 6] = [
        -0.07092624719805683,
        0.03857920275016373,
        0.09679951299631373,
        -0.06666666666666667,
        -0.16366896500631808,
        0.16641646962387716,
    ];
    const REF_BCE_SUM: f64 = 13.55736514148704;
    const REF_BCE_SUM_GRAD: [f64; 6] = [
        -0.42555748318834097,
        0.23147521650098238,
        0.5807970779778824,
        -0.4,
        -0.9820137900379085,
        0.998498817743263,
    ];

    #[test]
    fn validation_and_nan() {
        let loss = BceWithLogits::default();
        assert!(matches!(
            loss.loss(&[0.0f64; 4], 2, &[0.0; 3]),
            Err(KilnError::LengthMismatch { .. })
        ));
        assert!(matches!(
            loss.loss(&[0.0f64; 3], 2, &[0.0; 3]),
            Err(KilnError::LengthMismatch { .. })
        ));
        assert!(loss
            .loss(&[f64::NAN, 0.0], 2, &[0.0, 0.0])
            .unwrap()
            .is_nan());
    }
}
