//! Property tests of the generated backward pass: random weights (any init seed), random
//! inputs, batch sizes and sequence lengths, against central finite differences in f64
//! (`gradcheck`), for dense/normalisation/activation, convolutional and recurrent networks.

use kiln::prelude::*;
use kiln::runtime::rng::uniform;
use proptest::prelude::*;

network! {
    struct Dense {
        input: [5],
        layers: [dense(6), gelu, layer_norm, dense(5), prelu(per_feature), batch_norm, dense(4), swish, dense(3)],
        loss: softmax_cross_entropy,
    }
}

network! {
    struct Conv {
        input: [2, 6, 5],
        layers: [conv2d(3, 3, padding = 1), tanh, max_pool2d(2), batch_norm2d, conv2d(2, 2), softplus, flatten, dense(3)],
        loss: softmax_cross_entropy,
    }
}

network! {
    struct Seq {
        input: [seq, 3],
        layers: [lstm(4), gru(3, form = notes), rnn(3), dense(2)],
        loss: mse,
    }
}

fn random(n: usize, seed: u64, scale: f64) -> Vec<f64> {
    let mut rng = seeded(seed);
    (0..n).map(|_| uniform(&mut rng, -scale, scale)).collect()
}

/// Over random weights some gradients are tiny (behind a batch norm over two samples they
/// are ~1e-5), and the loss's rounding divided by 2h (~1e-10 at h = 1e-6) is then more than
/// 1e-6 of them; differences up to 1e-8 count as exact (the default floor is 1e-9), every
/// larger one must agree to 1e-6 relative. A larger h would trade this for truncation error.
fn config(max_per_tensor: usize, steps: usize) -> GradcheckConfig {
    GradcheckConfig {
        abs_floor: 1e-8,
        max_per_tensor,
        steps,
        ..GradcheckConfig::default()
    }
}

fn assert_ok(report: GradcheckReport, what: &str) -> Result<(), TestCaseError> {
    report
        .within(1e-6)
        .map_err(|e| TestCaseError::fail(format!("{what}: {e}")))
}

proptest! {
    // A fixed seed: the same 24 cases in every run, so a failure reproduces (a random seed
    // can land a PReLU or max-pool probe on a kink, where finite differences are not exact).
    #![proptest_config(ProptestConfig {
        cases: 24,
        rng_seed: proptest::test_runner::RngSeed::Fixed(20261203),
        ..ProptestConfig::default()
    })]

    #[test]
    fn dense_backward_matches_finite_differences(seed in any::<u64>(), batch in 2usize..5) {
        let mut net = Dense::<f64>::new(&mut seeded(seed));
        let x = random(batch * 5, seed ^ 1, 2.0);
        let labels: Vec<usize> = (0..batch).map(|i| (i + seed as usize) % 3).collect();
        assert_ok(gradcheck(&mut net, &x, &labels, config(usize::MAX, 1)).unwrap(), "dense")?;
    }

    #[test]
    fn conv_backward_matches_finite_differences(seed in any::<u64>(), batch in 1usize..3) {
        let mut net = Conv::<f64>::new(&mut seeded(seed));
        let x = random(batch * 60, seed ^ 2, 1.0);
        let labels: Vec<usize> = (0..batch).map(|i| (i + 1) % 3).collect();
        assert_ok(gradcheck(&mut net, &x, &labels, config(12, 1)).unwrap(), "conv")?;
    }

    #[test]
    fn recurrent_backward_matches_finite_differences(seed in any::<u64>(), steps in 1usize..6, seqs in 1usize..3) {
        let mut net = Seq::<f64>::new(&mut seeded(seed));
        let x = random(steps * seqs * 3, seed ^ 3, 1.0);
        let y = random(steps * seqs * 2, seed ^ 4, 1.0);
        assert_ok(gradcheck(&mut net, &x, &y, config(10, steps)).unwrap(), "recurrent")?;
    }
}
