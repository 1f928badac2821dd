//! Training: the [`Fit`] loop (progress, validation metrics, early stopping, checkpoints,
//! training-curve plots, callbacks), evaluation, and the command-line options the examples
//! share.

mod early_stopping;
mod error;
mod fit;
mod history;
mod metrics;
mod options;
mod plot;
mod progress;

pub use early_stopping::{EarlyStopping, Monitor};
pub use error::TrainError;
pub use fit::{best_path, Control, Fit};
pub use history::{EpochRecord, History};
pub use metrics::{evaluate, Confusion, Metrics};
pub use options::Options;
pub use plot::{render_svg, write_svg, Panel, Series};
pub use progress::Progress;
