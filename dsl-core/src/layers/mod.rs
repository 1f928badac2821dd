//! One module per layer kind, each holding the kind's argument parsing, its shape rule, its
//! tensors, its embedded form and the code it emits. The kinds are listed once, in
//! `crate::registry`, from which every list of names is derived.

pub mod activation;
pub mod batch_norm;
pub mod batch_norm2d;
pub mod compose;
pub mod conv2d;
pub mod custom;
pub mod dense;
pub mod dropout;
pub mod embedding;
pub mod flatten;
pub mod layer_norm;
pub mod maxout;
pub mod over_time;
pub mod pool2d;
pub mod prelu;
pub mod recurrent;
pub mod softmax;
pub mod window;
