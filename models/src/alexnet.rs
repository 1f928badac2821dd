//! AlexNet (Krizhevsky, Sutskever and Hinton, 2012, "ImageNet Classification with Deep
//! Convolutional Neural Networks"): five convolutions and a 4096 -> 4096 head with dropout
//! 0.5, as a single tower (the paper splits the layers over two GPUs) and without the paper's
//! local response normalisation; one input channel and 10 classes instead of RGB and 1000.

use kiln::prelude::*;

network! {
    /// AlexNet on 1x224x224: conv 96 k11 s4 p1, max-pool 3/2; conv 256 k5 p2, max-pool 3/2;
    /// conv 384, 384, 256 k3 p1, max-pool 3/2; 6400 -> 4096 -> 4096 -> 10 with dropout 0.5.
    /// With a 224x224 input and padding 1 the maps are 54, 26, 12 and 5 wide: the last convs
    /// give 12x12 and the third pooling 5x5, so the head takes 256 x 5 x 5 = 6400 (the paper's
    /// 13x13 and 6x6, i.e. 9216 inputs, need a 227x227 input without padding).
    pub struct AlexNet {
        input: [1, 224, 224],
        layers: [
            conv2d(96, 11, 4, 1), relu, max_pool2d(3, 2),
            conv2d(256, 5, padding = 2), relu, max_pool2d(3, 2),
            conv2d(384, 3, padding = 1), relu,
            conv2d(384, 3, padding = 1), relu,
            conv2d(256, 3, padding = 1, shape = [256, 12, 12]), relu,
            max_pool2d(3, 2, shape = [256, 5, 5]),
            flatten(6400),
            dense(4096), relu, dropout(0.5),
            dense(4096), relu, dropout(0.5),
            dense(10),
        ],
        output: [10],
        loss: softmax_cross_entropy,
    }
}

network! {
    /// AlexNet on 3x32x32 (CIFAR-10): the same layers and widths with a 3x3 stride-1 first
    /// convolution; the maps go 32 -> 15 -> 7 -> 3, so the head takes 256 x 3 x 3 = 2304.
    pub struct AlexNetCifar {
        input: [3, 32, 32],
        layers: [
            conv2d(96, 3, padding = 1), relu, max_pool2d(3, 2),
            conv2d(256, 5, padding = 2), relu, max_pool2d(3, 2),
            conv2d(384, 3, padding = 1), relu,
            conv2d(384, 3, padding = 1), relu,
            conv2d(256, 3, padding = 1), relu,
            max_pool2d(3, 2, shape = [256, 3, 3]),
            flatten(2304),
            dense(4096), relu, dropout(0.5),
            dense(4096), relu, dropout(0.5),
            dense(10),
        ],
        output: [10],
        loss: softmax_cross_entropy,
    }
}
