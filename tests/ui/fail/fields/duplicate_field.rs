use kiln::prelude::*;

network! {
    pub struct Mlp {
        input: [64],
        layers: [dense(32), relu, dense(10)],
        loss: softmax_cross_entropy,
        loss: mse,
    }
}

fn main() {}
