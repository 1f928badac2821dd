//! DenseNet (Huang, Liu, van der Maaten and Weinberger, 2017, "Densely Connected
//! Convolutional Networks"), in a small form: 4 dense blocks of 4 BN-ReLU-conv 3x3 layers
//! with growth rate 32 (DenseNet-121 has 6, 12, 24 and 16 layers per block, each with a 1x1
//! bottleneck), transitions halving the channels: 64 -> 192 -> 96 -> 224 -> 112 -> 240 ->
//! 120 -> 248.

/// `network!` with DenseNet's blocks declared before the given network: `dense_conv(g)`
/// concatenates its input with BN -> ReLU -> 3x3 conv p1 to `g` channels; `dense_block(g)` is
/// four of them; `transition(c)` is BN -> ReLU -> 1x1 conv to `c` -> 2x2 average pool.
#[macro_export]
macro_rules! densenet_network {
    ($($net:tt)*) => {
        ::kiln::network! {
            block dense_conv(g) { concat { [], [batch_norm2d, relu, conv2d(g, 3, padding = 1)] } }
            block dense_block(g) { dense_conv(g), dense_conv(g), dense_conv(g), dense_conv(g) }
            block transition(c) { batch_norm2d, relu, conv2d(c, 1), avg_pool2d(2) }
            $($net)*
        }
    };
}

densenet_network! {
    /// DenseNet on 1x96x96: stem conv 64 k7 s2 p3 + BN + ReLU + max-pool 3/2/1 (24x24); dense
    /// blocks at 24, 12, 6, 3; BN + ReLU; global average pooling; dense 10.
    pub struct DenseNet {
        input: [1, 96, 96],
        layers: [
            conv2d(64, 7, 2, 3), batch_norm2d, relu, max_pool2d(3, 2, 1),
            dense_block(32), transition(96),
            dense_block(32), transition(112),
            dense_block(32), transition(120),
            dense_block(32),
            batch_norm2d, relu,
            global_avg_pool,
            dense(10),
        ],
        output: [10],
        loss: softmax_cross_entropy,
    }
}

densenet_network! {
    /// DenseNet on 3x32x32 (CIFAR-10): stem conv 64 k3 p1 + BN + ReLU, no max-pool; dense
    /// blocks at 32, 16, 8, 4.
    pub struct DenseNetCifar {
        input: [3, 32, 32],
        layers: [
            conv2d(64, 3, padding = 1), batch_norm2d, relu,
            dense_block(32), transition(96),
            dense_block(32), transition(112),
            dense_block(32), transition(120),
            dense_block(32),
            batch_norm2d, relu,
            global_avg_pool,
            dense(10),
        ],
        output: [10],
        loss: softmax_cross_entropy,
    }
}
