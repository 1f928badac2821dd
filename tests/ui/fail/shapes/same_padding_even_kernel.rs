use kiln::prelude::*;

network! {
    pub struct Net {
        input: [3, 32, 32],
        layers: [conv2d(16, 4, padding = same), relu, global_avg_pool, dense(10)],
        loss: softmax_cross_entropy,
    }
}

fn main() {}
