//! Data-parallel training on thread replicas (`kiln::runtime::replica::Replicas`) against the
//! single-process step over the same global batch, in f64: losses, parameters and batch
//! norm's running statistics agree to 1e-12 relative over several steps, with dropout,
//! batch norm (synchronised), composites, sequence networks (per-step outputs, padded
//! lengths) and batches that do not divide evenly; failures return errors instead of
//! hanging.

use kiln::prelude::*;
use kiln::runtime::loss::Loss;
use kiln::runtime::network::forward_backward;
use kiln::runtime::optim::{Adam, Sgd};
use kiln::runtime::replica::Replicas;
use kiln::runtime::rng::uniform;
use kiln::runtime::train_step;

network! {
    /// Dropout in two places, a residual block and batch norm over features.
    struct Mlp {
        input: [6],
        layers: [
            dense(12), batch_norm, relu, dropout(0.3),
            residual { dense(12), tanh, dropout(0.2), dense(12) },
            dense(4),
        ],
        loss: softmax_cross_entropy,
    }
}

network! {
    /// Convolutions with batch norm 2d, as the ResNets use it.
    struct Conv {
        input: [2, 6, 6],
        layers: [
            conv2d(4, 3, padding = same), batch_norm2d, relu,
            residual { conv2d(4, 3, padding = same), batch_norm2d, relu },
            max_pool2d(2), flatten, dense(3),
        ],
        loss: softmax_cross_entropy,
    }
}

network! {
    /// A character-model shape: an output at every step, dropout between the layers.
    struct Seq {
        input: [seq, 3],
        layers: [lstm(5), dropout(0.25), gru(4), dense(3)],
        loss: softmax_cross_entropy,
    }
}

network! {
    /// Regression over sequences of different lengths, one output per sequence.
    struct Last {
        input: [seq, 2],
        layers: [lstm(4), last_step, dense(2)],
        loss: mse,
    }
}

fn values(n: usize, seed: u64) -> Vec<f64> {
    let mut rng = seeded(seed);
    (0..n).map(|_| uniform(&mut rng, -1.0, 1.0)).collect()
}

fn params<N: Network<f64>>(net: &N) -> Vec<f64> {
    let mut v = Vec::new();
    net.visit_params(&mut |_, _, p| v.extend_from_slice(p));
    net.visit_buffers(&mut |_, b| v.extend_from_slice(b));
    v
}

fn assert_close(a: &[f64], b: &[f64], what: &str) {
    assert_eq!(a.len(), b.len(), "{what}");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        let tol = 1e-12 * x.abs().max(y.abs()).max(1.0);
        assert!((x - y).abs() <= tol, "{what}[{i}]: {x} vs {y}");
    }
}

/// `steps` training steps of `net` on batches from `batch(k)`, single-process and with each
/// replica count, compared after every step.
fn check<N, Y>(
    net: N,
    counts: &[usize],
    batches: &[(Vec<f64>, Vec<Y>)],
    set: impl Fn(&mut N::Train),
    adam: bool,
) where
    N: Network<f64> + Clone,
    N::Loss: Loss<f64, Target = [Y]>,
    Y: Clone + Send + Sync,
{
    let new_opt = || -> Box<dyn kiln::runtime::optim::Optimizer<f64>> {
        if adam {
            Box::new(Adam::new(0.01).unwrap())
        } else {
            Box::new(Sgd::new(0.1).unwrap().momentum(0.9).unwrap())
        }
    };
    let mut single = net.clone();
    let mut opt = new_opt();
    let mut state = single.new_train(5);
    set(&mut state);
    let mut want = Vec::new();
    for (x, y) in batches {
        want.push(train_step(&mut single, x, y, &mut *opt, &mut state).unwrap());
    }
    for &r in counts {
        let mut parallel = net.clone();
        let mut opt = new_opt();
        let mut replicas = Replicas::new(&parallel, r, 5).unwrap();
        replicas.each_state(&set);
        for (k, (x, y)) in batches.iter().enumerate() {
            let loss = replicas.train_step(&mut parallel, x, y, &mut *opt).unwrap();
            assert_close(
                &[loss],
                &[want[k]],
                &format!("{r} replicas, loss of step {k}"),
            );
        }
        assert_close(
            &params(&parallel),
            &params(&single),
            &format!("{r} replicas, weights"),
        );
    }
}

