use kiln::prelude::*;

network! {
    pub struct Cnn {
        input: [28, 28, 1],
        layers: [conv2d(6, 5), relu, max_pool2d(2), flatten, dense(10)],
        loss: softmax_cross_entropy,
    }
}

fn main() {}
