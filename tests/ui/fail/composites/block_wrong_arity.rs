use kiln::prelude::*;

network! {
    block vgg(n, c) { conv2d(c, 3, padding = 1), relu, max_pool2d(2) }
    pub struct Net {
        input: [3, 32, 32],
        layers: [vgg(1, 64), vgg(128), global_avg_pool, dense(10)],
        loss: softmax_cross_entropy,
    }
}

fn main() {}