fn labelled(n: usize, width: usize, classes: usize, seed: u64) -> (Vec<f64>, Vec<usize>) {
    let x = values(n * width, seed);
    let y = (0..n).map(|i| (i * 7 + seed as usize) % classes).collect();
    (x, y)
}

#[test]
fn mlp_with_dropout_and_batch_norm_equals_one_process() {
    let batches: Vec<_> = [10, 9, 16, 3]
        .iter()
        .enumerate()
        .map(|(k, &n)| labelled(n, 6, 4, k as u64))
        .collect();
    check(
        Mlp::<f64>::new(&mut seeded(1)),
        &[1, 2, 3],
        &batches,
        |_| {},
        false,
    );
}

#[test]
fn convolutions_with_batch_norm_2d_equal_one_process() {
    let batches: Vec<_> = [8, 5, 7]
        .iter()
        .enumerate()
        .map(|(k, &n)| labelled(n, 72, 3, 10 + k as u64))
        .collect();
    // SGD: the convolutions' biases before batch norm have a gradient of zero up to
    // rounding, which Adam would scale up to a full step whose sign is rounding noise.
    check(
        Conv::<f64>::new(&mut seeded(2)),
        &[2, 3],
        &batches,
        |_| {},
        false,
    );
}

#[test]
fn sequence_network_with_per_step_outputs_equals_one_process() {
    // 5 sequences of 4 steps, time-major; a label per step and sequence.
    let steps = 4;
    let batches: Vec<_> = (0..3).map(|k| labelled(steps * 5, 3, 3, 20 + k)).collect();
    let set = |t: &mut <Seq<f64> as Network<f64>>::Train| Seq::<f64>::set_steps(t, steps);
    check(
        Seq::<f64>::new(&mut seeded(3)),
        &[2, 3],
        &batches,
        set,
        true,
    );
}

#[test]
fn padded_sequences_split_with_their_lengths() {
    let (steps, seqs) = (5, 4);
    let lengths = [5, 2, 4, 3];
    let x = values(steps * seqs * 2, 30);
    let y = values(seqs * 2, 31);
    let mut single = Last::<f64>::new(&mut seeded(4));
    let mut t = single.new_train(0);
    Last::<f64>::set_steps(&mut t, steps);
    Last::<f64>::set_lengths(&mut t, &lengths);
    let want = forward_backward(&mut single, &x, &y, &mut t).unwrap();
    let mut want_g = Vec::new();
    Last::<f64>::visit_grads(&t, &mut |_, _, g| want_g.extend_from_slice(g));

    let mut net = Last::<f64>::new(&mut seeded(4));
    let mut replicas = Replicas::new(&net, 3, 0).unwrap();
    replicas.each_state(|t| Last::<f64>::set_steps(t, steps));
    replicas.set_lengths(&lengths);
    let loss = replicas.forward_backward(&mut net, &x, &y).unwrap();
    let mut g = Vec::new();
    Last::<f64>::visit_grads(replicas.lead(), &mut |_, _, v| g.extend_from_slice(v));
    assert_close(&[loss], &[want], "loss");
    assert_close(&g, &want_g, "gradients");
}

#[test]
fn more_replicas_than_samples_use_one_per_sample() {
    let batches = [labelled(2, 6, 4, 40), labelled(1, 6, 4, 41)];
    // Batch norm needs two samples: the second batch is an error for both alike.
    let mut net = Mlp::<f64>::new(&mut seeded(5));
    let mut replicas = Replicas::new(&net, 4, 0).unwrap();
    let mut opt = Sgd::new(0.1).unwrap();
    assert!(replicas
        .train_step(&mut net, &batches[0].0, &batches[0].1, &mut opt)
        .is_ok());
    let err = replicas
        .train_step(&mut net, &batches[1].0, &batches[1].1, &mut opt)
        .unwrap_err();
    assert!(err.to_string().contains("at least 2"), "{err}");
}

