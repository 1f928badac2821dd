//! GoogLeNet (Szegedy et al., 2015, "Going Deeper with Convolutions"): a stem, the paper's
//! nine Inception blocks with its channel table (Table 1, 3a to 5b; outputs 256, 480, 512,
//! 512, 512, 528, 832, 832, 1024), max-pools between the stages, global average pooling and
//! a dense layer. Left out: local response normalisation in the stem, the two auxiliary
//! classifiers and the dropout before the last layer.

/// `network!` with the Inception block declared before the given network:
/// `inception(c1, c2a, c2b, c3a, c3b, c4)` concatenates four paths on channels: 1x1 conv to
/// c1; 1x1 to c2a -> 3x3 p1 to c2b; 1x1 to c3a -> 5x5 p2 to c3b; 3x3 max-pool s1 p1 -> 1x1 to
/// c4; ReLU after every conv.
#[macro_export]
macro_rules! googlenet_network {
    ($($net:tt)*) => {
        ::kiln::network! {
            block inception(c1, c2a, c2b, c3a, c3b, c4) {
                concat {
                    [conv2d(c1, 1), relu],
                    [conv2d(c2a, 1), relu, conv2d(c2b, 3, padding = 1), relu],
                    [conv2d(c3a, 1), relu, conv2d(c3b, 5, padding = 2), relu],
                    [max_pool2d(3, 1, 1), conv2d(c4, 1), relu],
                }
            }
            $($net)*
        }
    };
}

googlenet_network! {
    /// GoogLeNet on 1x96x96: stem conv 64 k7 s2 p3, max-pool 3/2/1 (24x24); conv 64 k1, conv
    /// 192 k3 p1, max-pool (12x12); Inception x2, max-pool (6x6); x5, max-pool (3x3); x2; GAP.
    pub struct GoogLeNet {
        input: [1, 96, 96],
        layers: [
            conv2d(64, 7, 2, 3), relu, max_pool2d(3, 2, 1),
            conv2d(64, 1), relu, conv2d(192, 3, padding = 1), relu, max_pool2d(3, 2, 1),
            inception(64, 96, 128, 16, 32, 32),
            inception(128, 128, 192, 32, 96, 64),
            max_pool2d(3, 2, 1, shape = [480, 6, 6]),
            inception(192, 96, 208, 16, 48, 64),
            inception(160, 112, 224, 24, 64, 64),
            inception(128, 128, 256, 24, 64, 64),
            inception(112, 144, 288, 32, 64, 64),
            inception(256, 160, 320, 32, 128, 128),
            max_pool2d(3, 2, 1, shape = [832, 3, 3]),
            inception(256, 160, 320, 32, 128, 128),
            inception(384, 192, 384, 48, 128, 128),
            global_avg_pool,
            dense(10),
        ],
        output: [10],
        loss: softmax_cross_entropy,
    }
}

googlenet_network! {
    /// GoogLeNet on 3x32x32 (CIFAR-10): a 3x3 stride-1 stem conv and no stem max-pool, so
    /// the stages run at 16x16, 8x8 and 4x4; the rest as [`GoogLeNet`].
    pub struct GoogLeNetCifar {
        input: [3, 32, 32],
        layers: [
            conv2d(64, 3, padding = 1), relu,
            conv2d(64, 1), relu, conv2d(192, 3, padding = 1), relu, max_pool2d(3, 2, 1),
            inception(64, 96, 128, 16, 32, 32),
            inception(128, 128, 192, 32, 96, 64),
            max_pool2d(3, 2, 1, shape = [480, 8, 8]),
            inception(192, 96, 208, 16, 48, 64),
            inception(160, 112, 224, 24, 64, 64),
            inception(128, 128, 256, 24, 64, 64),
            inception(112, 144, 288, 32, 64, 64),
            inception(256, 160, 320, 32, 128, 128),
            max_pool2d(3, 2, 1, shape = [832, 4, 4]),
            inception(256, 160, 320, 32, 128, 128),
            inception(384, 192, 384, 48, 128, 128),
            global_avg_pool,
            dense(10),
        ],
        output: [10],
        loss: softmax_cross_entropy,
    }
}
