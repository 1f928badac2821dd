//! Softmax cross-entropy at every position of a map (PyTorch's `nn.CrossEntropyLoss` on
//! `(N, K, H, W)` logits with `(N, H, W)` labels): a segmentation head's loss. Each sample's
//! output is `K` planes of `P = H W` positions (channel-major, as the network lays it out);
//! softmax runs over the `K` classes at each position, and the mean is over all `N P`
//! positions.

use super::{check_output, Loss, Reduction};
use crate::error::{check_len, KilnError, Result};
use crate::float::Float;

/// Cross-entropy over the classes at each of `positions` positions per sample.
#[derive(Debug, Clone, PartialEq)]
pub struct SpatialSoftmaxCrossEntropy {
    positions: usize,
    reduction: Reduction,
}

impl SpatialSoftmaxCrossEntropy {
    /// For outputs of `K * positions` values per sample (`positions = H W`).
    pub fn new(positions: usize, reduction: Reduction) -> Result<Self> {
        if positions == 0 {
            return Err(KilnError::EmptyShape {
                what: "positions per sample",
            });
        }
        Ok(SpatialSoftmaxCrossEntropy {
            positions,
            reduction,
        })
    }

    fn eval<T: Float>(
        &self,
        output: &[T],
        width: usize,
        labels: &[usize],
        mut grad: Option<&mut [T]>,
    ) -> Result<T> {
        let rows = check_output(output.len(), width)?;
        let p = self.positions;
        check_len(
            "per-position classes (output width / positions)",
            width / p * p,
            width,
        )?;
        let k = width / p;
        check_len(
            "per-position labels (one per sample and position)",
            rows * p,
            labels.len(),
        )?;
        if let Some(g) = grad.as_deref() {
            check_len("loss gradient", output.len(), g.len())?;
        }
        if let Some((index, &label)) = labels.iter().enumerate().find(|(_, &l)| l >= k) {
            return Err(KilnError::LabelOutOfRange {
                index,
                label,
                classes: k,
            });
        }
        let count = rows * p;
        let scale = match self.reduction {
            Reduction::Mean => 1.0 / count as f64,
            Reduction::Sum => 1.0,
        };
        let mut total = 0.0f64;
        for (r, x) in output.chunks_exact(width).enumerate() {
            for pos in 0..p {
                let at = |c: usize| x[c * p + pos].to_f64();
                let m = (0..k).map(at).fold(f64::NEG_INFINITY, f64::max);
                let ln_sum = (0..k).map(|c| (at(c) - m).exp()).sum::<f64>().ln();
                let label = labels[r * p + pos];
                total += ln_sum - (at(label) - m);
                if let Some(g) = grad.as_deref_mut() {
                    for c in 0..k {
                        let prob = (at(c) - m - ln_sum).exp();
                        let hit = if c == label { 1.0 } else { 0.0 };
                        g[r * width + c * p + pos] = T::from_f64((prob - hit) * scale);
                    }
                }
            }
        }
        Ok(T::from_f64(total * scale))
    }
}

impl<T: Float> Loss<T> for SpatialSoftmaxCrossEntropy {
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

    super::mean_over_terms!(|l, _| l.positions);
}