#[test]
fn a_failing_replica_returns_its_error_and_the_group_recovers() {
    let mut net = Mlp::<f64>::new(&mut seeded(6));
    let mut replicas = Replicas::new(&net, 3, 0).unwrap();
    let mut opt = Sgd::new(0.1).unwrap();
    let (x, mut y) = labelled(9, 6, 4, 50);
    y[8] = 9; // out of range, in the last replica's part only
    let err = replicas.train_step(&mut net, &x, &y, &mut opt).unwrap_err();
    // Named by its place in the whole batch, as one process names it.
    assert!(
        matches!(
            err,
            kiln::KilnError::LabelOutOfRange {
                index: 8,
                label: 9,
                ..
            }
        ),
        "{err}"
    );
    y[8] = 1;
    let before = params(&net);
    replicas.train_step(&mut net, &x, &y, &mut opt).unwrap();
    assert_ne!(params(&net), before, "the next step trains");
}

#[test]
fn replica_counts_are_checked() {
    let net = Mlp::<f64>::new(&mut seeded(7));
    assert!(Replicas::new(&net, 0, 0).is_err());
}

network! {
    /// The digits MLP with dropout and batch norm.
    struct Digits {
        input: [64],
        layers: [dense(32), batch_norm, relu, dropout(0.2), dense(10)],
        loss: softmax_cross_entropy,
    }
}

fn digits() -> (kiln::data::Dataset, kiln::data::Dataset) {
    let mut data = kiln::data::digits().unwrap();
    data.scale(1.0 / 16.0);
    data.split(0.8, 1).unwrap()
}

fn fit_run(
    replicas: usize,
    epochs: usize,
    ckpt: &std::path::Path,
    resume: bool,
) -> (kiln::train::History, Digits<f64>) {
    let (train, val) = digits();
    let mut net = Digits::<f64>::new(&mut seeded(3));
    let mut opt = Sgd::new(0.05).unwrap().momentum(0.9).unwrap();
    let mut fit = kiln::train::Fit::new(epochs, 50)
        .unwrap()
        .seed(4)
        .quiet()
        .checkpoint(ckpt)
        .replicas(replicas)
        .unwrap();
    if resume {
        fit = fit.resume(ckpt);
    }
    let h = fit.run(&mut net, &mut opt, &train, Some(&val)).unwrap();
    (h, net)
}

