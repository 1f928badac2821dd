use kiln::prelude::*;

network! {
    pub struct Net {
        input: [16, 8, 8],
        layers: [
            residual { conv2d(32, 3, stride = 2, padding = 1), batch_norm2d } shortcut { conv2d(32, 1) }, relu,
            global_avg_pool,
            dense(10),
        ],
        loss: softmax_cross_entropy,
    }
}

fn main() {}
