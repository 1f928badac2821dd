//! Losses: each computes its value and its gradient with respect to the network's output in one
//! fused pass, over a row-major `[rows, width]` batch (a sample is a row).
//!
//! Conventions, as PyTorch's `nn.*Loss`:
//! - [`Reduction::Mean`] divides by the number of rows for [`SoftmaxCrossEntropy`] and by the
//!   number of elements for [`BceWithLogits`], [`Mse`] and [`Mae`]; [`Reduction::Sum`] does not
//!   divide. The gradient is that of the reduced value.
//! - A sequence loss averaged over time steps is [`SoftmaxCrossEntropy`] with
//!   [`Reduction::Mean`] over the `steps * batch` rows; [`perplexity`] is its exponential.
//! - Shapes and labels are validated (a [`KilnError`] names what is wrong,
//!   and nothing is written to `grad` then); an empty batch is an error, as its mean is 0/0.
//! - Values are not: NaN or infinite outputs propagate into the loss and the gradient (usually
//!   as NaN), so a diverging run shows up in the returned loss rather than as an error.
//! - Per-row work is done in `T`; the total is accumulated in f64 and rounded once.

mod bce_with_logits;
mod huber;
mod mae;
pub mod metrics;
mod mse;
mod nll;
mod perplexity;
mod softmax_cross_entropy;
mod spatial_ce;
mod weighted_ce;

pub use bce_with_logits::BceWithLogits;
pub use huber::{Huber, SmoothL1};
pub use mae::Mae;
pub use metrics::{accuracy, argmax_rows};
pub use mse::Mse;
pub use nll::Nll;
pub use perplexity::perplexity;
pub use softmax_cross_entropy::{LabelSmoothing, SoftmaxCrossEntropy};
pub use spatial_ce::SpatialSoftmaxCrossEntropy;

use crate::error::{check_len, KilnError, Result};
use crate::float::Float;

/// How per-sample losses are combined into one number (PyTorch's `reduction`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Reduction {
    /// Average: over rows for cross-entropy, over elements for the element-wise losses.
    #[default]
    Mean,
    /// Plain sum.
    Sum,
}

/// A loss over a row-major `[rows, width]` output.
///
/// ```
/// use kiln_runtime::loss::{Loss, Mse, Reduction};
///
/// // Two rows of one output each; PyTorch's `nn.MSELoss()` (mean over elements).
/// let mse = Mse::new(false, Reduction::Mean);
/// let (output, target) = ([1.0f64, 3.0], [0.0, 1.0]);
/// let mut grad = [0.0; 2];
/// let value = mse.loss_and_grad(&output, 1, &target, &mut grad).unwrap();
/// assert_eq!(value, (1.0 + 4.0) / 2.0);
/// assert_eq!(grad, [1.0, 2.0]); // 2 (x - y) / 2 elements
///
/// // The same loss with the second row masked out, as for a padding step.
/// let masked = mse
///     .loss_and_grad_masked(&output, 1, &target, &[true, false], &mut grad)
///     .unwrap();
/// assert_eq!(masked, 1.0);
/// assert_eq!(grad, [2.0, 0.0]);
///
/// // A target of the wrong length is an error, and `grad` is left alone.
/// assert!(mse.loss(&output, 1, &target[..1]).is_err());
/// ```
pub trait Loss<T: Float> {
    /// What the output is compared with: `[usize]` class labels (one per row) for
    /// cross-entropy, `[T]` (one per output element) for the others.
    type Target: ?Sized;

    /// Value of the loss over a row-major `[rows, width]` output, and its gradient w.r.t. the
    /// output written into `grad` (same length as output).
    fn loss_and_grad(
        &self,
        output: &[T],
        width: usize,
        target: &Self::Target,
        grad: &mut [T],
    ) -> Result<T>;

    /// Value of the loss alone (same validation as [`Loss::loss_and_grad`]).
    fn loss(&self, output: &[T], width: usize, target: &Self::Target) -> Result<T>;

    /// [`Loss::loss_and_grad`] over the rows with `keep[row]` only, as if the others were not
    /// in the batch (their gradient is zero): the loss of per-step outputs of sequences of
    /// different lengths, whose padding steps must not count. The built-in losses implement
    /// it; others return [`KilnError::NoMaskedLoss`].
    fn loss_and_grad_masked(
        &self,
        output: &[T],
        width: usize,
        target: &Self::Target,
        keep: &[bool],
        grad: &mut [T],
    ) -> Result<T> {
        let _ = (output, width, target, keep, grad);
        Err(KilnError::NoMaskedLoss)
    }

