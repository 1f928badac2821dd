//! MobileNet (v1, Howard et al. 2017, "MobileNets: Efficient Convolutional Neural Networks
//! for Mobile Vision Applications"): a 3x3 stem, then 13 depthwise separable blocks (a 3x3
//! depthwise convolution, `groups` = channels, and a 1x1 pointwise one, each followed by batch
//! norm and ReLU), global average pooling and a dense head. Channels 32 -> 64 -> 128 -> 256 ->
//! 512 (x5) -> 1024; the strided blocks halve H and W.

/// `network!` with the depthwise separable block declared before the given network:
/// `separable(ci, co, s)` is a 3x3 depthwise convolution of stride `s` on `ci` channels and a
/// 1x1 convolution to `co`, each with batch norm and ReLU (no conv biases, as in the paper).
#[macro_export]
macro_rules! mobilenet_network {
    ($($net:tt)*) => {
        ::kiln::network! {
            block separable(ci, co, s) {
                conv2d(ci, 3, s, 1, groups = ci, bias = false), batch_norm2d, relu,
                conv2d(co, 1, bias = false), batch_norm2d, relu,
            }
            $($net)*
        }
    };
}

mobilenet_network! {
    /// MobileNet on 1x96x96: stem conv 32 k3 s2 (48x48), blocks down to 3x3, dense 10.
    pub struct MobileNet {
        input: [1, 96, 96],
        layers: [
            conv2d(32, 3, 2, 1, bias = false), batch_norm2d, relu,
            separable(32, 64, 1),
            separable(64, 128, 2), separable(128, 128, 1),
            separable(128, 256, 2), separable(256, 256, 1),
            separable(256, 512, 2),
            separable(512, 512, 1), separable(512, 512, 1), separable(512, 512, 1),
            separable(512, 512, 1), separable(512, 512, 1),
            separable(512, 1024, 2), separable(1024, 1024, 1),
            global_avg_pool,
            dense(10),
        ],
        output: [10],
        loss: softmax_cross_entropy,
    }
}

mobilenet_network! {
    /// MobileNet on 3x32x32 with a stride-1 stem (the usual CIFAR variant): blocks down to 2x2.
    pub struct MobileNetCifar {
        input: [3, 32, 32],
        layers: [
            conv2d(32, 3, 1, 1, bias = false), batch_norm2d, relu,
            separable(32, 64, 1),
            separable(64, 128, 2), separable(128, 128, 1),
            separable(128, 256, 2), separable(256, 256, 1),
            separable(256, 512, 2),
            separable(512, 512, 1), separable(512, 512, 1), separable(512, 512, 1),
            separable(512, 512, 1), separable(512, 512, 1),
            separable(512, 1024, 2), separable(1024, 1024, 1),
            global_avg_pool,
            dense(10),
        ],
        output: [10],
        loss: softmax_cross_entropy,
    }
}
