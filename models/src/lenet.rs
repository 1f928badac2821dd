//! LeNet-5 (LeCun, Bottou, Bengio and Haffner, 1998, "Gradient-Based Learning Applied to
//! Document Recognition") on 1x28x28 images. The paper's input is 32x32 (MNIST's 28x28 digits
//! padded); padding 2 on the first convolution gives the same maps: 28x28, pooled to 14x14,
//! 10x10, pooled to 5x5, so the head takes 16 x 5 x 5 = 400.

use kiln::prelude::*;

network! {
    /// LeNet-5 in its modern form, with ReLU and max pooling (the one kiln benchmarks):
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
    /// LeNet-5 closer to the paper: sigmoid activations and average pooling. Still
    /// simplified: the paper uses a scaled tanh, subsampling with a trainable coefficient and
    /// bias, a partial connection table from S2 to C3 and Gaussian (RBF) output units.
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
