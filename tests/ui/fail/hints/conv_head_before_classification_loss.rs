use kiln::prelude::*;

network! {
    pub struct Cnn {
        input: [1, 28, 28],
        layers: [conv2d(6, 5), relu, max_pool2d(2), conv2d(10, 3)],
        loss: softmax_cross_entropy,
    }
}

fn main() {}
