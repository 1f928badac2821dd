use kiln::prelude::*;

network! {
    pub struct Mlp {
        input: [64]
        layers: [dense(10)],
        loss: softmax_cross_entropy,
    }
}

fn main() {
    let _net = Mlp::<f32>::new(&mut seeded(1));
}