    /// [`Loss::loss_and_grad`] over every row, or [`Loss::loss_and_grad_masked`] over the
    /// `keep` ones when given: what a training pass calls with the rows its network kept.
    fn loss_and_grad_kept(
        &self,
        output: &[T],
        width: usize,
        target: &Self::Target,
        keep: Option<&[bool]>,
        grad: &mut [T],
    ) -> Result<T> {
        match keep {
            None => self.loss_and_grad(output, width, target, grad),
            Some(k) => self.loss_and_grad_masked(output, width, target, k, grad),
        }
    }

    /// What the loss of these rows (only the `keep` ones, when given) averages over:
    /// `Some(count)` for a mean (rows, elements, or the summed class weights of the labels),
    /// `None` for a plain sum. Data-parallel training weighs each replica's loss and
    /// gradient by its share of the global count, which makes the step equal to one over
    /// the whole batch. The built-in losses implement it; others return
    /// [`KilnError::NoMeanOver`].
    fn mean_over(
        &self,
        output_len: usize,
        width: usize,
        target: &Self::Target,
        keep: Option<&[bool]>,
    ) -> Result<Option<f64>> {
        let _ = (output_len, width, target, keep);
        Err(KilnError::NoMeanOver)
    }
}

/// Rows of an `output_len`-long output of `width` columns that count: the `keep` ones when
/// given, else all.
pub(crate) fn kept_rows(output_len: usize, width: usize, keep: Option<&[bool]>) -> usize {
    match keep {
        Some(k) => k.iter().filter(|&&k| k).count(),
        None => output_len / width.max(1),
    }
}

/// [`Loss::mean_over`] of a loss whose mean is over `per_row` terms of every kept row.
pub(crate) fn mean_over_rows(
    reduction: Reduction,
    output_len: usize,
    width: usize,
    keep: Option<&[bool]>,
    per_row: usize,
) -> Option<f64> {
    match reduction {
        Reduction::Mean => Some((kept_rows(output_len, width, keep) * per_row) as f64),
        Reduction::Sum => None,
    }
}

/// [`Loss::mean_over`] of a loss whose mean divides by the summed weights of the kept rows'
/// labels (all 1 without class weights).
pub(crate) fn mean_over_weighted(
    reduction: Reduction,
    labels: &[usize],
    keep: Option<&[bool]>,
    weight: impl Fn(usize) -> f64,
) -> Option<f64> {
    match reduction {
        Reduction::Mean => Some(
            labels
                .iter()
                .enumerate()
                .filter(|&(r, _)| keep.is_none_or(|k| k.get(r).copied().unwrap_or(false)))
                .map(|(_, &y)| weight(y))
                .sum(),
        ),
        Reduction::Sum => None,
    }
}

/// [`Loss::loss_and_grad_masked`] for a loss whose targets are a slice with the same number
/// of entries per row (class labels, per-element targets): the kept rows and their targets
/// are gathered, the loss runs on them, and their gradient is scattered back.
pub fn masked_rows<T: Float, X: Copy, L: Loss<T, Target = [X]> + ?Sized>(
    loss: &L,
    output: &[T],
    width: usize,
    target: &[X],
    keep: &[bool],
    grad: &mut [T],
) -> Result<T> {
    let rows = check_output(output.len(), width)?;
    check_len("loss row mask (one per row)", rows, keep.len())?;
    check_len("loss gradient", output.len(), grad.len())?;
    let per_row = target.len() / rows;
    check_len(
        "loss targets (the same number per row)",
        rows * per_row,
        target.len(),
    )?;
    let kept: Vec<usize> = (0..rows).filter(|&r| keep[r]).collect();
    grad.fill(T::ZERO);
    if kept.is_empty() {
        return Ok(T::ZERO);
    }
    let mut out = Vec::with_capacity(kept.len() * width);
    let mut tgt = Vec::with_capacity(kept.len() * per_row);
    for &r in &kept {
        out.extend_from_slice(&output[r * width..(r + 1) * width]);
        tgt.extend_from_slice(&target[r * per_row..(r + 1) * per_row]);
    }
    let mut g = vec![T::ZERO; out.len()];
    let value = loss.loss_and_grad(&out, width, &tgt, &mut g)?;
    for (&r, gr) in kept.iter().zip(g.chunks_exact(width)) {
        grad[r * width..(r + 1) * width].copy_from_slice(gr);
    }
    Ok(value)
}

