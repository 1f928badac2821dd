use kiln::prelude::*;

network! {
    block unit(n) { dense(n), rleu }
    pub struct Mlp {
        input: [64],
        layers: [unit(32), unit(32), dense(10)],
        loss: softmax_cross_entropy,
    }
}

fn main() {}
