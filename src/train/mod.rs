//! Training helpers: a progress display and classifier evaluation.

mod evaluate;
mod progress;

pub use evaluate::{evaluate_classifier, Evaluation};
pub use progress::Progress;