/// The body of [`Loss::loss_and_grad_masked`] for the built-in losses (slice targets).
macro_rules! masked_by_rows {
    () => {
        fn loss_and_grad_masked(
            &self,
            output: &[T],
            width: usize,
            target: &Self::Target,
            keep: &[bool],
            grad: &mut [T],
        ) -> Result<T> {
            super::masked_rows(self, output, width, target, keep, grad)
        }
    };
}
pub(crate) use masked_by_rows;

/// [`Loss::mean_over`] of a built-in loss whose mean is over `per_row` terms of every kept
/// row (`self.reduction`; `per_row(self, width)` gives the terms).
macro_rules! mean_over_terms {
    ($per_row:expr) => {
        fn mean_over(
            &self,
            output_len: usize,
            width: usize,
            _target: &Self::Target,
            keep: Option<&[bool]>,
        ) -> Result<Option<f64>> {
            let per_row: fn(&Self, usize) -> usize = $per_row;
            let n = per_row(self, width);
            Ok(super::mean_over_rows(
                self.reduction,
                output_len,
                width,
                keep,
                n,
            ))
        }
    };
}
pub(crate) use mean_over_terms;

/// [`Loss::mean_over`] of a built-in loss over class labels whose mean divides by the summed
/// weights of the kept rows' labels (`self.class_weights`, all 1 without).
macro_rules! mean_over_labels {
    () => {
        fn mean_over(
            &self,
            _output_len: usize,
            _width: usize,
            labels: &[usize],
            keep: Option<&[bool]>,
        ) -> Result<Option<f64>> {
            let w = self.class_weights.as_deref();
            let weight = |y: usize| w.map_or(1.0, |w| w.get(y).copied().unwrap_or(0.0));
            Ok(super::mean_over_weighted(
                self.reduction,
                labels,
                keep,
                weight,
            ))
        }
    };
}
pub(crate) use mean_over_labels;

/// Checks that `output` is a non-empty `[rows, width]` matrix and returns `rows`.
pub(crate) fn check_output(len: usize, width: usize) -> Result<usize> {
    if width == 0 {
        return Err(KilnError::EmptyShape {
            what: "loss output width",
        });
    }
    if len == 0 {
        return Err(KilnError::EmptyShape {
            what: "loss output (no rows)",
        });
    }
    let rows = len / width;
    check_len("loss output (rows * width)", rows * width, len)?;
    Ok(rows)
}

/// Shared body of the element-wise losses: `f(x, y)` gives the loss of one element and its
/// derivative in `x`; the reduction divides both by the element count for the mean.
pub(crate) fn elementwise<T: Float>(
    output: &[T],
    width: usize,
    target: &[T],
    grad: Option<&mut [T]>,
    reduction: Reduction,
    f: impl Fn(T, T) -> (T, T),
) -> Result<T> {
    elementwise_mut(output, width, target, grad, reduction, f)
}

/// [`elementwise`] for an `f` that keeps state (a column counter), called once per element
/// in order.
pub(crate) fn elementwise_mut<T: Float>(
    output: &[T],
    width: usize,
    target: &[T],
    grad: Option<&mut [T]>,
    reduction: Reduction,
    mut f: impl FnMut(T, T) -> (T, T),
) -> Result<T> {
    check_output(output.len(), width)?;
    check_len("loss target", output.len(), target.len())?;
    if let Some(g) = grad.as_deref() {
        check_len("loss gradient", output.len(), g.len())?;
    }
    let n = output.len();
    let mut total = 0.0f64;
    match grad {
        Some(g) => {
            let scale = match reduction {
                Reduction::Mean => T::ONE / T::from_usize(n),
                Reduction::Sum => T::ONE,
            };
            for ((&x, &y), gi) in output.iter().zip(target).zip(g.iter_mut()) {
                let (l, d) = f(x, y);
                total += l.to_f64();
                *gi = d * scale;
            }
        }
        None => {
            for (&x, &y) in output.iter().zip(target) {
                total += f(x, y).0.to_f64();
            }
        }
    }
    Ok(T::from_f64(reduce(total, n, reduction)))
}

