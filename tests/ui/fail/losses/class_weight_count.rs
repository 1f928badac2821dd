use kiln::prelude::*;

network! {
    pub struct Classifier {
        input: [16],
        layers: [dense(8), relu, dense(4)],
        loss: softmax_cross_entropy(weight = [1.0, 2.0, 0.5]),
    }
}

fn main() {}
