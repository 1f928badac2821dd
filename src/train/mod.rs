//! Training: the [`Fit`] loop (progress, validation metrics of the task, early stopping,
//! learning-rate reduction on plateaus, checkpoints, training-curve plots, callbacks),
//! evaluation, and the command-line options the examples share.

mod across;
mod batch_memory;
mod confusion;
mod early_stopping;
mod error;
mod evaluate;
mod fingerprint;
mod fit;
mod history;
mod launch;
mod loss_spikes;
mod metrics;
mod options;
mod plateau;
mod plot;
mod progress;
mod tally;

pub use confusion::Confusion;
pub use early_stopping::EarlyStopping;
pub use error::TrainError;
pub use evaluate::evaluate;
pub use fit::{best_path, Control, Fit};
pub use history::{EpochRecord, History};
pub use launch::launched_processes;
pub use metrics::{LabelScore, Metric, Metrics};
pub use options::{exit_code, Options};
pub use plateau::{ReduceLrOnPlateau, Threshold};
pub use plot::{render_svg, write_svg, Panel, Series};
pub use progress::Progress;
pub use tally::{Tally, TargetKind};
