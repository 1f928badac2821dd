use kiln::prelude::*;

network! {
    pub struct CharLm {
        input: [seq, 65],
        layers: [lstm(256), dense(64)],
        output: [seq, 65],
        loss: softmax_cross_entropy,
    }
}

fn main() {}
