//! Softmax cross-entropy fused with log-softmax: stable for any logits (the row's
//! maximum is subtracted before exponentiating) and with the simple gradient `softmax - target`.

use super::{check_output, reduce, Loss, Reduction};
use crate::error::{check_hyper, check_len, KilnError, Result};
use crate::float::Float;

/// Label smoothing: which target distribution replaces the one-hot label over `K` classes.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum LabelSmoothing {
    /// One-hot targets.
    #[default]
    None,
    /// PyTorch's `nn.CrossEntropyLoss(label_smoothing=eps)`: `eps/K` spread over all classes,
    /// so the right class gets `1 - eps + eps/K`.
    PyTorch(f64),
    /// `1 - eps` on the right class and `eps/(K-1)` on each other one, so the right class
    /// gets exactly `1 - eps` (the form of Goodfellow et al., 2016, *Deep Learning*, section
    /// 7.5.1; needs `K >= 2` when `eps > 0`).
    OtherClasses(f64),
}

impl LabelSmoothing {
    /// The old name of [`LabelSmoothing::OtherClasses`].
    #[deprecated(note = "renamed to LabelSmoothing::OtherClasses")]
    #[allow(non_snake_case)]
    pub fn Notes(eps: f64) -> LabelSmoothing {
        LabelSmoothing::OtherClasses(eps)
    }
}

impl LabelSmoothing {
    /// `(on, off)`: target probability of the labelled class and of each other class.
    fn targets(self, classes: usize) -> Result<(f64, f64)> {
        Ok(match self {
            LabelSmoothing::None => (1.0, 0.0),
            LabelSmoothing::PyTorch(eps) => {
                let off = eps / classes as f64;
                (1.0 - eps + off, off)
            }
            LabelSmoothing::OtherClasses(eps) => {
                if eps == 0.0 {
                    return Ok((1.0, 0.0));
                }
                if classes < 2 {
                    return Err(KilnError::InvalidHyperParameter {
                        what: "label smoothing eps/(K-1) with one class",
                        value: eps,
                        why: "eps/(K-1) needs at least 2 classes; use eps = 0",
                    });
                }
                (1.0 - eps, eps / (classes - 1) as f64)
            }
        })
    }
}

/// Softmax cross-entropy over logits with integer class labels (PyTorch's
/// `nn.CrossEntropyLoss`, optionally with class weights; no `ignore_index`).
///
/// Per row with logits `x`, label `y` and target distribution `q` (one-hot, or smoothed):
/// `loss = sum_k q_k (lse(x) - x_k)` with `lse(x) = m + ln sum_j exp(x_j - m)`,
/// `m = max_j x_j`; gradient `softmax(x) - q`. [`Reduction::Mean`] divides both by the number
/// of rows (the batch size), as PyTorch does.
///
/// ```
/// use kiln_runtime::loss::{LabelSmoothing, Loss, Reduction, SoftmaxCrossEntropy};
/// use kiln_runtime::KilnError;
///
/// let ce = SoftmaxCrossEntropy::default(); // no smoothing, mean over rows
/// // Two samples of three classes: equal logits, then a confident right answer.
/// let logits = [0.0f64, 0.0, 0.0, 10.0, 0.0, 0.0];
/// let mut grad = [0.0; 6];
/// let loss = ce.loss_and_grad(&logits, 3, &[2, 0], &mut grad).unwrap();
/// // ln 3 for the uniform guess, about 0 for the confident one, averaged.
/// assert!((loss - 3f64.ln() / 2.0).abs() < 1e-4);
/// // softmax - one_hot, divided by the 2 rows.
/// assert!((grad[2] - (1.0 / 3.0 - 1.0) / 2.0).abs() < 1e-12);
///
/// // A label that is not a class is an error naming the sample.
/// let err = ce.loss(&logits, 3, &[3, 0]).unwrap_err();
/// assert!(matches!(err, KilnError::LabelOutOfRange { index: 0, label: 3, classes: 3 }));
///
/// // PyTorch's label smoothing: eps/K on every class.
/// let smooth = SoftmaxCrossEntropy::new(LabelSmoothing::PyTorch(0.1), Reduction::Sum).unwrap();
/// assert!(smooth.loss(&[0.0f64, 0.0], 2, &[0]).unwrap() > 0.0);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SoftmaxCrossEntropy {
    label_smoothing: LabelSmoothing,
    reduction: Reduction,
    /// Class weights (PyTorch's `weight`): see [`SoftmaxCrossEntropy::with_class_weights`].
    class_weights: Option<Box<[f64]>>,
}

