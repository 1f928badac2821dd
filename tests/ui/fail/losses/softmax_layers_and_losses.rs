use kiln::prelude::*;

network! {
    pub struct A { input: [8], layers: [dense(4), softmax], loss: softmax_cross_entropy }
}

network! {
    pub struct B { input: [8], layers: [dense(4), log_softmax], loss: softmax_cross_entropy }
}

network! {
    pub struct C { input: [8], layers: [dense(4)], loss: nll }
}

network! {
    pub struct D { input: [8], layers: [dense(4), log_softmax], loss: nll(weight = [1.0, 2.0]) }
}

fn main() {}
