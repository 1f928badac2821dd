use kiln::prelude::*;

network! {
    pub struct Mlp {
        input: [64],
        layers: [residual { dense(32), relu, dense(32) }, dense(10)],
        loss: softmax_cross_entropy,
    }
}

fn main() {}
