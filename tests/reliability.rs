//! Training guards and determinism: a step whose loss or gradient is NaN/infinite is refused
//! with an error naming the step and the tensor, and changes nothing; the same seed gives
//! bit-identical weights.

use kiln::data::digits;
use kiln::prelude::*;
use kiln::runtime::network::train_step;
use kiln::runtime::optim::{Adam, Optimizer, Sgd};
use kiln::train::{Fit, TrainError};

network! {
    /// Two bias-free maps: scaled inputs make the first weight's gradient overflow in f32
    /// while the loss stays finite.
    struct Overflow {
        input: [2],
        layers: [dense(2, bias = false), tanh, dense(2, bias = false)],
        loss: mse,
    }
}

network! {
    struct Mlp {
        input: [64],
        layers: [dense(32), relu, dropout(0.3), dense(10)],
        loss: softmax_cross_entropy,
    }
}

fn params<N: Network<f32>>(net: &N) -> Vec<f32> {
    let mut w = Vec::new();
    net.visit_params(&mut |_, _, v| w.extend_from_slice(v));
    w
}

/// `Overflow` with weights that keep the forward small for inputs near f32's maximum.
fn overflow_net() -> Overflow<f32> {
    let mut net = Overflow::<f32>::new(&mut seeded(1));
    // The two inputs cancel in the first layer (z = 0, tanh' = 1), the target is far, so
    // dL/dz is about 10 and dL/dW1 = dz x overflows; the loss is 100.
    net.visit_params_mut(&mut |name, _, v| {
        let w = if name == "layers.0.weight" {
            [1e-38; 4]
        } else {
            [1.0, 0.0, 0.0, 1.0]
        };
        v.copy_from_slice(&w);
    });
    net
}

#[test]
fn a_non_finite_gradient_is_refused_and_changes_nothing() {
    let x = [[3e38f32, -3e38]];
    let y = [[10.0f32, 10.0]];
    let mut net = overflow_net();
    let mut opt = Adam::new(0.01).unwrap();
    let mut state = net.train_state(0);
    // The guard is on by default: no call needed.
    // One good step first (zero input: the first weight does not move), so the failing one
    // is step 2.
    train_step(&mut net, &[0.0, 0.0], &[0.0, 0.0], &mut opt, &mut state).unwrap();
    let before = params(&net);
    let err = net.train_step(&x, &y, &mut opt, &mut state).unwrap_err();
    assert!(
        matches!(
            err,
            KilnError::NonFiniteGradient {
                step: 2,
                tensor: "layers.0.weight",
                ..
            }
        ),
        "{err}"
    );
    assert!(err
        .to_string()
        .contains("training step 2: the gradient of `layers.0.weight`"));
    assert_eq!(params(&net), before, "no parameter moved");
    assert_eq!(
        opt.steps(),
        1,
        "the optimiser did not count the refused step"
    );

    // With the guard turned off the same step goes through and poisons the weights.
    let mut unguarded = overflow_net();
    let mut state = unguarded.train_state(0);
    state.set_check_finite(false);
    unguarded
        .train_step(&x, &y, &mut Sgd::new(0.1).unwrap(), &mut state)
        .unwrap();
    assert!(params(&unguarded).iter().any(|v| !v.is_finite()));
}

