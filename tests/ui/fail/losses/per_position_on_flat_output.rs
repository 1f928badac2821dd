use kiln::prelude::*;

network! {
    pub struct A { input: [8], layers: [dense(4)], loss: softmax_cross_entropy(per_position = true) }
}

network! {
    pub struct B { input: [1, 4, 4], layers: [conv2d(3, 1)], loss: softmax_cross_entropy(per_position = true, label_smoothing = 0.1) }
}

fn main() {}
