use kiln::prelude::*;

network! {
    pub struct Classifier {
        input: [seq, 3],
        layers: [gru(8), last_step, max_over_time, dense(2)],
        loss: softmax_cross_entropy,
    }
}

fn main() {}
