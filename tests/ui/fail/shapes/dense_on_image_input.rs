use kiln::prelude::*;

network! {
    pub struct Digits {
        input: [1, 28, 28],
        layers: [dropout(0.1), dense(128), relu, dense(10)],
        loss: softmax_cross_entropy,
    }
}

fn main() {}
