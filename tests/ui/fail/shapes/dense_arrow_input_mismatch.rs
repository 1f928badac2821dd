use kiln::prelude::*;

network! {
    pub struct Mlp {
        input: [64],
        layers: [dense(63 -> 10), relu, dense(2)],
        loss: softmax_cross_entropy,
    }
}

fn main() {}
