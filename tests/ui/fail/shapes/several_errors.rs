use kiln::prelude::*;

network! {
    pub struct Mlp {
        input: [64],
        layers: [dense(32), rleu, dropout(2.0), dense(16 -> 10, bias = maybe)],
        loss: softmax_cross_entropy,
    }
}

fn main() {}
