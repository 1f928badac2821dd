use kiln::prelude::*;

network! {
    pub struct Mlp {
        input: [64],
        layers: [dense(32), relu, dense(10)],
        outputs: [10],
        loss: softmax_cross_entropy,
    }
}

fn main() {}
