use kiln::prelude::*;

network! {
    pub struct Mlp {
        input: [64],
        layers: [dense(32), relu, dense(10)],
        loss: hinge,
    }
}

fn main() {}