#[test]
fn a_non_finite_loss_is_refused() {
    let mut net = Mlp::<f32>::new(&mut seeded(2));
    let mut opt = Sgd::new(0.1).unwrap();
    let mut state = net.train_state(0);
    state.set_check_finite(true);
    let mut x = [[0.5f32; 64]; 2];
    x[1][7] = f32::NAN;
    let before = params(&net);
    let err = net
        .train_step(&x, &[1, 2], &mut opt, &mut state)
        .unwrap_err();
    assert!(
        matches!(err, KilnError::NonFiniteLoss { step: 1, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("training step 1: the loss is NaN"));
    assert_eq!(params(&net), before);
}

#[test]
fn the_trainer_guards_by_default() {
    let data = kiln::data::Dataset {
        features: vec![3.4e38, -3.4e38, 3.4e38, -3.4e38],
        labels: vec![0, 1],
        width: 2,
    };
    network! {
        struct Tiny {
            input: [2],
            layers: [dense(2, bias = false), tanh, dense(2, bias = false)],
            loss: softmax_cross_entropy,
        }
    }
    // As above: z = 0, dL/dz = W2^T (p - onehot) = +-4, dL/dW1 = dz x overflows.
    let mut net = Tiny::<f32>::new(&mut seeded(1));
    net.visit_params_mut(&mut |name, _, v| {
        let w = if name == "layers.0.weight" {
            [1e-38; 4]
        } else {
            [4.0, -4.0, -4.0, 4.0]
        };
        v.copy_from_slice(&w);
    });
    let before = params(&net);
    let err = Fit::new(1, 1)
        .unwrap()
        .quiet()
        .run(&mut net, &mut Sgd::new(0.1).unwrap(), &data, None)
        .unwrap_err();
    let TrainError::Kiln(KilnError::NonFiniteGradient { tensor, .. }) = &err else {
        panic!("expected a gradient error, got {err}");
    };
    assert_eq!(*tensor, "layers.0.weight");
    assert!(err.to_string().contains("training step 1"), "{err}");
    assert_eq!(
        params(&net),
        before,
        "the refused first step changed nothing"
    );
}

/// Weights after three epochs of `Fit` on the digits with this run seed.
fn trained(data: &kiln::data::Dataset, seed: u64) -> Vec<f32> {
    let mut net = Mlp::<f32>::new(&mut seeded(7));
    Fit::new(3, 32)
        .unwrap()
        .seed(seed)
        .quiet()
        .run(&mut net, &mut Adam::new(0.01).unwrap(), data, None)
        .unwrap();
    params(&net)
}

#[test]
fn the_same_seed_gives_bit_identical_weights() {
    let mut data = digits().unwrap();
    data.scale(1.0 / 16.0);
    let (a, b) = (trained(&data, 7), trained(&data, 7));
    assert_eq!(a.len(), b.len());
    assert!(a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()));
    // A different seed gives a different run (the test can fail).
    assert_ne!(trained(&data, 8), a);
}

/// A learning rate that is fine for `calm` steps, then `wild`.
struct Jump {
    calm: u64,
    wild: f64,
}

impl kiln::runtime::schedule::LrSchedule for Jump {
    fn lr_at(&self, k: u64) -> f64 {
        if k < self.calm {
            0.05
        } else {
            self.wild
        }
    }
}

#[test]
fn a_learning_rate_infinite_in_f32_is_refused() {
    // 1e39 is finite in f64 but infinite in f32: every updated parameter would be infinite.
    let e = Sgd::<f32>::new(1e39).unwrap_err().to_string();
    assert!(e.contains("finite in the network's float type"), "{e}");
    assert!(Sgd::<f64>::new(1e39).is_ok());
    assert!(Adam::<f32>::new(0.1)
        .unwrap()
        .set_learning_rate(1e39)
        .is_err());
}

network! {
    /// With batch norm, so the restore point must also cover the running statistics.
    struct Normed {
        input: [64],
        layers: [dense(32), batch_norm, relu, dense(10)],
        loss: softmax_cross_entropy,
    }
}

/// Every parameter and buffer bit, the optimiser's state bits and its step count.
fn everything<N: Network<f32>>(net: &N, opt: &mut dyn Optimizer<f32>) -> (Vec<u32>, u64) {
    let mut bits = Vec::new();
    net.visit_params(&mut |_, _, v| bits.extend(v.iter().map(|x| x.to_bits())));
    net.visit_buffers(&mut |_, v| bits.extend(v.iter().map(|x| x.to_bits())));
    opt.visit_state(&mut |_, v| bits.extend(v.iter().map(|x| x.to_bits())));
    (bits, opt.steps())
}

#[test]
fn an_update_that_makes_a_parameter_non_finite_is_undone_exactly() {
    // Finite gradients times a learning rate near f32's maximum overflow in the update
    // itself: batch norm scales an outlier row to about sqrt(7), so the last layer's weight
    // gradient exceeds 1.
    let mut net = Normed::<f32>::new(&mut seeded(3));
    let mut t = net.train_state(0);
    let mut opt = Sgd::new(0.05).unwrap().momentum(0.9).unwrap();
    let mut x = [[0.25f32; 64]; 8];
    x[0] = [1.0; 64];
    let y = [1, 2, 3, 4, 5, 6, 7, 8];
    for _ in 0..3 {
        train_step(&mut net, x.as_flattened(), &y, &mut opt, &mut t).unwrap();
    }
    let before = everything(&net, &mut opt);
    opt.set_learning_rate(3e38).unwrap();
    let e = train_step(&mut net, x.as_flattened(), &y, &mut opt, &mut t).unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("training step 4: the update made `layers.") && msg.contains("non-finite"),
        "{e}"
    );
    // Parameters, batch norm's running statistics, momentum buffers and the step count are
    // bit for bit what they were before the step; the learning rate too.
    assert_eq!(everything(&net, &mut opt), before);
    assert_eq!(opt.learning_rate(), 3e38);
    // Training goes on from there.
    opt.set_learning_rate(0.05).unwrap();
    train_step(&mut net, x.as_flattened(), &y, &mut opt, &mut t).unwrap();
    assert_eq!(opt.steps(), 4);
    assert!(params(&net).iter().all(|v| v.is_finite()));

    // Without the guard the same step leaves the network poisoned.
    t.set_check_finite(false);
    opt.set_learning_rate(3e38).unwrap();
    train_step(&mut net, x.as_flattened(), &y, &mut opt, &mut t).unwrap();
    assert!(params(&net).iter().any(|v| !v.is_finite()));
}

