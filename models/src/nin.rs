//! Network in Network (Lin, Chen and Yan, 2014, "Network In Network"): NiN blocks (a
//! convolution followed by two 1x1 convolutions, the paper's "mlpconv" layer), max-pooling,
//! dropout 0.5, a last NiN block with one channel per class, and global average pooling in
//! place of dense layers. The widths (96, 256, 384) and kernels (11, 5, 3) follow AlexNet.

/// `network!` with the NiN block declared before the given network: `nin(c, k, s, p)` is
/// conv `c` kxk stride s padding p -> ReLU -> 1x1 conv -> ReLU -> 1x1 conv -> ReLU.
#[macro_export]
macro_rules! nin_network {
    ($($net:tt)*) => {
        ::kiln::network! {
            block nin(c, k, s, p) {
                conv2d(c, k, s, p), relu,
                conv2d(c, 1), relu,
                conv2d(c, 1), relu,
            }
            $($net)*
        }
    };
}

nin_network! {
    /// NiN on 1x224x224: maps 54 -> 26 -> 12 -> 5, then 10 x 5 x 5 averaged to 10 logits.
    pub struct Nin {
        input: [1, 224, 224],
        layers: [
            nin(96, 11, 4, 0), max_pool2d(3, 2),
            nin(256, 5, 1, 2), max_pool2d(3, 2),
            nin(384, 3, 1, 1), max_pool2d(3, 2),
            dropout(0.5),
            nin(10, 3, 1, 1),
            global_avg_pool,
        ],
        output: [10],
        loss: softmax_cross_entropy,
    }
}

nin_network! {
    /// NiN on 3x32x32 (CIFAR-10): a 3x3 first block; maps 32 -> 15 -> 7 -> 3.
    pub struct NinCifar {
        input: [3, 32, 32],
        layers: [
            nin(96, 3, 1, 1), max_pool2d(3, 2),
            nin(256, 5, 1, 2), max_pool2d(3, 2),
            nin(384, 3, 1, 1), max_pool2d(3, 2),
            dropout(0.5),
            nin(10, 3, 1, 1),
            global_avg_pool,
        ],
        output: [10],
        loss: softmax_cross_entropy,
    }
}