impl Default for SoftmaxCrossEntropy {
    /// No smoothing, mean over rows (PyTorch's default).
    fn default() -> Self {
        SoftmaxCrossEntropy {
            label_smoothing: LabelSmoothing::None,
            reduction: Reduction::Mean,
            class_weights: None,
        }
    }
}

impl SoftmaxCrossEntropy {
    /// A cross-entropy loss; the smoothing `eps` must lie in `[0, 1)`.
    pub fn new(label_smoothing: LabelSmoothing, reduction: Reduction) -> Result<Self> {
        match label_smoothing {
            LabelSmoothing::None => {}
            LabelSmoothing::PyTorch(eps) | LabelSmoothing::OtherClasses(eps) => check_hyper(
                "label smoothing eps",
                eps,
                (0.0..1.0).contains(&eps),
                "must lie in [0, 1)",
            )?,
        }
        Ok(SoftmaxCrossEntropy {
            label_smoothing,
            reduction,
            class_weights: None,
        })
    }

    /// Weighs each row by the weight of its label, as PyTorch's `weight`: the mean divides by
    /// the sum of the rows' label weights instead of the row count, and PyTorch's label
    /// smoothing spreads `eps/K` weighted by each class's weight. One non-negative, finite
    /// weight per class (checked against the output width when the loss runs); the
    /// `eps/(K-1)` smoothing ([`LabelSmoothing::OtherClasses`]) has no weighted form and is refused.
    pub fn with_class_weights(mut self, weights: &[f64]) -> Result<Self> {
        if let LabelSmoothing::OtherClasses(eps) = self.label_smoothing {
            return Err(KilnError::InvalidHyperParameter {
                what: "class weights with the eps/(K-1) label smoothing",
                value: eps,
                why: "only PyTorch's label smoothing has a weighted form",
            });
        }
        for &w in weights {
            check_hyper(
                "class weight",
                w,
                w.is_finite() && w >= 0.0,
                "must be finite and non-negative",
            )?;
        }
        if weights.is_empty() {
            return Err(KilnError::EmptyShape {
                what: "class weights",
            });
        }
        self.class_weights = Some(weights.into());
        Ok(self)
    }

    /// The per-class weights set by [`SoftmaxCrossEntropy::with_class_weights`], if any.
    pub fn class_weights(&self) -> Option<&[f64]> {
        self.class_weights.as_deref()
    }

    /// The target distribution used in place of the one-hot label.
    pub fn label_smoothing(&self) -> LabelSmoothing {
        self.label_smoothing
    }

    /// How the rows' losses are combined: mean over rows (PyTorch's default) or sum.
    pub fn reduction(&self) -> Reduction {
        self.reduction
    }

    fn eval<T: Float>(
        &self,
        output: &[T],
        width: usize,
        labels: &[usize],
        mut grad: Option<&mut [T]>,
    ) -> Result<T> {
        let rows = check_output(output.len(), width)?;
        check_len("cross-entropy labels (one per row)", rows, labels.len())?;
        if let Some(g) = grad.as_deref() {
            check_len("loss gradient", output.len(), g.len())?;
        }
        if let Some((index, &label)) = labels.iter().enumerate().find(|(_, &l)| l >= width) {
            return Err(KilnError::LabelOutOfRange {
                index,
                label,
                classes: width,
            });
        }
        if let Some(w) = &self.class_weights {
            check_len("class weights (one per output)", width, w.len())?;
            return Ok(T::from_f64(super::weighted_ce::eval(
                output,
                width,
                labels,
                grad,
                w,
                self.label_smoothing,
                self.reduction,
            )));
        }
        let (on, off) = self.label_smoothing.targets(width)?;
        let (on, off) = (T::from_f64(on), T::from_f64(off));
        let scale = match self.reduction {
            Reduction::Mean => T::ONE / T::from_usize(rows),
            Reduction::Sum => T::ONE,
        };
        let mut total = 0.0f64;
        for (r, (x, &label)) in output.chunks_exact(width).zip(labels).enumerate() {
            // Work with shifted logits s_k = x_k - m <= 0: lse(x) - x_k = ln_sum - s_k, which
            // keeps full relative precision even when the logits are huge.
            let m = x.iter().fold(x[0], |a, &b| a.max(b));
            let ln_sum = x.iter().map(|&v| (v - m).exp()).sum::<T>().ln();
            // Each term q_k (lse - x_k) is non-negative: no cancellation between terms.
            let mut row_loss = on * (ln_sum - (x[label] - m));
            if off != T::ZERO {
                let others: T = x
                    .iter()
                    .enumerate()
                    .filter(|&(k, _)| k != label)
                    .map(|(_, &v)| ln_sum - (v - m))
                    .sum();
                row_loss += off * others;
            }
            total += row_loss.to_f64();
            if let Some(g) = grad.as_deref_mut() {
                let g = &mut g[r * width..(r + 1) * width];
                for (k, (gk, &v)) in g.iter_mut().zip(x).enumerate() {
                    let q = if k == label { on } else { off };
                    *gk = ((v - m - ln_sum).exp() - q) * scale;
                }
            }
        }
        Ok(T::from_f64(reduce(total, rows, self.reduction)))
    }
}