/// Runs `Fit` on 256 digits with a rate that turns wild after epoch 1; returns the error.
fn diverging_run(
    net: &mut Mlp<f32>,
    opt: &mut Sgd<f32>,
    guard: bool,
    dir: &std::path::Path,
) -> TrainError {
    let mut d = digits().unwrap();
    d.scale(1.0 / 16.0);
    let train = d.select(&(0..256).collect::<Vec<_>>());
    // Epoch 1 (8 steps) is calm; epoch 2 steps with 1e37, which overflows within a few steps.
    Fit::new(3, 32)
        .unwrap()
        .schedule(Jump {
            calm: 8,
            wild: 1e37,
        })
        .check_finite(guard)
        .checkpoint(dir.join("run.safetensors"))
        .quiet()
        .run(net, opt, &train, None)
        .unwrap_err()
}

fn fresh_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("kiln-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn after_a_diverged_run_the_network_is_the_state_before_the_failing_step() {
    let dir = fresh_dir("diverge");
    let mut net = Mlp::<f32>::new(&mut seeded(4));
    let mut opt = Sgd::new(0.05).unwrap();
    let e = diverging_run(&mut net, &mut opt, true, &dir);
    assert!(e.is_diverged(), "{e}");
    let failed = match &e {
        TrainError::Kiln(KilnError::NonFiniteParameter { step, .. }) => *step,
        TrainError::Kiln(KilnError::NonFiniteGradient { step, .. }) => *step,
        TrainError::Diverged { step, .. } => *step,
        _ => panic!("{e}"),
    };
    assert!(failed > 8, "epoch 1 is calm: {e}");
    // The optimiser stands before the failing step, every weight finite.
    assert_eq!(opt.steps(), failed - 1);
    assert!(params(&net).iter().all(|v| v.is_finite()));
    // Replaying the run up to that step gives the same weights bit for bit: put the same
    // network through the steps that succeeded.
    let mut replay = Mlp::<f32>::new(&mut seeded(4));
    let mut replay_opt = Sgd::new(0.05).unwrap();
    let mut d = digits().unwrap();
    d.scale(1.0 / 16.0);
    let train = d.select(&(0..256).collect::<Vec<_>>());
    Fit::new(1, 32)
        .unwrap()
        .quiet()
        .run(&mut replay, &mut replay_opt, &train, None)
        .unwrap();
    if failed == 9 {
        assert_eq!(params(&net), params(&replay));
    } else {
        assert_ne!(params(&net), params(&replay), "steps of epoch 2 were kept");
    }
    // The checkpoint on disk is epoch 1's, and the run continues from it with a sane rate.
    Fit::new(3, 32)
        .unwrap()
        .schedule(Jump {
            calm: 100,
            wild: 0.05,
        })
        .checkpoint(dir.join("run.safetensors"))
        .resume(dir.join("run.safetensors"))
        .quiet()
        .run(&mut net, &mut opt, &train, None)
        .unwrap();
    assert!(params(&net).iter().all(|v| v.is_finite()));
}

