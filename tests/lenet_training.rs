//! Real data: LeNet-5 from kiln-models on a seeded split of the bundled MNIST test set, a
//! shorter run than the example (3,000 training images, 2 epochs, cosine decay), must pass 93% held out.

use kiln::data::mnist_t10k;
use kiln::prelude::*;
use kiln::runtime::optim::Sgd;
use kiln::runtime::schedule::{apply, Cosine};
use kiln::train::evaluate;
use kiln_models::LeNet5;

#[test]
fn lenet5_learns_mnist() {
    let (train, test) = mnist_t10k().unwrap().split(0.9, 1).unwrap();
    let train = train.select(&(0..3000).collect::<Vec<_>>());
    let mut net = LeNet5::<f32>::new(&mut seeded(1));
    let mut opt = Sgd::new(0.05).unwrap().momentum(0.9).unwrap();
    let mut state = net.train_state(1);
    let schedule = Cosine::new(0.05, 2 * 3000u64.div_ceil(64), 0.0).unwrap();
    let mut step = 0;
    for epoch in 0..2 {
        for (x, labels) in train.shuffled(10 + epoch).batches(64) {
            apply(&schedule, &mut opt, step).unwrap();
            step += 1;
            net.train_step(x.as_chunks::<784>().0, labels, &mut opt, &mut state)
                .unwrap();
        }
    }
    let eval = evaluate(&net, &test, 500).unwrap();
    eprintln!("held-out accuracy {:.4}", eval.accuracy.unwrap_or(f64::NAN));
    assert!(
        eval.accuracy.unwrap_or(f64::NAN) >= 0.93,
        "held-out accuracy {:.4}",
        eval.accuracy.unwrap_or(f64::NAN)
    );
}
