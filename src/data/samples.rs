//! What the trainer draws mini-batches from: any set of samples that can copy a chosen subset
//! into a batch (rows time-major for sequences) with one class label per row.

use super::{DataError, Dataset, TextWindows};

/// What a data set's labels mean, which decides the metrics reported for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Task {
    /// One class per sample: accuracy and a confusion matrix.
    Classification,
    /// The next token at every step: accuracy and perplexity.
    LanguageModel,
}

/// A set of samples the trainer can batch.
pub trait Samples {
    /// Number of samples (sequences, for sequence data).
    fn len(&self) -> usize;
    /// Whether there are no samples.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Features per row (the network's per-step input width).
    fn width(&self) -> usize;
    /// Rows per sample: 1, or the time steps of each sequence.
    fn steps(&self) -> usize {
        1
    }
    /// What the labels mean.
    fn task(&self) -> Task;
    /// Errors if the set is inconsistent (e.g. a feature count that is not samples x width)
    /// or a feature is NaN or infinite (training on it would only produce NaN).
    fn validate(&self) -> Result<(), DataError> {
        Ok(())
    }
    /// Clears `x` and `labels`, then fills them with samples `idx`: `idx.len() * steps()` rows
    /// of `width()` features, time-major for sequences (step 0 of every sample first), and
    /// one label per row. Errors if an index is out of range.
    fn gather(
        &self,
        idx: &[usize],
        x: &mut Vec<f32>,
        labels: &mut Vec<usize>,
    ) -> Result<(), DataError>;
}

fn out_of_range(i: usize, len: usize) -> DataError {
    DataError::Invalid {
        what: "sample index",
        why: format!("{i} is outside a data set of {len} samples"),
    }
}

impl Samples for Dataset {
    fn len(&self) -> usize {
        self.labels.len()
    }
    fn width(&self) -> usize {
        self.width
    }
    fn task(&self) -> Task {
        Task::Classification
    }
    fn validate(&self) -> Result<(), DataError> {
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
    fn gather(
        &self,
        idx: &[usize],
        x: &mut Vec<f32>,
        labels: &mut Vec<usize>,
    ) -> Result<(), DataError> {
        x.clear();
        labels.clear();
        for &i in idx {
            let row = self.features.get(i * self.width..(i + 1) * self.width);
            match (row, self.labels.get(i)) {
                (Some(row), Some(&label)) => {
                    x.extend_from_slice(row);
                    labels.push(label);
                }
                _ => return Err(out_of_range(i, self.labels.len())),
            }
        }
        Ok(())
    }
}

impl Samples for TextWindows {
    fn len(&self) -> usize {
        self.windows()
    }
    fn width(&self) -> usize {
        self.row_width()
    }
    fn steps(&self) -> usize {
        self.window_len()
    }
    fn task(&self) -> Task {
        Task::LanguageModel
    }
    fn gather(
        &self,
        idx: &[usize],
        x: &mut Vec<f32>,
        labels: &mut Vec<usize>,
    ) -> Result<(), DataError> {
        x.clear();
        labels.clear();
        if let Some(&i) = idx.iter().find(|&&i| i >= self.windows()) {
            return Err(out_of_range(i, self.windows()));
        }
        for t in 0..self.window_len() {
            for &i in idx {
                self.push_step(i, t, x, labels);
            }
        }
        Ok(())
    }
}
