//! Classic architectures declared with `network!`, ready to train.
//!
//! Each convolutional model but LeNet-5 (1x28x28) comes in two sizes: one grey channel at
//! the size "Dive into Deep Learning" (Zhang, Lipton, Li and Smola; d2l.ai) resizes
//! Fashion-MNIST to for it, 224x224 for AlexNet, VGG and NiN and 96x96 for GoogLeNet, ResNet
//! and DenseNet (MobileNet uses 96x96 too); and 3x32x32 (`*Cifar`, CIFAR-10), small enough
//! to train on a CPU. The layers follow the original papers, cited in each module, with the
//! simplifications noted there.
//!
//! The `*_network!` macros are `network!` with a model's blocks declared first, so a variant
//! of the same structure (e.g. narrower, for a gradient check) reuses the blocks as they are.

#![deny(missing_docs)]

mod alexnet;
mod charlm;
mod densenet;
mod googlenet;
mod lenet;
mod mlp;
mod mobilenet;
mod nin;
mod resnet;
mod vgg;

pub use alexnet::{AlexNet, AlexNetCifar};
pub use charlm::{CharLstm, ResidualLstm};
pub use densenet::{DenseNet, DenseNetCifar};
pub use googlenet::{GoogLeNet, GoogLeNetCifar};
pub use lenet::{LeNet5, LeNet5Classic};
pub use mlp::{DigitsMlp, MlpRegressor};
pub use mobilenet::{MobileNet, MobileNetCifar};
pub use nin::{Nin, NinCifar};
pub use resnet::{ResNet18, ResNet18Cifar};
pub use vgg::{Vgg11, Vgg11Cifar};
