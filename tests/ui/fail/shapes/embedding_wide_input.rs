use kiln::prelude::*;

network! {
    pub struct CharLm {
        input: [seq, 65],
        layers: [embedding(65, 32), lstm(128), dense(65)],
        loss: softmax_cross_entropy,
    }
}

fn main() {}