/// Applies the reduction to an f64 total over `count` terms.
#[inline]
pub(crate) fn reduce(total: f64, count: usize, reduction: Reduction) -> f64 {
    match reduction {
        Reduction::Mean => total / count as f64,
        Reduction::Sum => total,
    }
}

#[cfg(test)]
pub(crate) mod test_util {
    /// Central finite differences `(f(x+h) - f(x-h)) / 2h` of `f` at every coordinate of `x`.
    pub fn numeric_grad(x: &[f64], h: f64, f: impl Fn(&[f64]) -> f64) -> Vec<f64> {
        let mut xs = x.to_vec();
        (0..x.len())
            .map(|i| {
                let x0 = xs[i];
                xs[i] = x0 + h;
                let up = f(&xs);
                xs[i] = x0 - h;
                let down = f(&xs);
                xs[i] = x0;
                (up - down) / (2.0 * h)
            })
            .collect()
    }

    pub fn assert_close(a: &[f64], b: &[f64], tol: f64) {
        assert_eq!(a.len(), b.len());
        for (i, (x, y)) in a.iter().zip(b).enumerate() {
            assert!(
                (x - y).abs() <= tol * (1.0 + y.abs()),
                "index {i}: {x} vs {y} (tol {tol})"
            );
        }
    }
}

#[cfg(test)]
#[rustfmt::skip]
mod reference;

/// The weighted and robust losses against PyTorch (`tools/reference/weighted_losses.py`), and
/// their gradients against central differences.
#[cfg(test)]
mod weighted_tests {
    use super::reference as r;
    use super::test_util::{assert_close, numeric_grad};
    use super::*;

    fn check<L: Loss<f64>>(loss: &L, target: &L::Target, want: f64, want_grad: &[f64]) {
        let mut g = [0.0; 12];
        let l = loss.loss_and_grad(&r::X, 3, target, &mut g).unwrap();
        assert!(
            (l - want).abs() < 1e-13 * (1.0 + want.abs()),
            "{l} vs {want}"
        );
        assert_close(&g, want_grad, 1e-13);
        assert_eq!(loss.loss(&r::X, 3, target).unwrap(), l);
        let num = numeric_grad(&r::X, 1e-6, |x| loss.loss(x, 3, target).unwrap());
        assert_close(&g, &num, 1e-6);
    }

    #[test]
    fn class_weighted_cross_entropy_matches_pytorch() {
        let ce = |ls, red| {
            SoftmaxCrossEntropy::new(ls, red)
                .unwrap()
                .with_class_weights(&r::WEIGHT)
                .unwrap()
        };
        let none = LabelSmoothing::None;
        let smooth = LabelSmoothing::PyTorch(0.1);
        check(
            &ce(none, Reduction::Mean),
            &r::LABELS[..],
            r::CE_WEIGHTED_MEAN,
            &r::CE_WEIGHTED_MEAN_GRAD,
        );
        check(
            &ce(none, Reduction::Sum),
            &r::LABELS[..],
            r::CE_WEIGHTED_SUM,
            &r::CE_WEIGHTED_SUM_GRAD,
        );
        check(
            &ce(smooth, Reduction::Mean),
            &r::LABELS[..],
            r::CE_WEIGHTED_SMOOTH_MEAN,
            &r::CE_WEIGHTED_SMOOTH_MEAN_GRAD,
        );
        check(
            &ce(smooth, Reduction::Sum),
            &r::LABELS[..],
            r::CE_WEIGHTED_SMOOTH_SUM,
            &r::CE_WEIGHTED_SMOOTH_SUM_GRAD,
        );
        // Wrong weight count, the eps/(K-1) smoothing, negative weights: typed errors.
        let mut g = [0.0; 12];
        let two = SoftmaxCrossEntropy::default()
            .with_class_weights(&[1.0, 2.0])
            .unwrap();
        assert!(two.loss_and_grad(&r::X, 3, &r::LABELS, &mut g).is_err());
        let others_only =
            SoftmaxCrossEntropy::new(LabelSmoothing::OtherClasses(0.1), Reduction::Mean).unwrap();
        assert!(others_only.with_class_weights(&r::WEIGHT).is_err());
        assert!(SoftmaxCrossEntropy::default()
            .with_class_weights(&[1.0, -1.0])
            .is_err());
    }