/// `Fit::replicas`: the same history and weights as one replica, and a checkpoint written
/// with 2 replicas resumes with 3 into the run one replica makes uninterrupted.
#[test]
fn fit_with_replicas_equals_one_replica_and_resumes_with_another_count() {
    let dir = std::env::temp_dir().join(format!("kiln-dp-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (one, net1) = fit_run(1, 2, &dir.join("one.safetensors"), false);
    let (two, net2) = fit_run(2, 2, &dir.join("two.safetensors"), false);
    for (a, b) in one.epochs.iter().zip(&two.epochs) {
        assert_close(&[a.train.loss], &[b.train.loss], "training loss");
        let (va, vb) = (a.val.as_ref().unwrap(), b.val.as_ref().unwrap());
        assert_close(&[va.loss], &[vb.loss], "validation loss");
        assert_eq!(a.train.accuracy, b.train.accuracy, "training accuracy");
    }
    assert_close(&params(&net2), &params(&net1), "weights");
    assert!(two.last().unwrap().val.as_ref().unwrap().accuracy.unwrap() > 0.9);

    // One epoch on 2 replicas, then resumed to 3 epochs on 3 replicas, against 3 on 1.
    let ckpt = dir.join("resume.safetensors");
    fit_run(2, 1, &ckpt, false);
    let (resumed, net_r) = fit_run(3, 3, &ckpt, true);
    let (whole, net_w) = fit_run(1, 3, &dir.join("whole.safetensors"), false);
    assert_close(
        &[resumed.last().unwrap().train.loss],
        &[whole.last().unwrap().train.loss],
        "loss of the last epoch",
    );
    assert_close(&params(&net_r), &params(&net_w), "weights after resuming");
    std::fs::remove_dir_all(&dir).ok();
}

/// In f32 the replicas agree to the rounding of reordered sums: LeNet-5 on 64 MNIST images,
/// 10 steps on 2 replicas against one process.
#[test]
fn lenet_in_f32_agrees_to_rounding() {
    let data = kiln::data::mnist_t10k().unwrap();
    let x: Vec<f32> = data.features[..64 * 784]
        .iter()
        .map(|&v| v / 255.0)
        .collect();
    let y = data.labels[..64].to_vec();
    let mut one = kiln_models::LeNet5::<f32>::new(&mut seeded(1));
    let mut two = one.clone();
    let sgd = || Sgd::new(0.05).unwrap().momentum(0.9).unwrap();
    let (mut opt1, mut opt2) = (sgd(), sgd());
    let mut state = one.train_state(1);
    let mut replicas = Replicas::new(&two, 2, 1).unwrap();
    for step in 0..10 {
        let a = train_step(&mut one, &x, &y, &mut opt1, &mut state).unwrap();
        let b = replicas.train_step(&mut two, &x, &y, &mut opt2).unwrap();
        assert!((a - b).abs() <= 1e-6 * a.abs(), "step {step}: {a} vs {b}");
    }
    let flat = |n: &kiln_models::LeNet5<f32>| {
        let mut v = Vec::new();
        n.visit_params(&mut |_, _, p| v.extend_from_slice(p));
        v
    };
    let (a, b) = (flat(&one), flat(&two));
    let largest = a.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    let worst = a
        .iter()
        .zip(&b)
        .fold(0.0f32, |m, (x, y)| m.max((x - y).abs()));
    assert!(
        worst < 1e-6 * largest.max(1.0),
        "{worst} (largest weight {largest})"
    );
    assert_ne!(
        a,
        flat(&kiln_models::LeNet5::<f32>::new(&mut seeded(1))),
        "it trained"
    );
}

network! {
    /// A per-step tagger over the digits read row by row, with a dense layer to freeze.
    struct RowTagger {
        input: [seq, 8],
        layers: [dense(12), tanh, gru(16), dropout(0.1), dense(10)],
        loss: softmax_cross_entropy,
    }
}

/// `Fit` on sequences with per-step labels, a frozen layer and gradient clipping: 2 replicas
/// (sequences split, time-major) give the same history and weights as 1, and the frozen
/// layer keeps its values.
#[test]
fn fit_on_sequences_with_freezing_and_clipping_equals_one_replica() {
    let mut d = kiln::data::digits().unwrap();
    d.scale(1.0 / 16.0);
    let (train, val) = kiln::data::Sequences::from_rows(&d, 8, true)
        .unwrap()
        .split(0.8, 5)
        .unwrap();
    let run = |replicas: usize| {
        let mut net = RowTagger::<f64>::new(&mut seeded(8));
        let h = kiln::train::Fit::new(2, 25)
            .unwrap()
            .seed(3)
            .quiet()
            .freeze(&["layers.0"])
            .clip_grad_norm(0.5)
            .unwrap()
            .replicas(replicas)
            .unwrap()
            .run(&mut net, &mut Adam::new(0.01).unwrap(), &train, Some(&val))
            .unwrap();
        (h, net)
    };
    let ((one, net1), (two, net2)) = (run(1), run(2));
    for (a, b) in one.epochs.iter().zip(&two.epochs) {
        assert_close(&[a.train.loss], &[b.train.loss], "training loss");
        assert_eq!(a.train.accuracy, b.train.accuracy, "training accuracy");
        let (va, vb) = (a.val.as_ref().unwrap(), b.val.as_ref().unwrap());
        assert_close(&[va.loss], &[vb.loss], "validation loss");
    }
    assert_close(&params(&net2), &params(&net1), "weights");
    let start = RowTagger::<f64>::new(&mut seeded(8));
    let first = |n: &RowTagger<f64>| {
        let mut v = Vec::new();
        n.visit_params(&mut |name, _, p| {
            if name.starts_with("layers.0.") {
                v.extend_from_slice(p)
            }
        });
        v
    };
    assert_eq!(
        first(&net2),
        first(&start),
        "the frozen layer kept its values"
    );
    assert_ne!(params(&net2), params(&start), "the rest trained");
}
