use kiln::prelude::*;

network! {
    pub struct Net {
        input: [1, 28, 28],
        layers: [conv2d(6, 5), relu, dense(10)],
        loss: softmax_cross_entropy,
    }
}

fn main() {}