#[test]
fn without_the_step_guard_a_diverged_run_goes_back_to_the_last_checkpoint() {
    let dir = fresh_dir("diverge-unguarded");
    let mut net = Mlp::<f32>::new(&mut seeded(4));
    let mut opt = Sgd::new(0.05).unwrap();
    let e = diverging_run(&mut net, &mut opt, false, &dir);
    assert!(matches!(e, TrainError::Diverged { epoch: 2, .. }), "{e}");
    let mut saved = Mlp::<f32>::new(&mut seeded(99));
    kiln::checkpoint::load_weights(&mut saved, dir.join("run.safetensors")).unwrap();
    assert_eq!(
        params(&net),
        params(&saved),
        "the network in memory is the checkpoint of epoch 1"
    );
    assert_eq!(opt.steps(), 8, "and so is the optimiser");
}

#[test]
fn a_loss_spike_is_skipped_and_the_run_goes_on() {
    let mut d = digits().unwrap();
    d.scale(1.0 / 16.0);
    let mut train = d.select(&(0..640).collect::<Vec<_>>());
    // One wildly wrong sample: its batch's loss is far above the running mean.
    train.features[..64].iter_mut().for_each(|v| *v *= 1e4);
    let run = |spikes: Option<f64>| {
        let mut net = Mlp::<f32>::new(&mut seeded(5));
        let mut fit = Fit::new(2, 32).unwrap().quiet();
        if let Some(f) = spikes {
            fit = fit.skip_loss_spikes(f).unwrap();
        }
        let h = fit
            .run(&mut net, &mut Sgd::new(0.05).unwrap(), &train, None)
            .unwrap();
        (h, params(&net))
    };
    let (guarded, _) = run(Some(5.0));
    let (plain, _) = run(None);
    let skipped: usize = guarded.epochs.iter().map(|r| r.skipped_steps).sum();
    // The bad batch is seen once an epoch; in epoch 1 it may fall in the warm-up.
    assert!((1..=2).contains(&skipped), "{skipped}");
    assert!(plain.epochs.iter().all(|r| r.skipped_steps == 0));
    // Skipping it ends the run with a lower training loss than taking it.
    let last = |h: &kiln::train::History| h.last().unwrap().train.loss;
    assert!(
        last(&guarded) < last(&plain),
        "{} vs {}",
        last(&guarded),
        last(&plain)
    );
    assert!(Fit::new(1, 1).unwrap().skip_loss_spikes(1.0).is_err());
}