impl<T: Float> Loss<T> for SoftmaxCrossEntropy {
    super::masked_by_rows!();
    type Target = [usize];

    fn loss_and_grad(
        &self,
        output: &[T],
        width: usize,
        labels: &[usize],
        grad: &mut [T],
    ) -> Result<T> {
        self.eval(output, width, labels, Some(grad))
    }

    fn loss(&self, output: &[T], width: usize, labels: &[usize]) -> Result<T> {
        self.eval(output, width, labels, None)
    }

    super::mean_over_labels!();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loss::test_util::{assert_close, numeric_grad};

    fn ce(smoothing: LabelSmoothing, reduction: Reduction) -> SoftmaxCrossEntropy {
        SoftmaxCrossEntropy::new(smoothing, reduction).unwrap()
    }

    #[test]
    fn hand_computed_two_classes() {
        // Logits [0, 0] with label 0: softmax = [1/2, 1/2], loss = ln 2, gradient
        // [-1/2, 1/2]; two such rows with the mean: loss ln 2, gradient halved.
        let out = [0.0f64, 0.0, 0.0, 0.0];
        let mut g = [0.0; 4];
        let l = ce(LabelSmoothing::None, Reduction::Mean)
            .loss_and_grad(&out, 2, &[0, 1], &mut g)
            .unwrap();
        assert!((l - core::f64::consts::LN_2).abs() < 1e-15);
        assert_eq!(g, [-0.25, 0.25, 0.25, -0.25]);
        let l = ce(LabelSmoothing::None, Reduction::Sum)
            .loss_and_grad(&out, 2, &[0, 1], &mut g)
            .unwrap();
        assert!((l - 2.0 * core::f64::consts::LN_2).abs() < 1e-15);
        assert_eq!(g, [-0.5, 0.5, 0.5, -0.5]);
        // f32: logits [ln 3, 0], label 0 -> p = [3/4, 1/4], loss = ln(4/3).
        let out = [3.0f32.ln(), 0.0];
        let mut g = [0.0f32; 2];
        let l = ce(LabelSmoothing::None, Reduction::Mean)
            .loss_and_grad(&out, 2, &[0], &mut g)
            .unwrap();
        assert!((l - (4.0f32 / 3.0).ln()).abs() < 1e-6);
        assert!((g[0] + 0.25).abs() < 1e-6 && (g[1] - 0.25).abs() < 1e-6);
    }

    #[test]
    fn smoothing_forms_hand_computed() {
        // Uniform logits over K = 4: every class has p = 1/4, so the loss is ln 4 whatever
        // the target distribution, and the gradient is 1/4 - q.
        let out = [1.0f64; 4];
        let mut g = [0.0; 4];
        let l = ce(LabelSmoothing::PyTorch(0.2), Reduction::Sum)
            .loss_and_grad(&out, 4, &[2], &mut g)
            .unwrap();
        assert!((l - 4.0f64.ln()).abs() < 1e-15);
        // q = [0.05, 0.05, 0.85, 0.05]
        assert_close(&g, &[0.2, 0.2, -0.6, 0.2], 1e-15);
        ce(LabelSmoothing::OtherClasses(0.3), Reduction::Sum)
            .loss_and_grad(&out, 4, &[2], &mut g)
            .unwrap();
        // q = [0.1, 0.1, 0.7, 0.1]
        assert_close(&g, &[0.15, 0.15, -0.45, 0.15], 1e-15);
        // Logits [0, ln 3] label 0, eps/(K-1) smoothing 0.1 over 2 classes: q = [0.9, 0.1],
        // loss = 0.9 ln 4 + 0.1 ln(4/3).
        let l = ce(LabelSmoothing::OtherClasses(0.1), Reduction::Mean)
            .loss(&[0.0f64, 3.0f64.ln()], 2, &[0])
            .unwrap();
        assert!((l - (0.9 * 4.0f64.ln() + 0.1 * (4.0f64 / 3.0).ln())).abs() < 1e-15);
    }

