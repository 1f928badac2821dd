//! Classic architectures declared with `network!`, ready to train.

mod mlp;

pub use mlp::{DigitsMlp, DigitsMlpScratch, DigitsMlpTrain};
