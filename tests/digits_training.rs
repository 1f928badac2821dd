//! Real data: the digits MLP declared in kiln-models, trained on the bundled digits with a
//! seeded 80/20 split, must reach at least 95% held-out accuracy in a few epochs.

use kiln::data::digits;
use kiln::prelude::*;
use kiln::runtime::optim::Sgd;
use kiln::train::evaluate;
use kiln_models::DigitsMlp;

#[test]
fn digits_mlp_reaches_95_percent_held_out() {
    let mut data = digits().unwrap();
    data.scale(1.0 / 16.0);
    let (train, test) = data.split(0.8, 1).unwrap();
    assert_eq!((train.len(), test.len()), (1438, 359));
    let mut net = DigitsMlp::<f32>::new(&mut seeded(1));
    let before = evaluate(&net, &test, 128).unwrap();
    let mut opt = Sgd::new(0.05).unwrap().momentum(0.9).unwrap();
    let mut state = net.train_state(1);
    for epoch in 0..8 {
        let shuffled = train.shuffled(100 + epoch);
        for (x, labels) in shuffled.batches(32) {
            net.train_step(x.as_chunks::<64>().0, labels, &mut opt, &mut state)
                .unwrap();
        }
    }
    let after = evaluate(&net, &test, 128).unwrap();
    assert!(
        before.accuracy.unwrap_or(f64::NAN) < 0.3,
        "an untrained network guesses: {}",
        before.accuracy.unwrap_or(f64::NAN)
    );
    assert!(
        after.accuracy.unwrap_or(f64::NAN) >= 0.95,
        "held-out accuracy {:.4}",
        after.accuracy.unwrap_or(f64::NAN)
    );
    assert!(
        after.loss < before.loss / 5.0,
        "loss {} -> {}",
        before.loss,
        after.loss
    );
}
