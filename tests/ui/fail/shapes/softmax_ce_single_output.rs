use kiln::prelude::*;

network! {
    pub struct Scorer {
        input: [16],
        layers: [dense(8), relu, dense(1)],
        loss: softmax_cross_entropy,
    }
}

fn main() {}
