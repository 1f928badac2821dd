use kiln::prelude::*;

network! {
    block down(c, s) { conv2d(c, 3, s, 1), batch_norm2d, relu }
    pub struct Cnn {
        input: [3, 32, 32],
        layers: [down(32, 1), down(64, 2), down(128, 0), global_avg_pool, dense(10)],
        loss: softmax_cross_entropy,
    }
}

fn main() {}
