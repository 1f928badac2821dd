use kiln::prelude::*;

network! {
    pub struct Classifier {
        input: [seq, 3],
        layers: [lstm(8), mean_over_time, lstm(8), dense(2)],
        loss: softmax_cross_entropy,
    }
}

fn main() {}
