//! A labelled data set in memory: row-major features and one class label per sample.

use kiln_runtime::rng::{seeded, unit_f64};

use super::DataError;

/// Samples of `width` features each, with class labels.
///
/// ```
/// use kiln::data::Dataset;
///
/// # fn main() -> Result<(), kiln::data::DataError> {
/// // Ten samples of two features; sample `i` is `[2i, 2i + 1]`, labelled `i % 2`.
/// let data = Dataset {
///     features: (0..20).map(|v| v as f32).collect(),
///     labels: (0..10).map(|i| i % 2).collect(),
///     width: 2,
/// };
/// let (train, test) = data.split(0.8, 7)?; // seeded shuffle, then 80% / 20%
/// assert_eq!((train.len(), test.len(), data.classes()), (8, 2, 2));
/// let picked = data.select(&[3, 0]);
/// assert_eq!(picked.features, [6.0, 7.0, 0.0, 1.0]);
/// assert_eq!(picked.labels, [1, 0]);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// Row-major `[len, width]`.
    pub features: Vec<f32>,
    /// One class label per sample, in `0..classes`.
    pub labels: Vec<usize>,
    /// Features per sample.
    pub width: usize,
}

impl Dataset {
    /// Number of samples.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether the set has no samples.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Errors if the set is inconsistent (a feature count that is not samples x width, no
    /// features) or a feature is NaN or infinite.
    pub fn validate(&self) -> Result<(), DataError> {
        if self.width == 0 || self.features.len() != self.labels.len() * self.width {
            return Err(DataError::Invalid {
                what: "data set",
                why: format!(
                    "{} features for {} samples of width {}",
                    self.features.len(),
                    self.labels.len(),
                    self.width
                ),
            });
        }
        match self.features.iter().position(|v| !v.is_finite()) {
            None => Ok(()),
            Some(i) => Err(DataError::Invalid {
                what: "sample",
                why: format!(
                    "sample {}, feature {} is {}; features must be finite",
                    i / self.width.max(1),
                    i % self.width.max(1),
                    self.features[i]
                ),
            }),
        }
    }

    /// Number of classes (largest label + 1; `usize::MAX` if a label is `usize::MAX`).
    pub fn classes(&self) -> usize {
        self.labels.iter().max().map_or(0, |m| m.saturating_add(1))
    }

    /// Features of sample `i`.
    pub fn sample(&self, i: usize) -> &[f32] {
        &self.features[i * self.width..(i + 1) * self.width]
    }

    /// The features as fixed-width rows, for a network with `N` inputs.
    pub fn rows<const N: usize>(&self) -> Result<&[[f32; N]], DataError> {
        if N != self.width {
            return Err(DataError::Invalid {
                what: "sample width",
                why: format!(
                    "the data set has {} features per sample, the network takes {N}",
                    self.width
                ),
            });
        }
        Ok(self.features.as_chunks::<N>().0)
    }

    /// Multiplies every feature by `s` (e.g. 1/16 for the digits' 0..16 pixels).
    pub fn scale(&mut self, s: f32) {
        for v in &mut self.features {
            *v *= s;
        }
    }

    /// A seeded permutation of the samples (Fisher-Yates).
    pub fn shuffled(&self, seed: u64) -> Dataset {
        let order = permutation(self.len(), seed);
        self.select(&order)
    }

    /// The samples at `idx`, in that order.
    pub fn select(&self, idx: &[usize]) -> Dataset {
        let mut features = Vec::with_capacity(idx.len() * self.width);
        let mut labels = Vec::with_capacity(idx.len());
        for &i in idx {
            features.extend_from_slice(self.sample(i));
            labels.push(self.labels[i]);
        }
        Dataset {
            features,
            labels,
            width: self.width,
        }
    }

    /// A seeded shuffle, then the first `train_fraction` of samples for training and the rest
    /// held out.
    pub fn split(&self, train_fraction: f64, seed: u64) -> Result<(Dataset, Dataset), DataError> {
        let (order, n) = split_order(self.len(), train_fraction, seed)?;
        Ok((self.select(&order[..n]), self.select(&order[n..])))
    }
}

/// A seeded permutation of `0..len` and how many of its first entries are the training side
/// of a `train_fraction` split; errors if the fraction is outside (0, 1) or leaves a side empty.
pub(super) fn split_order(
    len: usize,
    train_fraction: f64,
    seed: u64,
) -> Result<(Vec<usize>, usize), DataError> {
    if !(train_fraction > 0.0 && train_fraction < 1.0) {
        return Err(DataError::Invalid {
            what: "train fraction",
            why: format!("must be in (0, 1), got {train_fraction}"),
        });
    }
    let n = ((len as f64) * train_fraction).round() as usize;
    if n == 0 || n == len {
        return Err(DataError::Invalid {
            what: "train fraction",
            why: format!("{train_fraction} of {len} samples leaves one side empty"),
        });
    }
    Ok((permutation(len, seed), n))
}

/// A seeded permutation of `0..n`, the same on every machine.
pub fn permutation(n: usize, seed: u64) -> Vec<usize> {
    let mut rng = seeded(seed);
    let mut order: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        let j = ((unit_f64(&mut rng) * (i + 1) as f64) as usize).min(i);
        order.swap(i, j);
    }
    order
}

impl Dataset {
    /// Consecutive mini-batches `(features, labels)`; the last one may be smaller.
    /// Works for any width, zero included, and any batch size (no `batch * width` product,
    /// which could overflow).
    pub fn batches(&self, batch: usize) -> impl Iterator<Item = (&[f32], &[usize])> {
        let batch = batch.max(1);
        self.labels.chunks(batch).enumerate().map(move |(i, y)| {
            // `i * batch + y.len() <= len`, so the offsets stay within `features.len()`.
            let start = i * batch * self.width;
            // Clamped, so a data set whose fields disagree (see `Samples::validate`) gives a
            // short batch that the network reports as a length error, never a panic here.
            let end = (start + y.len() * self.width).min(self.features.len());
            (&self.features[start.min(end)..end], y)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(width: usize, labels: Vec<usize>) -> Dataset {
        Dataset {
            features: (0..labels.len() * width).map(|v| v as f32).collect(),
            labels,
            width,
        }
    }

    #[test]
    fn batches_cover_every_sample_in_order() {
        let d = data(2, vec![0, 1, 2, 3, 4]);
        let b: Vec<_> = d.batches(2).collect();
        assert_eq!(b.len(), 3);
        assert_eq!(b[1], (&[4.0, 5.0, 6.0, 7.0][..], &[2, 3][..]));
        assert_eq!(b[2], (&[8.0, 9.0][..], &[4][..]));
        assert_eq!(d.batches(0).count(), 5);
        assert_eq!(d.batches(usize::MAX).count(), 1);
    }

    #[test]
    fn degenerate_widths_and_labels_do_not_panic() {
        // Found by fuzzing: `chunks(batch * width)` panicked for width 0 and overflowed for
        // huge widths; `classes` overflowed for a label of `usize::MAX`.
        let zero = data(0, vec![1, 0, 1]);
        let b: Vec<_> = zero.batches(2).collect();
        assert_eq!(b, [(&[][..], &[1, 0][..]), (&[][..], &[1][..])]);
        let wide = Dataset {
            features: Vec::new(),
            labels: Vec::new(),
            width: usize::MAX / 2,
        };
        assert_eq!(wide.batches(32).count(), 0);
        assert_eq!(data(1, vec![3, usize::MAX]).classes(), usize::MAX);
    }
}
