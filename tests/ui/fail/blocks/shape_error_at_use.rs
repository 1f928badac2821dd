use kiln::prelude::*;

network! {
    block down(c) { conv2d(c, 5), relu, max_pool2d(2) }
    pub struct Cnn {
        input: [1, 28, 28],
        layers: [down(8), down(16), down(32), flatten, dense(10)],
        loss: softmax_cross_entropy,
    }
}

fn main() {}
