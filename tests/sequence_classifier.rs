//! Many-to-one sequence networks (`last_step`, `mean_over_time`, `max_over_time`): the
//! reduction against the per-step network it ends, BPTT through it against finite
//! differences, streaming against the whole-sequence forward, PyTorch parity, and a small
//! task learnt with one label per sequence.

use kiln::prelude::*;
use kiln::runtime::optim::Adam;
use kiln::runtime::rng::uniform;

#[path = "fixtures/torch_seq_classifier.rs"]
mod torch;

network! {
    /// One label per sequence from the last step of an LSTM.
    struct LastStep {
        input: [seq, 3],
        layers: [lstm(4), last_step, dense(2)],
        output: [2],
        loss: softmax_cross_entropy,
    }
}

network! {
    /// The per-step part of `LastStep`, for comparison.
    struct PerStep {
        input: [seq, 3],
        layers: [lstm(4)],
        output: [seq, 4],
        loss: mse,
    }
}

network! {
    /// Mean over time, then per-sequence layers.
    struct MeanOverTime {
        input: [seq, 3],
        layers: [gru(5), dense(4), tanh, mean_over_time, dense(4), relu, dense(3)],
        loss: softmax_cross_entropy,
    }
}

network! {
    /// Maximum over time with a regression head.
    struct MaxOverTime {
        input: [seq, 3],
        layers: [rnn(4), max_over_time, dense(2)],
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
fn last_step_is_the_last_row_of_the_per_step_network() {
    // The same seed gives the same LSTM weights (the reduction draws nothing).
    let net = LastStep::<f64>::new(&mut seeded(5));
    let per_step = PerStep::<f64>::new(&mut seeded(5));
    let (steps, seqs) = (6, 3);
    let x = inputs(steps * seqs * 3, 1);
    let xs = x.as_chunks::<3>().0;
    let mut h = vec![[0.0; 4]; steps * seqs];
    per_step
        .forward_seq(xs, steps, &mut h, &mut per_step.scratch())
        .unwrap();
    let mut y = vec![[0.0; 2]; seqs];
    net.forward_seq(xs, steps, &mut y, &mut net.scratch())
        .unwrap();
    let mut head = std::collections::HashMap::new();
    net.visit_params(&mut |name, _, v| {
        head.insert(name.to_string(), v.to_vec());
    });
    let (w, b) = (&head["layers.2.weight"], &head["layers.2.bias"]);
    for s in 0..seqs {
        let last = &h[(steps - 1) * seqs + s];
        for o in 0..2 {
            let want: f64 = b[o] + (0..4).map(|i| w[o * 4 + i] * last[i]).sum::<f64>();
            assert!((y[s][o] - want).abs() < 1e-12, "sequence {s}: {y:?}");
        }
    }
}

#[test]
fn bptt_through_each_reduction_matches_finite_differences() {
    let (steps, seqs) = (5, 3);
    let x = inputs(steps * seqs * 3, 2);
    let labels: Vec<usize> = (0..seqs).map(|s| s % 2).collect();
    let r = gradcheck(
        &mut LastStep::<f64>::new(&mut seeded(6)),
        &x,
        &labels,
        config(steps),
    );
    let r = r.unwrap();
    assert!(
        r.max_rel_error <= 1e-6 && r.checked > 50,
        "last_step: {r:?}"
    );

    let labels: Vec<usize> = (0..seqs).map(|s| (s * 2 + 1) % 3).collect();
    let r = gradcheck(
        &mut MeanOverTime::<f64>::new(&mut seeded(7)),
        &x,
        &labels,
        config(steps),
    );
    let r = r.unwrap();
    assert!(
        r.max_rel_error <= 1e-6 && r.checked > 50,
        "mean_over_time: {r:?}"
    );

    let target = inputs(seqs * 2, 3);
    let r = gradcheck(
        &mut MaxOverTime::<f64>::new(&mut seeded(8)),
        &x,
        &target,
        config(steps),
    );
    let r = r.unwrap();
    assert!(
        r.max_rel_error <= 1e-6 && r.checked > 30,
        "max_over_time: {r:?}"
    );
}

#[test]
fn each_streaming_step_gives_the_reduction_so_far() {
    let net = MeanOverTime::<f64>::new(&mut seeded(9));
    let steps = 7;
    let x = inputs(steps * 3, 4);
    let xs = x.as_chunks::<3>().0;
    let mut st = net.stream();
    for t in 1..=steps {
        let streamed = net.step(&mut st, &xs[t - 1]);
        let mut y = [[0.0; 3]; 1];
        net.forward_seq(&xs[..t], t, &mut y, &mut net.scratch())
            .unwrap();
        for (a, b) in streamed.iter().zip(&y[0]) {
            assert!(
                (a - b).abs() < 1e-12,
                "after {t} steps: {streamed:?} vs {:?}",
                y[0]
            );
        }
    }
    st.reset();
    let again = net.step(&mut st, &xs[0]);
    let mut y = [[0.0; 3]; 1];
    net.forward_seq(&xs[..1], 1, &mut y, &mut net.scratch())
        .unwrap();
    assert_eq!(again, y[0], "reset starts a new sequence");
}

#[test]
fn matches_pytorch_lstm_last_step_and_linear() {
    type N = LastStep<f64>;
    let mut net = N::new(&mut seeded(1));
    let mut names = Vec::new();
    net.visit_params_mut(&mut |name, _, v| {
        let src = torch::param(name).unwrap_or_else(|| panic!("no PyTorch tensor {name}"));
        v.copy_from_slice(src);
        names.push(name.to_string());
    });
    assert_eq!(names.len(), 6, "{names:?}");
    let labels: Vec<usize> = torch::LABELS.to_vec();
    let mut t = net.train_state(0);
    N::set_steps(&mut t, torch::STEPS);
    net.forward_train_flat(&torch::X, &mut t).unwrap();
    let (out, d) = N::output_and_grad(&mut t);
    for (a, b) in out.iter().zip(torch::LOGITS) {
        assert!((a - b).abs() < 1e-12, "logits {a} vs {b}");
    }
    let loss = net.loss_fn().loss_and_grad(out, 2, &labels, d).unwrap();
    assert!(
        (loss - torch::LOSS).abs() < 1e-12,
        "loss {loss} vs {}",
        torch::LOSS
    );
    let mut dx = vec![0.0; torch::X.len()];
    net.backward_flat(&torch::X, &mut t, Some(&mut dx)).unwrap();
    for (a, b) in dx.iter().zip(torch::DX) {
        assert!((a - b).abs() < 1e-12, "dL/dx {a} vs {b}");
    }
    let mut checked = 0;
    N::visit_grads(&t, &mut |name, _, g| {
        let want = torch::grad(name).unwrap_or_else(|| panic!("no PyTorch gradient {name}"));
        for (a, b) in g.iter().zip(want) {
            assert!((a - b).abs() < 1e-12, "{name}: {a} vs {b}");
        }
        checked += 1;
    });
    assert_eq!(checked, 6);
}

/// Whether the sum of a sequence's first feature is positive: learnt from one label per
/// sequence, with the decision only possible after the whole sequence.
#[test]
fn learns_a_sequence_level_label() {
    let (steps, seqs) = (8, 64);
    let mut net = LastStep::<f32>::new(&mut seeded(11));
    let mut opt = Adam::new(0.02).unwrap();
    let mut t = net.train_state(1);
    let batch = |seed: u64| {
        let mut rng = seeded(seed);
        let x: Vec<[f32; 3]> = (0..steps * seqs)
            .map(|_| [0; 3].map(|_| uniform(&mut rng, -1.0, 1.0) as f32))
            .collect();
        let labels: Vec<usize> = (0..seqs)
            .map(|s| usize::from((0..steps).map(|t| x[t * seqs + s][0]).sum::<f32>() > 0.0))
            .collect();
        (x, labels)
    };
    for step in 0..300 {
        let (x, labels) = batch(100 + step);
        net.train_step_seq(&x, steps, &labels, &mut opt, &mut t)
            .unwrap();
    }
    let (x, labels) = batch(7);
    let mut y = vec![[0.0f32; 2]; seqs];
    net.forward_seq(&x, steps, &mut y, &mut net.scratch())
        .unwrap();
    let right = y
        .iter()
        .zip(&labels)
        .filter(|(p, &l)| usize::from(p[1] > p[0]) == l)
        .count();
    assert!(
        right * 100 >= seqs * 90,
        "{right} of {seqs} held-out sequences right"
    );
}
