//! Sequence networks declared with `network!`: gradcheck (f64 central differences, BPTT
//! through every cell, stacked and bidirectional, sequences of 6 steps), the streaming step
//! against the whole-sequence forward, and the carried state of consecutive sampling.

use kiln::prelude::*;
use kiln::runtime::rng::uniform;

network! {
    /// Every cell, stacked, with a per-step dense head.
    struct Stacked {
        input: [seq, 3],
        layers: [
            lstm(5, forget_bias = 1.0),
            gru(4),
            gru(4, form = notes),
            rnn(3), rnn(3, relu),
            dense(4), tanh,
            dense(3),
        ],
        output: [seq, 3],
        loss: softmax_cross_entropy,
    }
}

network! {
    /// Bidirectional layers, of equal and of different widths.
    struct Bi {
        input: [seq, 3],
        layers: [bidirectional(lstm(4), lstm(4)), dropout(0.2), bidirectional(gru(3), rnn(2)), dense(2)],
        loss: mse,
    }
}

fn inputs(n: usize, seed: u64) -> Vec<f64> {
    let mut rng = seeded(seed);
    (0..n).map(|_| uniform(&mut rng, -1.0, 1.0)).collect()
}

fn config(steps: usize) -> GradcheckConfig {
    GradcheckConfig {
        steps,
        ..Default::default()
    }
}

#[test]
fn bptt_of_stacked_cells_matches_finite_differences() {
    let (steps, seqs) = (6, 2);
    let mut net = Stacked::<f64>::new(&mut seeded(21));
    let x = inputs(steps * seqs * 3, 3);
    let labels: Vec<usize> = (0..steps * seqs).map(|i| (i * 5 + 1) % 3).collect();
    let r = gradcheck(&mut net, &x, &labels, config(steps)).unwrap();
    assert!(r.max_rel_error <= 1e-6, "{r:?}");
    assert!(r.checked > 200, "{r:?}");
}

#[test]
fn bidirectional_layers_match_finite_differences() {
    let (steps, seqs) = (5, 2);
    let mut net = Bi::<f64>::new(&mut seeded(22));
    let x = inputs(steps * seqs * 3, 4);
    let target = inputs(steps * seqs * 2, 5);
    let r = gradcheck(&mut net, &x, &target, config(steps)).unwrap();
    assert!(r.max_rel_error <= 1e-6, "{r:?}");
}

#[test]
fn streaming_steps_equal_the_sequence_forward() {
    let net = Stacked::<f64>::new(&mut seeded(23));
    let steps = 7;
    let x = inputs(steps * 3, 6);
    let xs = x.as_chunks::<3>().0;
    let mut y = vec![[0.0; 3]; steps];
    net.forward_seq(xs, steps, &mut y, &mut net.scratch())
        .unwrap();
    let mut st = net.stream();
    for t in 0..steps {
        let out = net.step(&mut st, &xs[t]);
        for (a, b) in out.iter().zip(&y[t]) {
            assert!((a - b).abs() < 1e-12, "step {t}: {out:?} vs {:?}", y[t]);
        }
    }
    st.reset();
    assert_eq!(
        net.step(&mut st, &xs[0]),
        net.step(&mut net.stream(), &xs[0])
    );
    // Rows that do not form whole sequences are an error, not a panic.
    assert!(net
        .forward_seq(&xs[..5], 2, &mut y[..5], &mut net.scratch())
        .is_err());
}

#[test]
fn carried_state_continues_the_sequence() {
    // Two halves with the state carried give the same outputs as the whole sequence.
    let mut net = Stacked::<f64>::new(&mut seeded(24));
    let steps = 8;
    let x = inputs(steps * 3, 7);
    let xs = x.as_chunks::<3>().0;
    let mut whole = net.train_state(0);
    whole.steps_for_test(steps);
    let full = net.forward_train(xs, &mut whole).unwrap().to_vec();
    let mut t = net.train_state(0);
    t.set_carry_state(true);
    t.steps_for_test(4);
    let first = net.forward_train(&xs[..4], &mut t).unwrap().to_vec();
    let second = net.forward_train(&xs[4..], &mut t).unwrap().to_vec();
    for (a, b) in first.iter().chain(&second).zip(&full) {
        for (p, q) in a.iter().zip(b) {
            assert!((p - q).abs() < 1e-12);
        }
    }
}

trait StepsForTest {
    fn steps_for_test(&mut self, steps: usize);
}

impl StepsForTest for StackedTrain<f64> {
    fn steps_for_test(&mut self, steps: usize) {
        <Stacked<f64> as Network<f64>>::set_steps(self, steps);
    }
}

network! {
    /// Token inputs through an embedding and a one-hot layer.
    struct Tokens {
        input: [seq, 1],
        layers: [embedding(10, 4), gru(5), dense(10)],
        output: [seq, 10],
        loss: softmax_cross_entropy,
    }
}

network! {
    struct OneHotLstm {
        input: [seq, 1],
        layers: [one_hot(7), lstm(4), dense(7)],
        loss: softmax_cross_entropy,
    }
}

