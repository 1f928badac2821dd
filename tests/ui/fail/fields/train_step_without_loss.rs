use kiln::prelude::*;
use kiln::runtime::optim::Sgd;

network! {
    pub struct Embedder {
        input: [64],
        layers: [dense(32), tanh, dense(8)],
        loss: none,
    }
}

fn main() {
    let mut rng = seeded(0);
    let mut net = Embedder::<f32>::new(&mut rng);
    let mut t = net.train_state(0);
    let x = vec![[0.0f32; 64]; 4];
    let target = vec![[0.0f32; 8]; 4];
    let mut opt = Sgd::new(0.1).unwrap();
    net.train_step(&x, &target, &mut opt, &mut t).unwrap();
}
