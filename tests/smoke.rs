use kiln::prelude::*;

network! {
    /// A two-hidden-layer classifier for 8x8 digits.
    pub struct DigitsMlp {
        input: [64],
        layers: [
            dense(128), relu,
            dropout(0.2),
            dense(128 -> 64), tanh,
            dense(10),
        ],
        output: [10],
        loss: softmax_cross_entropy,
    }
}

#[test]
fn builds_and_runs() {
    let mut rng = seeded(1);
    let net = DigitsMlp::<f32>::new(&mut rng);
    let mut s = net.scratch();
    let y = net.forward_one(&[0.5; 64], &mut s);
    assert!(y.iter().all(|v| v.is_finite()));
}
