//! The element type is a generic parameter: the same declaration runs in f64.
use kiln::prelude::*;
use kiln::runtime::optim::Sgd;

network! {
    pub struct Regressor {
        input: [4],
        layers: [dense(16), tanh, layer_norm, dense(2)],
        output: [2],
        loss: mse,
    }
}

fn main() {
    let mut rng = seeded(3);
    let mut net = Regressor::<f64>::new(&mut rng);
    let mut s = net.scratch();
    let x: [[f64; 4]; 3] = [[0.1, 0.2, 0.3, 0.4]; 3];
    let mut y = [[0.0f64; 2]; 3];
    net.forward(&x, &mut y, &mut s).unwrap();
    let mut t = net.train_state(0);
    let mut opt = Sgd::new(0.1).unwrap();
    let loss: f64 = net
        .train_step(&x, &[[1.0, -1.0]; 3], &mut opt, &mut t)
        .unwrap();
    assert!(loss.is_finite());
    let _: f64 = net.eval_loss(&x, &[[1.0, -1.0]; 3], &mut s).unwrap();
}
