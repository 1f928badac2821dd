//! Guides: from a first model to PyTorch interop, sequences, embedded targets, your own layers
//! and performance. Every example in them is compiled and run by `cargo test --doc`.

pub mod custom_layers;
pub mod embedding;
pub mod first_model;
pub mod from_pytorch;
pub mod performance;
pub mod sequences;
