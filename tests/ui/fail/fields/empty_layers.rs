use kiln::prelude::*;

network! {
    pub struct Mlp {
        input: [64],
        layers: [],
        loss: softmax_cross_entropy,
    }
}

fn main() {}
