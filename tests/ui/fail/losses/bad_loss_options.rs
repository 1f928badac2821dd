use kiln::prelude::*;

network! {
    pub struct A { input: [4], layers: [dense(2)], loss: huber(delta = 0.0) }
}

network! {
    pub struct B { input: [4], layers: [dense(2)], loss: smooth_l1(beta = -1.0) }
}

network! {
    pub struct C { input: [4], layers: [dense(3)], loss: softmax_cross_entropy(weight = [1.0, -2.0, 1.0]) }
}

network! {
    pub struct D { input: [4], layers: [dense(3)], loss: softmax_cross_entropy(weight = [1.0, 2.0, 1.0], label_smoothing_others = 0.1) }
}

network! {
    pub struct E { input: [4], layers: [dense(3)], loss: bce_with_logits(pos_weight = 0.0) }
}

network! {
    pub struct F { input: [4], layers: [dense(3)], loss: hubber }
}

fn main() {}
