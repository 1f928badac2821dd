use kiln::prelude::*;

network! {
    pub struct Classifier {
        input: [seq, 8],
        layers: [lstm(32), dense(2)],
        output: [2],
        loss: softmax_cross_entropy,
    }
}

fn main() {}
