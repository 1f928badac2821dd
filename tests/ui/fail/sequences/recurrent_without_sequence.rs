use kiln::prelude::*;

network! {
    pub struct NotASequence {
        input: [65],
        layers: [lstm(256), dense(65)],
        loss: softmax_cross_entropy,
    }
}

fn main() {}
