use kiln::prelude::*;

network! {
    pub struct Mlp {
        input: [64],
        layers: [dense(32, in_features = 64), relu(inplace = true), batch_norm(num_features = 32), dense(10)],
        loss: softmax_cross_entropy,
    }
}

fn main() {}
