//! LeNet-5 [CS 6.6] on 1x28x28 images.

use kiln::prelude::*;

network! {
    /// LeNet-5 with ReLU and max pooling (the form of the benchmark workload T2):
    /// conv 1->6 k5 p2, ReLU, max-pool 2; conv 6->16 k5, ReLU, max-pool 2; 400 -> 120 -> 84 -> 10.
    pub struct LeNet5 {
        input: [1, 28, 28],
        layers: [
            conv2d(6, 5, padding = 2), relu, max_pool2d(2),
            conv2d(16, 5), relu, max_pool2d(2),
            flatten(400),
            dense(120), relu,
            dense(84), relu,
            dense(10),
        ],
        output: [10],
        loss: softmax_cross_entropy,
    }
}

network! {
    /// LeNet-5 as in the notes' companion code: sigmoid activations and average pooling.
    pub struct LeNet5Classic {
        input: [1, 28, 28],
        layers: [
            conv2d(6, 5, padding = 2), sigmoid, avg_pool2d(2),
            conv2d(16, 5), sigmoid, avg_pool2d(2),
            flatten(400),
            dense(120), sigmoid,
            dense(84), sigmoid,
            dense(10),
        ],
        output: [10],
        loss: softmax_cross_entropy,
    }
}
