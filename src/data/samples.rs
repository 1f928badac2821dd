//! What the trainer draws mini-batches from: any set of samples that can copy a chosen subset
//! into a batch (rows time-major for sequences) with its targets: class labels (`usize`) or
//! float targets of the network's float type.

use kiln_runtime::float::Float;

use super::{DataError, Dataset, Scaler, Table, TextWindows};

/// What a data set's labels mean, which decides the metrics reported for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Task {
    /// One class per sample: accuracy and a confusion matrix.
    Classification,
    /// The next token at every step: accuracy and perplexity.
    LanguageModel,
    /// Float targets: RMSE, MAE and R² (in the targets' own units when they were scaled).
    Regression,
    /// Independent 0/1 labels, one output logit each: per-label F1 and accuracy.
    MultiLabel,
}

/// A set of samples the trainer can batch into `T` features and `Y` targets (`usize` class
/// labels, or `T` float targets).
pub trait Samples<T: Float = f32, Y = usize> {
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
    /// Errors if a target cannot be one of a network with `outputs` outputs (a class label
    /// `>= outputs`), naming the sample; checked before training, so a bad label is not
    /// found mid-run by its place in a mini-batch.
    fn check_targets(&self, _outputs: usize) -> Result<(), DataError> {
        Ok(())
    }
    /// How the targets were scaled, so metrics can be reported in the data's own units.
    fn target_scaler(&self) -> Option<&Scaler> {
        None
    }
    /// Clears `x` and `targets`, then fills them with samples `idx`: `idx.len() * steps()`
    /// rows of `width()` features, time-major for sequences (step 0 of every sample first),
    /// and the targets of those rows (one label per row, or one value per output). Errors if
    /// an index is out of range.
    fn gather(&self, idx: &[usize], x: &mut Vec<T>, targets: &mut Vec<Y>) -> Result<(), DataError>;
}

fn out_of_range(i: usize, len: usize) -> DataError {
    DataError::Invalid {
        what: "sample index",
        why: format!("{i} is outside a data set of {len} samples"),
    }
}

impl<T: Float> Samples<T, usize> for Dataset {
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
        Dataset::validate(self)
    }
    fn check_targets(&self, outputs: usize) -> Result<(), DataError> {
        match self.labels.iter().position(|&l| l >= outputs) {
            None => Ok(()),
            Some(i) => Err(DataError::Invalid {
                what: "class label",
                why: format!(
                    "sample {i} (0-based) has label {}, but the network has {outputs} classes (0..{outputs}); load the file with LoadOptions::with_classes to have it reported by line",
                    self.labels[i]
                ),
            }),
        }
    }
    fn gather(
        &self,
        idx: &[usize],
        x: &mut Vec<T>,
        labels: &mut Vec<usize>,
    ) -> Result<(), DataError> {
        x.clear();
        labels.clear();
        for &i in idx {
            let row = self.features.get(i * self.width..(i + 1) * self.width);
            match (row, self.labels.get(i)) {
                (Some(row), Some(&label)) => {
                    x.extend(row.iter().map(|&v| T::from_f64(v as f64)));
                    labels.push(label);
                }
                _ => return Err(out_of_range(i, self.labels.len())),
            }
        }
        Ok(())
    }
}

impl<T: Float> Samples<T, usize> for TextWindows {
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
        x: &mut Vec<T>,
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

impl<T: Float> Samples<T, T> for Table {
    fn len(&self) -> usize {
        Table::len(self)
    }
    fn width(&self) -> usize {
        Table::width(self)
    }
    fn task(&self) -> Task {
        Table::task(self)
    }
    fn target_scaler(&self) -> Option<&Scaler> {
        Table::target_scaler(self)
    }
    fn gather(&self, idx: &[usize], x: &mut Vec<T>, y: &mut Vec<T>) -> Result<(), DataError> {
        self.gather_into(idx, x, y)
    }
}
