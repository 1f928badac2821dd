//! Training helpers: a progress display and classifier evaluation.

mod evaluate;
mod options;
mod progress;

pub use evaluate::{evaluate_classifier, Evaluation};
pub use options::Options;
pub use progress::Progress;
