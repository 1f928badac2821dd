use kiln::prelude::*;

network! {
    pub struct A {
        input: [-1, 784],
        layers: [dense(10)],
        loss: softmax_cross_entropy,
    }
}

network! {
    pub struct B {
        input: [batch, 784],
        layers: [dense(10)],
        loss: softmax_cross_entropy,
    }
}

fn main() {}
