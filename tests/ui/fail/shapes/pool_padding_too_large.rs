use kiln::prelude::*;

network! {
    pub struct Net {
        input: [1, 8, 8],
        layers: [max_pool2d(2, 2, 2), flatten, dense(10)],
        loss: softmax_cross_entropy,
    }
}

fn main() {}
