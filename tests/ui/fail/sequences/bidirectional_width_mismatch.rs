use kiln::prelude::*;

network! {
    pub struct Tagger {
        input: [seq, 32],
        layers: [bidirectional(lstm(128), lstm(64)), dense(256 -> 10)],
        loss: softmax_cross_entropy,
    }
}

fn main() {}
