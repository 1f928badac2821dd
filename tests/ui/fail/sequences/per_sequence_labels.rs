use kiln::prelude::*;

network! {
    pub struct Classifier {
        input: [seq, 3],
        layers: [lstm(8), last_step, dense(2)],
        output: [2],
        loss: mse,
    }
}

fn main() {
    let mut net = Classifier::<f32>::new(&mut seeded(1));
    let mut opt = kiln::runtime::optim::Sgd::new(0.1).unwrap();
    let mut t = net.train_state(1);
    let x = vec![[0.0f32; 3]; 4 * 2];
    // Targets are one row of 2 values per sequence, not per step: a row of 3 does not fit.
    let target = vec![[0.0f32; 3]; 2];
    net.train_step_seq(&x, 4, &target, &mut opt, &mut t).unwrap();
}