#[test]
fn token_inputs_train_and_are_checked() {
    use kiln::runtime::network::tokens_into;
    let (steps, seqs) = (5, 2);
    let ids: Vec<usize> = (0..steps * seqs).map(|i| (i * 3 + 1) % 10).collect();
    let mut x: Vec<[f64; 1]> = Vec::new();
    tokens_into(&ids, &mut x);
    let labels: Vec<usize> = ids.iter().map(|i| (i + 1) % 10).collect();
    let cfg = GradcheckConfig {
        steps,
        inputs: false,
        ..Default::default()
    };
    let r = gradcheck(
        &mut Tokens::<f64>::new(&mut seeded(31)),
        x.as_flattened(),
        &labels,
        cfg,
    )
    .unwrap();
    assert!(r.max_rel_error <= 1e-6, "{r:?}");
    let small: Vec<usize> = ids.iter().map(|i| i % 7).collect();
    let mut xs: Vec<[f64; 1]> = Vec::new();
    tokens_into(&small, &mut xs);
    let r = gradcheck(
        &mut OneHotLstm::<f64>::new(&mut seeded(32)),
        xs.as_flattened(),
        &small,
        cfg,
    )
    .unwrap();
    assert!(r.max_rel_error <= 1e-6, "{r:?}");
    // An id outside the vocabulary is an error naming it, not a panic.
    let net = Tokens::<f64>::new(&mut seeded(33));
    let mut y = vec![[0.0; 10]; 2];
    let e = net
        .forward_seq(&[[3.0], [12.0]], 1, &mut y, &mut net.scratch())
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("input row 1 holds 12, which is not a token id of the vocabulary (0..10)"),
        "{e}"
    );
}

network! {
    /// A fixed sequence length, for fully fixed shapes.
    struct Fixed {
        input: [seq(4), 2],
        layers: [rnn(3), dense(2)],
        loss: mse,
    }
}

#[test]
fn fixed_sequence_length_is_enforced() {
    assert_eq!(Fixed::<f32>::STEPS, Some(4));
    let net = Fixed::<f32>::new(&mut seeded(40));
    let x = vec![[0.5f32; 2]; 8];
    let mut y = vec![[0.0f32; 2]; 8];
    net.forward(&x, &mut y, &mut net.scratch()).unwrap();
    let mut y2 = vec![[0.0f32; 2]; 8];
    net.forward_seq(&x, 4, &mut y2, &mut net.scratch()).unwrap();
    assert_eq!(y, y2, "the declared length is the default");
    let e = net
        .forward_seq(&x, 2, &mut y2, &mut net.scratch())
        .unwrap_err();
    assert!(e.to_string().contains("sequence length"), "{e}");
}

network! {
    /// Cell options inside `bidirectional(...)`.
    struct BiOptions {
        input: [seq, 3],
        layers: [bidirectional(lstm(4, forget_bias = 1.0), gru(3, form = notes)), dense(2)],
        loss: mse,
    }
}

network! {
    /// The same cells without options, for comparison.
    struct BiPlain {
        input: [seq, 3],
        layers: [bidirectional(lstm(4), gru(3)), dense(2)],
        loss: mse,
    }
}

#[test]
fn options_inside_bidirectional_take_effect() {
    fn collect<N: Network<f64>>(net: &N) -> Vec<(String, Vec<f64>)> {
        let mut v = Vec::new();
        net.visit_params(&mut |name, _, t| v.push((name.to_string(), t.to_vec())));
        v
    }
    let with = BiOptions::<f64>::new(&mut seeded(31));
    let plain = BiPlain::<f64>::new(&mut seeded(31));
    let a = collect(&with);
    let b = collect(&plain);
    assert_eq!(a.len(), b.len());
    // The forward LSTM's bias_ih differs by exactly 1 on its forget slice (H..2H), nothing
    // else is initialised differently.
    let mut differing = Vec::new();
    for ((name, x), (_, y)) in a.iter().zip(&b) {
        for (i, (p, q)) in x.iter().zip(y).enumerate() {
            if p != q {
                assert!((p - q - 1.0).abs() < 1e-12, "{name}[{i}]: {p} vs {q}");
                differing.push((name.clone(), i));
            }
        }
    }
    assert_eq!(differing.len(), 4, "{differing:?}");
    assert!(differing
        .iter()
        .all(|(n, i)| n.contains("bias_ih") && (4..8).contains(i)));
    // The notes form of the GRU is a different function of the same weights.
    let (steps, seqs) = (4, 2);
    let x = inputs(steps * seqs * 3, 32);
    let xs = x.as_chunks::<3>().0;
    let (mut y1, mut y2) = (vec![[0.0; 2]; steps * seqs], vec![[0.0; 2]; steps * seqs]);
    with.forward_seq(xs, steps, &mut y1, &mut with.scratch())
        .unwrap();
    plain
        .forward_seq(xs, steps, &mut y2, &mut plain.scratch())
        .unwrap();
    assert_ne!(y1, y2);
    let target = inputs(steps * seqs * 2, 33);
    let r = gradcheck(
        &mut BiOptions::<f64>::new(&mut seeded(34)),
        &x,
        &target,
        config(steps),
    )
    .unwrap();
    assert!(r.max_rel_error <= 1e-6, "{r:?}");
}
