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

#[test]
fn fixed_batch_matches_runtime_batch() {
    let net = DigitsMlp::<f64>::new(&mut seeded(2));
    let mut s = net.scratch();
    let x: [[f64; 64]; 3] =
        std::array::from_fn(|i| std::array::from_fn(|j| ((i * 64 + j) % 17) as f64 / 17.0));
    let fixed = net.forward_fixed(&x, &mut s);
    let mut y = vec![[0.0; 10]; 3];
    net.forward(&x, &mut y, &mut s).unwrap();
    assert_eq!(fixed.to_vec(), y);
    // One sample alone may take another GEMM path than in a batch: equal up to rounding.
    let one = net.forward_one(&x[1], &mut s);
    for (a, b) in one.iter().zip(&y[1]) {
        assert!(
            (a - b).abs() <= 1e-12 * b.abs().max(1.0),
            "{one:?} vs {:?}",
            y[1]
        );
    }
    // Runtime-sized batches are checked.
    let e = net.forward(&x, &mut y[..2], &mut s).unwrap_err();
    assert!(e.to_string().contains("network output"), "{e}");
    assert!(
        net.forward(&[], &mut [], &mut s).is_err(),
        "an empty batch is an error"
    );
}
