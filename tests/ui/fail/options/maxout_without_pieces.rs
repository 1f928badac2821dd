use kiln::prelude::*;

network! {
    pub struct Mlp {
        input: [64],
        layers: [maxout(32), dense(10)],
        loss: softmax_cross_entropy,
    }
}

fn main() {}
