use kiln::prelude::*;

network! {
    pub struct Cnn {
        input: [1, 28, 28],
        layers: [Conv2d(6, 5), ReLU, maxpool2d(2), BatchNorm2d, flatten, Linear(10)],
        loss: softmax_cross_entropy,
    }
}

fn main() {}
