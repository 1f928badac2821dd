use kiln::prelude::*;

network! {
    pub struct Lm {
        input: [sequence, 65],
        layers: [lstm(128), dense(65)],
        output: [seq, 65],
        loss: softmax_cross_entropy,
    }
}

fn main() {}
