use kiln::prelude::*;

network! {
    pub struct Net {
        input: [8, 12, 12],
        layers: [
            concat { [conv2d(4, 1)], [conv2d(4, 3)], [max_pool2d(3, 1, 1)] },
            global_avg_pool,
            dense(10),
        ],
        loss: softmax_cross_entropy,
    }
}

fn main() {}
