use kiln::prelude::*;

network! {
    block head(n) { last_step, dense(n) }
    pub struct Classifier {
        input: [seq, 3],
        layers: [lstm(8), head(2)],
        loss: softmax_cross_entropy,
    }
}

fn main() {}