    #[test]
    fn gradient_matches_central_differences() {
        let out = [
            0.3f64, -1.2, 2.0, 0.1, 0.5, -0.4, 1.1, 0.0, -2.5, 0.7, 0.9, 0.2,
        ];
        let labels = [2, 0, 3];
        for sm in [
            LabelSmoothing::None,
            LabelSmoothing::PyTorch(0.1),
            LabelSmoothing::OtherClasses(0.25),
        ] {
            for red in [Reduction::Mean, Reduction::Sum] {
                let loss = ce(sm, red);
                let mut g = [0.0; 12];
                loss.loss_and_grad(&out, 4, &labels, &mut g).unwrap();
                let num = numeric_grad(&out, 1e-5, |x| loss.loss(x, 4, &labels).unwrap());
                assert_close(&g, &num, 1e-8);
            }
        }
    }

    #[test]
    fn stable_for_huge_logits() {
        let out = [1000.0f32, 0.0, -1000.0, 1000.0];
        let mut g = [0.0f32; 4];
        let l = ce(LabelSmoothing::None, Reduction::Sum)
            .loss_and_grad(&out, 2, &[0, 0], &mut g)
            .unwrap();
        // Row 1: loss ~ e^-1000 = 0; row 2: loss = 2000.
        assert_eq!(l, 2000.0);
        assert_eq!(g, [0.0, 0.0, -1.0, 1.0]);
        let l = ce(LabelSmoothing::None, Reduction::Mean)
            .loss(&[1000.0f64, 1000.0], 2, &[1])
            .unwrap();
        assert!((l - core::f64::consts::LN_2).abs() < 1e-15);
    }

    #[test]
    fn non_finite_logits_propagate() {
        let mut g = [0.0f64; 2];
        let l = ce(LabelSmoothing::None, Reduction::Mean)
            .loss_and_grad(&[f64::NAN, 0.0], 2, &[1], &mut g)
            .unwrap();
        assert!(l.is_nan() && g.iter().all(|v| v.is_nan()));
    }

    /// From `tools/reference/losses.py` (torch 2.15): logits REF_LOGITS (3 x 4), labels
    /// [2, 0, 3].
    #[test]
    fn matches_pytorch() {
        let labels = [2usize, 0, 3];
        let cases = [
            (
                LabelSmoothing::None,
                Reduction::Mean,
                REF_CE_MEAN,
                &REF_CE_MEAN_GRAD,
            ),
            (
                LabelSmoothing::None,
                Reduction::Sum,
                REF_CE_SUM,
                &REF_CE_SUM_GRAD,
            ),
            (
                LabelSmoothing::PyTorch(0.1),
                Reduction::Mean,
                REF_CE_LS_MEAN,
                &REF_CE_LS_MEAN_GRAD,
            ),
            (
                LabelSmoothing::PyTorch(0.1),
                Reduction::Sum,
                REF_CE_LS_SUM,
                &REF_CE_LS_SUM_GRAD,
            ),
        ];
        for (sm, red, want, want_grad) in cases {
            let loss = ce(sm, red);
            let mut g = [0.0f64; 12];
            let l = loss.loss_and_grad(&REF_LOGITS, 4, &labels, &mut g).unwrap();
            assert!((l - want).abs() < 1e-14, "{sm:?} {red:?}: {l} vs {want}");
            assert_close(&g, want_grad, 1e-14);
            let logits32: Vec<f32> = REF_LOGITS.iter().map(|&v| v as f32).collect();
            let mut g32 = [0.0f32; 12];
            let l32 = loss.loss_and_grad(&logits32, 4, &labels, &mut g32).unwrap();
            assert!((l32 as f64 - want).abs() < 1e-5);
            let g32: Vec<f64> = g32.iter().map(|&v| v as f64).collect();
            assert_close(&g32, want_grad, 1e-5);
        }
    }

