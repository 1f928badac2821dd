//! VGG-11 (Simonyan and Zisserman, 2015, "Very Deep Convolutional Networks for Large-Scale
//! Image Recognition", configuration A): VGG blocks (1, 64), (1, 128), (2, 256), (2, 512),
//! (2, 512) of 3x3 convolutions, each block ending in a 2x2 max-pool, then a 4096 -> 4096 ->
//! 10 head with dropout 0.5; one input channel and 10 classes instead of RGB and 1000.

/// `network!` with the VGG blocks declared before the given network: `vgg1(c)` is one
/// 3x3 conv (padding 1) to `c` channels + ReLU, then a 2x2 max-pool; `vgg2(c)` has two convs.
#[macro_export]
macro_rules! vgg_network {
    ($($net:tt)*) => {
        ::kiln::network! {
            block vgg1(c) { conv2d(c, 3, padding = 1), relu, max_pool2d(2) }
            block vgg2(c) {
                conv2d(c, 3, padding = 1), relu,
                conv2d(c, 3, padding = 1), relu,
                max_pool2d(2),
            }
            $($net)*
        }
    };
}

vgg_network! {
    /// VGG-11 on 1x224x224: five blocks halve the maps to 7x7, head 25088 -> 4096 -> 4096 -> 10.
    pub struct Vgg11 {
        input: [1, 224, 224],
        layers: [
            vgg1(64), vgg1(128), vgg2(256), vgg2(512), vgg2(512),
            flatten(25088),
            dense(4096), relu, dropout(0.5),
            dense(4096), relu, dropout(0.5),
            dense(10),
        ],
        output: [10],
        loss: softmax_cross_entropy,
    }
}

vgg_network! {
    /// VGG-11 on 3x32x32 (CIFAR-10): the same blocks take the maps to 1x1, head 512 -> 4096 ->
    /// 4096 -> 10.
    pub struct Vgg11Cifar {
        input: [3, 32, 32],
        layers: [
            vgg1(64), vgg1(128), vgg2(256), vgg2(512), vgg2(512),
            flatten(512),
            dense(4096), relu, dropout(0.5),
            dense(4096), relu, dropout(0.5),
            dense(10),
        ],
        output: [10],
        loss: softmax_cross_entropy,
    }
}
