//! Classic architectures declared with `network!`, ready to train.

mod lenet;
mod mlp;

pub use lenet::{LeNet5, LeNet5Classic};
pub use mlp::DigitsMlp;
