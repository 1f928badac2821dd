//! `loss: none`: an inference-only network still has forward, forward_train and backward.
use kiln::prelude::*;

network! {
    pub struct Embedder {
        input: [64],
        layers: [dense(32), gelu, dense(8)],
        output: [8],
        loss: none,
    }
}

fn main() {
    let mut rng = seeded(0);
    let mut net = Embedder::<f32>::new(&mut rng);
    let mut s = net.scratch();
    let x = vec![[0.1f32; 64]; 5];
    let mut y = vec![[0.0f32; 8]; 5];
    net.forward(&x, &mut y, &mut s).unwrap();
    let mut t = net.train_state(0);
    net.forward_train(&x, &mut t).unwrap();
    for row in t.output_grad_mut() {
        *row = [1.0; 8];
    }
    net.backward(&x, &mut t, None).unwrap();
}
