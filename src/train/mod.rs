//! Training helpers: a progress display, classifier evaluation and training-curve plots.

mod evaluate;
mod options;
mod plot;
mod progress;

pub use evaluate::{evaluate_classifier, Evaluation};
pub use options::Options;
pub use plot::{render_svg, write_svg, Panel, Series};
pub use progress::Progress;
