//! ResNet-18 (He, Zhang, Ren and Sun, 2016, "Deep Residual Learning for Image Recognition")
//! with the paper's basic residual block: `relu(bn2(conv2(relu(bn1(conv1(x))))) +
//! shortcut(x))`; 4 stages of 2 blocks (64, 128, 256, 512 channels). The first block of
//! stages 2-4 halves H and W and widens the channels, so its shortcut is a 1x1 conv of
//! stride 2 (the paper's option B: projections only where the shape changes); every other
//! block, both blocks of stage 1 included, keeps the shape and uses the identity shortcut.
//! Unlike torchvision's `resnet18`, the projection has no batch norm.

/// `network!` with the residual blocks declared before the given network: `basic(c)` keeps
/// the shape (identity shortcut), `down(c)` halves H and W with 3x3 stride 2 and a 1x1 conv
/// stride 2 shortcut to `c` channels.
#[macro_export]
macro_rules! resnet_network {
    ($($net:tt)*) => {
        ::kiln::network! {
            block basic(c) {
                residual {
                    conv2d(c, 3, padding = 1), batch_norm2d, relu,
                    conv2d(c, 3, padding = 1), batch_norm2d,
                },
                relu,
            }
            block down(c) {
                residual {
                    conv2d(c, 3, 2, 1), batch_norm2d, relu,
                    conv2d(c, 3, padding = 1), batch_norm2d,
                } shortcut { conv2d(c, 1, 2) },
                relu,
            }
            $($net)*
        }
    };
}

resnet_network! {
    /// ResNet-18 on 1x96x96: stem conv 64 k7 s2 p3 + BN + ReLU + max-pool 3/2/1 (24x24);
    /// stages at 24, 12, 6, 3; global average pooling; dense 10.
    pub struct ResNet18 {
        input: [1, 96, 96],
        layers: [
            conv2d(64, 7, 2, 3), batch_norm2d, relu, max_pool2d(3, 2, 1),
            basic(64), basic(64),
            down(128), basic(128),
            down(256), basic(256),
            down(512), basic(512),
            global_avg_pool,
            dense(10),
        ],
        output: [10],
        loss: softmax_cross_entropy,
    }
}

resnet_network! {
    /// ResNet-18 on 3x32x32 with the usual CIFAR-10 stem: conv 64 k3 p1 + BN + ReLU, no
    /// max-pool (the 7x7 stride-2 stem and the pool would leave 8x8 maps for stage 1);
    /// stages at 32, 16, 8, 4.
    pub struct ResNet18Cifar {
        input: [3, 32, 32],
        layers: [
            conv2d(64, 3, padding = 1), batch_norm2d, relu,
            basic(64), basic(64),
            down(128), basic(128),
            down(256), basic(256),
            down(512), basic(512),
            global_avg_pool,
            dense(10),
        ],
        output: [10],
        loss: softmax_cross_entropy,
    }
}
