use kiln::prelude::*;

network! {
    pub struct Classifier {
        input: [seq, 3],
        layers: [lstm(8), last_step, dense(2)],
        output: [seq, 2],
        loss: softmax_cross_entropy,
    }
}

fn main() {}