    #[test]
    fn bce_with_pos_weight_matches_pytorch() {
        let per_column = BceWithLogits::new(Reduction::Mean)
            .with_pos_weight(&r::POS_WEIGHT)
            .unwrap();
        check(
            &per_column,
            &r::Y[..],
            r::BCE_POS_WEIGHT_MEAN,
            &r::BCE_POS_WEIGHT_MEAN_GRAD,
        );
        let scalar = BceWithLogits::new(Reduction::Sum)
            .with_pos_weight(&[2.5])
            .unwrap();
        check(
            &scalar,
            &r::Y[..],
            r::BCE_POS_WEIGHT_SCALAR_SUM,
            &r::BCE_POS_WEIGHT_SCALAR_SUM_GRAD,
        );
        assert!(BceWithLogits::new(Reduction::Mean)
            .with_pos_weight(&[0.0])
            .is_err());
        let two = BceWithLogits::new(Reduction::Mean)
            .with_pos_weight(&[1.0, 2.0])
            .unwrap();
        assert!(two.loss(&r::X, 3, &r::Y).is_err());
    }

    #[test]
    fn huber_and_smooth_l1_match_pytorch() {
        check(
            &Huber::new(0.7, Reduction::Mean).unwrap(),
            &r::Y[..],
            r::HUBER_MEAN,
            &r::HUBER_MEAN_GRAD,
        );
        check(
            &Huber::new(1.0, Reduction::Sum).unwrap(),
            &r::Y[..],
            r::HUBER_SUM,
            &r::HUBER_SUM_GRAD,
        );
        check(
            &SmoothL1::new(0.5, Reduction::Mean).unwrap(),
            &r::Y[..],
            r::SMOOTH_L1_MEAN,
            &r::SMOOTH_L1_MEAN_GRAD,
        );
        let mut g = [0.0; 12];
        let l1 = SmoothL1::new(0.0, Reduction::Mean).unwrap();
        let l = l1.loss_and_grad(&r::X, 3, &r::Y, &mut g).unwrap();
        assert!((l - r::SMOOTH_L1_ZERO_BETA_MEAN).abs() < 1e-13);
        assert_close(&g, &r::SMOOTH_L1_ZERO_BETA_MEAN_GRAD, 1e-13);
        assert!(Huber::new(0.0, Reduction::Mean).is_err());
    }

    #[test]
    fn per_position_cross_entropy_matches_pytorch() {
        // X as 2 samples of 3 classes x 2 positions; labels per sample and position.
        let loss = SpatialSoftmaxCrossEntropy::new(2, Reduction::Mean).unwrap();
        let labels = [2, 0, 1, 1];
        let mut g = [0.0; 12];
        let l = loss.loss_and_grad(&r::X, 6, &labels, &mut g).unwrap();
        assert!(
            (l - r::SPATIAL_CE_MEAN).abs() < 1e-13,
            "{l} vs {}",
            r::SPATIAL_CE_MEAN
        );
        assert_close(&g, &r::SPATIAL_CE_MEAN_GRAD, 1e-13);
        let num = numeric_grad(&r::X, 1e-6, |x| loss.loss(x, 6, &labels).unwrap());
        assert_close(&g, &num, 1e-6);
        assert!(loss.loss(&r::X, 6, &[0, 0, 0, 3]).is_err());
    }

    #[test]
    fn nll_matches_pytorch() {
        check(
            &Nll::new(Reduction::Mean),
            &r::LABELS[..],
            r::NLL_MEAN,
            &r::NLL_MEAN_GRAD,
        );
        let weighted = Nll::new(Reduction::Mean)
            .with_class_weights(&r::WEIGHT)
            .unwrap();
        check(
            &weighted,
            &r::LABELS[..],
            r::NLL_WEIGHTED_MEAN,
            &r::NLL_WEIGHTED_MEAN_GRAD,
        );
        let summed = Nll::new(Reduction::Sum)
            .with_class_weights(&r::WEIGHT)
            .unwrap();
        check(
            &summed,
            &r::LABELS[..],
            r::NLL_WEIGHTED_SUM,
            &r::NLL_WEIGHTED_SUM_GRAD,
        );
        let mut g = [0.0; 12];
        assert!(Nll::default()
            .loss_and_grad(&r::X, 3, &[0, 1, 3, 0], &mut g)
            .is_err());
        assert!(SmoothL1::new(-1.0, Reduction::Mean).is_err());
    }
}
