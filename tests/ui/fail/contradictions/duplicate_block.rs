use kiln::prelude::*;

network! {
    block unit(n) { dense(n), relu }
    block unit(n) { dense(n), tanh }
    pub struct Mlp {
        input: [64],
        layers: [unit(32), dense(10)],
        loss: softmax_cross_entropy,
    }
}

fn main() {}
