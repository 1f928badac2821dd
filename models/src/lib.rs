//! Classic architectures declared with `network!`, ready to train.
//!
//! Each convolutional model comes at the input size of the notes' companion code (d2l) and at
//! 3x32x32 (`*Cifar`), which trains here. The `*_network!` macros are `network!` with a
//! model's blocks declared first, so a variant of the same structure (e.g. narrower, for a
//! gradient check) reuses the blocks as they are.

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
