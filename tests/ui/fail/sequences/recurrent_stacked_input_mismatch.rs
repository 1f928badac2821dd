use kiln::prelude::*;

network! {
    pub struct Deep {
        input: [seq, 65],
        layers: [lstm(128), gru(64 -> 64), dense(65)],
        loss: softmax_cross_entropy,
    }
}

fn main() {}
