use kiln::prelude::*;

network! {
    pub struct LeNetTypo {
        input: [1, 28, 28],
        layers: [
            conv2d(6, 5, padding = 2), relu, max_pool2d(2),
            conv2d(16, 5), relu, max_pool2d(2),
            flatten(256),
            dense(120), relu, dense(10),
        ],
        loss: softmax_cross_entropy,
    }
}

fn main() {}
