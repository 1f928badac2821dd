use kiln::prelude::*;

network! {
    pub struct Tiny {
        input: [1, 4, 4],
        layers: [conv2d(8, 5), relu, flatten, dense(10)],
        loss: softmax_cross_entropy,
    }
}

fn main() {}
