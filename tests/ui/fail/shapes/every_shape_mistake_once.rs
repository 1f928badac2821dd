use kiln::prelude::*;

network! {
    pub struct Mlp {
        input: [784],
        layers: [dense(748 -> 256), relu, dense(128), relu, dense(126 -> 10)],
        output: [10],
        loss: softmax_cross_entropy,
    }
}

fn main() {}
