use kiln::prelude::*;

network! {
    pub struct CharLm {
        input: [seq, 65],
        layers: [lstm(0), dense(65)],
        loss: softmax_cross_entropy,
    }
}

fn main() {}
