use kiln::prelude::*;

network! {
    pub struct Mlp {
        input: [8],
        layers: [dense(4), relu, last_step, dense(2)],
        loss: softmax_cross_entropy,
    }
}

fn main() {}