#[test]
fn a_batch_too_large_for_memory_is_refused_before_training() {
    let mut d = digits().unwrap();
    d.scale(1.0 / 16.0);
    let train = d.select(&(0..256).collect::<Vec<_>>());
    // What a batch of 256 really holds after one step, plus its gathered inputs.
    let mut net = Normed::<f32>::new(&mut seeded(6));
    let mut t = net.train_state(0);
    let x: Vec<f32> = train.features.clone();
    train_step(
        &mut net,
        &x,
        &train.labels,
        &mut Sgd::new(0.1).unwrap(),
        &mut t,
    )
    .unwrap();
    let need = (Normed::<f32>::train_bytes(&t) + x.len() * 4) as u64;
    assert!(
        need > 256 * (32 + 10) * 4,
        "every kept buffer is counted: {need}"
    );

    let fit = |limit: u64| {
        let mut net = Normed::<f32>::new(&mut seeded(6));
        let before = params(&net);
        let r = Fit::new(1, 256)
            .unwrap()
            .batch_memory_limit(limit)
            .quiet()
            .run(&mut net, &mut Sgd::new(0.1).unwrap(), &train, None);
        (r, before, net)
    };
    // The estimate from two one- and two-sample passes is exact for these layers.
    if let Err(e) = fit(need).0 {
        panic!("{need}: {e}");
    }
    let (r, before, net) = fit(need - 1);
    let e = r.unwrap_err().to_string();
    assert!(
        e.starts_with("invalid batch size: a batch of 256 needs about")
            && e.ends_with("a batch of at most 255 fits"),
        "{e}"
    );
    // Refused before any step; the probes left batch norm's statistics as they were.
    assert_eq!(params(&net), before);
    let mut stats = Vec::new();
    net.visit_buffers(&mut |_, v| stats.extend_from_slice(v));
    let fresh = Normed::<f32>::new(&mut seeded(6));
    let mut want = Vec::new();
    fresh.visit_buffers(&mut |_, v| want.extend_from_slice(v));
    assert_eq!(stats, want);
}

#[test]
fn a_convolutional_batch_estimate_counts_the_borrowed_scratch() {
    // LeNet-5 borrows its im2col areas from the per-thread scratch pool instead of keeping
    // them: the estimate must count them. Measured on a fresh thread (an empty pool).
    let train = kiln::data::mnist_t10k().unwrap();
    let train = train.select(&(0..256).collect::<Vec<_>>());
    let measured = std::thread::scope(|s| {
        s.spawn(|| {
            let mut net = kiln_models::LeNet5::<f32>::new(&mut seeded(3));
            let mut t = net.train_state(0);
            let mut opt = Sgd::new(0.01).unwrap();
            let x = &train.features;
            train_step(&mut net, x, &train.labels, &mut opt, &mut t).unwrap();
            let cache = kiln_models::LeNet5::<f32>::train_bytes(&t);
            let scratch = kiln::runtime::layers::scratch_bytes();
            (cache, scratch, x.len() * 4)
        })
        .join()
        .unwrap()
    });
    let (cache, scratch, input) = measured;
    assert!(scratch > 0 && cache > 0, "{cache} {scratch}");
    let need = (cache + scratch + input) as u64;
    let fit = |limit: u64| {
        std::thread::scope(|s| {
            s.spawn(|| {
                let mut net = kiln_models::LeNet5::<f32>::new(&mut seeded(3));
                Fit::new(1, 256)
                    .unwrap()
                    .batch_memory_limit(limit)
                    .quiet()
                    .run(&mut net, &mut Sgd::new(0.01).unwrap(), &train, None)
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            })
            .join()
            .unwrap()
        })
    };
    // The scratch is counted as the probes had it (it stops growing once a convolution's
    // chunks are full): the estimate is at most what the batch holds and within 10% of it.
    fit(need).unwrap();
    let e = fit(need - need / 10).unwrap_err();
    assert!(
        e.starts_with("invalid batch size: a batch of 256 needs about"),
        "{e}"
    );
}
