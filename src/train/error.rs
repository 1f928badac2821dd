//! Errors of a training run: from the data, the network or optimiser, the checkpoint, the
//! plot, or the run's own settings; each says what failed.

use std::fmt;

use crate::checkpoint::CheckpointError;
use crate::data::DataError;

/// A training run stopped with an error.
#[derive(Debug)]
pub enum TrainError {
    /// A setting of the run or the data does not fit (names it and says why).
    Invalid {
        /// The setting, in words (e.g. `batch size`).
        what: &'static str,
        /// Why its value is rejected.
        why: String,
    },
    /// The network, loss or optimiser rejected a step.
    Kiln(kiln_runtime::KilnError),
    /// Reading or preparing data failed.
    Data(DataError),
    /// Saving or restoring a checkpoint failed.
    Checkpoint(CheckpointError),
    /// Writing the training-curve plot failed.
    Plot {
        /// The plot's path.
        file: String,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The loss became NaN or infinite at this step (1-based, counted over the whole run).
    Diverged {
        /// The epoch, counted from 1.
        epoch: usize,
        /// The optimiser step, counted from 1 over the whole run.
        step: u64,
        /// The loss that step computed (NaN or infinite).
        loss: f64,
    },
}

impl fmt::Display for TrainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrainError::Invalid { what, why } => write!(f, "invalid {what}: {why}"),
            TrainError::Kiln(e) => write!(f, "{e}"),
            TrainError::Data(e) => write!(f, "{e}"),
            TrainError::Checkpoint(e) => write!(f, "{e}"),
            TrainError::Plot { file, source } => write!(f, "{file}: {source}"),
            TrainError::Diverged { epoch, step, loss } => write!(
                f,
                "training diverged: the loss is {loss} at step {step} (epoch {epoch}); try a smaller learning rate or gradient clipping"
            ),
        }
    }
}

impl TrainError {
    /// Whether the run went non-finite (the loss, a gradient or an updated parameter): the
    /// network has been put back to its last good state.
    pub fn is_diverged(&self) -> bool {
        match self {
            TrainError::Diverged { .. } => true,
            TrainError::Kiln(e) => e.is_non_finite(),
            _ => false,
        }
    }
}

impl std::error::Error for TrainError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            TrainError::Kiln(e) => Some(e),
            TrainError::Data(e) => Some(e),
            TrainError::Checkpoint(e) => Some(e),
            TrainError::Plot { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl From<kiln_runtime::KilnError> for TrainError {
    fn from(e: kiln_runtime::KilnError) -> Self {
        TrainError::Kiln(e)
    }
}

impl From<DataError> for TrainError {
    fn from(e: DataError) -> Self {
        TrainError::Data(e)
    }
}

impl From<CheckpointError> for TrainError {
    fn from(e: CheckpointError) -> Self {
        TrainError::Checkpoint(e)
    }
}
