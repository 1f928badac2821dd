use kiln::prelude::*;

network! {
    pub struct Lm {
        input: [seq(32), 65],
        layers: [lstm(64), dense(65)],
        output: [seq(16), 65],
        loss: softmax_cross_entropy,
    }
}

fn main() {}
