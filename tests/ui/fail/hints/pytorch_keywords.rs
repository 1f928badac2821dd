use kiln::prelude::*;

network! {
    pub struct Cnn {
        input: [1, 28, 28],
        layers: [
            conv2d(out_channels = 16, kernel_size = 3), relu,
            max_pool2d(kernel = 2),
            flatten,
            dropout(p = 0.5),
            dense(10),
        ],
        loss: softmax_cross_entropy,
    }
}

fn main() {}