    // Printed by tools/reference/losses.py (torch 2.15.0), pasted unchanged.
    const REF_LOGITS: [f64; 12] = [
        0.5, -1.25, 2.0, 0.75, 3.0, 0.0, -2.5, 1.5, -0.3, 0.8, 0.1, -1.7,
    ];
    const REF_CE_MEAN: f64 = 1.2765515643346799;
    const REF_CE_MEAN_GRAD: [f64; 12] = [
        0.048034280433328275,
        0.008347106331704011,
        -0.11805862371373244,
        0.061677236948700156,
        -0.0723056988504791,
        0.012995800683899664,
        0.0010667602812543672,
        0.05824313788532507,
        0.058045841280455625,
        0.17437934420613213,
        0.08659421961754889,
        -0.31901940510413657,
    ];
    const REF_CE_SUM: f64 = 3.8296546930040396;
    const REF_CE_SUM_GRAD: [f64; 12] = [
        0.14410284129998482,
        0.025041318995112034,
        -0.3541758711411973,
        0.18503171084610048,
        -0.21691709655143732,
        0.038987402051699,
        0.0032002808437631017,
        0.17472941365597522,
        0.17413752384136688,
        0.5231380326183964,
        0.2597826588526467,
        -0.9570582153124098,
    ];
    const REF_CE_LS_MEAN: f64 = 1.3623848976680133;
    const REF_CE_LS_SUM: f64 = 4.08715469300404;
    const REF_CE_LS_SUM_GRAD: [f64; 12] = [
        0.11910284129998483,
        4.1318995112032963e-05,
        -0.27917587114119735,
        0.1600317108461005,
        -0.14191709655143736,
        0.013987402051698995,
        -0.0217997191562369,
        0.14972941365597522,
        0.1491375238413669,
        0.4981380326183964,
        0.23478265885264668,
        -0.8820582153124098,
    ];
    const REF_CE_LS_MEAN_GRAD: [f64; 12] = [
        0.03970094709999495,
        1.377299837067916e-05,
        -0.09305862371373243,
        0.05334390361536683,
        -0.04730569885047905,
        0.0046624673505663355,
        -0.007266573052078965,
        0.04990980455199175,
        0.0497125079471223,
        0.16604601087279883,
        0.07826088628421557,
        -0.2940194051041366,
    ];

    #[test]
    fn validation() {
        for eps in [-0.1, 1.0, f64::NAN] {
            assert!(matches!(
                SoftmaxCrossEntropy::new(LabelSmoothing::PyTorch(eps), Reduction::Mean),
                Err(KilnError::InvalidHyperParameter { .. })
            ));
            assert!(
                SoftmaxCrossEntropy::new(LabelSmoothing::OtherClasses(eps), Reduction::Mean)
                    .is_err()
            );
        }
        let loss = SoftmaxCrossEntropy::default();
        let mut g = [0.0f64; 4];
        assert_eq!(
            loss.loss_and_grad(&[0.0; 4], 2, &[0, 2], &mut g),
            Err(KilnError::LabelOutOfRange {
                index: 1,
                label: 2,
                classes: 2
            })
        );
        assert_eq!(g, [0.0; 4], "nothing written on error");
        assert!(matches!(
            loss.loss(&[0.0f64; 5], 2, &[0, 0]),
            Err(KilnError::LengthMismatch { .. })
        ));
        assert!(matches!(
            loss.loss(&[0.0f64; 4], 0, &[]),
            Err(KilnError::EmptyShape { .. })
        ));
        assert!(matches!(
            loss.loss(&[0.0f64; 0], 3, &[]),
            Err(KilnError::EmptyShape { .. })
        ));
        assert!(matches!(
            loss.loss(&[0.0f64; 4], 2, &[0]),
            Err(KilnError::LengthMismatch { .. })
        ));
        assert!(matches!(
            loss.loss_and_grad(&[0.0f64; 4], 2, &[0, 1], &mut [0.0; 3]),
            Err(KilnError::LengthMismatch { .. })
        ));
        let others_only = ce(LabelSmoothing::OtherClasses(0.1), Reduction::Mean);
        assert!(matches!(
            others_only.loss(&[0.0f64; 2], 1, &[0, 0]),
            Err(KilnError::InvalidHyperParameter { .. })
        ));
        // One class without smoothing: the loss is 0 (softmax of one logit is 1).
        assert_eq!(loss.loss(&[5.0f64, -3.0], 1, &[0, 0]), Ok(0.0));
    }
}
