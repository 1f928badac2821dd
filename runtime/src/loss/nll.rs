//! Negative log-likelihood on log-probabilities (PyTorch's `nn.NLLLoss`), for a network that
//! ends in `log_softmax`: `log_softmax` then `nll` is the same function as
//! `softmax_cross_entropy`, with the log-probabilities kept as the output.

use super::{check_output, Loss, Reduction};
use crate::error::{check_hyper, check_len, KilnError, Result};
use crate::float::Float;

/// Per row with log-probabilities `x` and label `y`: `-w_y x_y` (`w = 1` without class
/// weights); gradient `-w_y` at the label, 0 elsewhere. [`Reduction::Mean`] divides by the sum
/// of the rows' label weights (the row count without weights), as PyTorch does.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Nll {
    reduction: Reduction,
    class_weights: Option<Box<[f64]>>,
}

impl Nll {
    /// Unweighted negative log-likelihood reduced by `reduction`.
    pub const fn new(reduction: Reduction) -> Self {
        Nll {
            reduction,
            class_weights: None,
        }
    }

    /// One non-negative, finite weight per class, as PyTorch's `weight`.
    pub fn with_class_weights(mut self, weights: &[f64]) -> Result<Self> {
        if weights.is_empty() {
            return Err(KilnError::EmptyShape {
                what: "class weights",
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
        self.class_weights = Some(weights.into());
        Ok(self)
    }

    fn eval<T: Float>(
        &self,
        output: &[T],
        width: usize,
        labels: &[usize],
        grad: Option<&mut [T]>,
    ) -> Result<T> {
        let rows = check_output(output.len(), width)?;
        check_len("nll labels (one per row)", rows, labels.len())?;
        if let Some((index, &label)) = labels.iter().enumerate().find(|(_, &l)| l >= width) {
            return Err(KilnError::LabelOutOfRange {
                index,
                label,
                classes: width,
            });
        }
        if let Some(w) = &self.class_weights {
            check_len("class weights (one per output)", width, w.len())?;
        }
        let weight = |y: usize| self.class_weights.as_ref().map_or(1.0, |w| w[y]);
        let denom = match self.reduction {
            Reduction::Mean => labels.iter().map(|&y| weight(y)).sum::<f64>(),
            Reduction::Sum => 1.0,
        };
        let total: f64 = output
            .chunks_exact(width)
            .zip(labels)
            .map(|(x, &y)| -weight(y) * x[y].to_f64())
            .sum();
        if let Some(g) = grad {
            check_len("loss gradient", output.len(), g.len())?;
            g.fill(T::ZERO);
            for (r, &y) in labels.iter().enumerate() {
                g[r * width + y] = T::from_f64(-weight(y) / denom);
            }
        }
        Ok(T::from_f64(total / denom))
    }
}

impl<T: Float> Loss<T> for Nll {
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
