//! The `Fit` training loop on real data: a run resumed from its checkpoint repeats the
//! uninterrupted run bit for bit; early stopping, callbacks, validation metrics (confusion
//! matrix, perplexity) and the plot do what they say.

use std::path::PathBuf;

use kiln::data::{digits, Augment, Dataset, Samples, TextWindows, TokenRows, Vocab};
use kiln::prelude::*;
use kiln::runtime::optim::{Adam, Sgd};
use kiln::runtime::schedule::Cosine;
use kiln::train::{Control, EarlyStopping, Fit, Metric, TrainError};

network! {
    struct Mlp {
        input: [64],
        layers: [dense(32), relu, dropout(0.2), batch_norm, dense(10)],
        loss: softmax_cross_entropy,
    }
}

network! {
    struct CharNet {
        input: [seq, 1],
        layers: [embedding(26, 8), gru(16), dense(26)],
        output: [seq, 26],
        loss: softmax_cross_entropy,
    }
}

fn scratch_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("kiln-fit-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn data() -> (Dataset, Dataset) {
    let mut d = digits().unwrap();
    d.scale(1.0 / 16.0);
    let (train, val) = d.split(0.8, 3).unwrap();
    (train.select(&(0..600).collect::<Vec<_>>()), val)
}

fn weights(net: &mut Mlp<f32>) -> Vec<f32> {
    let mut w = Vec::new();
    net.visit_params(&mut |_, _, v| w.extend_from_slice(v));
    net.visit_buffers_mut(&mut |_, v| w.extend_from_slice(v));
    w
}

fn fit<'a>(epochs: usize) -> Fit<'a> {
    Fit::new(epochs, 32)
        .unwrap()
        .seed(11)
        .schedule(Cosine::new(0.05, 4 * 19, 0.0).unwrap())
        .augment(Augment::new(1, 8, 8).unwrap().noise(0.05).unwrap())
        .quiet()
}

#[test]
fn resumed_run_repeats_the_uninterrupted_run_bit_for_bit() {
    let (train, val) = data();
    let dir = scratch_dir("resume");
    let opt = || Sgd::new(0.05).unwrap().momentum(0.9).unwrap();

    let mut whole = Mlp::<f32>::new(&mut seeded(1));
    let h_whole = fit(4)
        .run(&mut whole, &mut opt(), &train, Some(&val))
        .unwrap();

    let ckpt = dir.join("half.safetensors");
    let mut first = Mlp::<f32>::new(&mut seeded(1));
    fit(4)
        .checkpoint(&ckpt)
        .on_epoch(|r| {
            if r.epoch == 2 {
                Control::Stop
            } else {
                Control::Continue
            }
        })
        .run(&mut first, &mut opt(), &train, Some(&val))
        .unwrap();
    // A new process would start from a different initialisation and a fresh optimiser.
    let mut resumed = Mlp::<f32>::new(&mut seeded(99));
    let h_resumed = fit(4)
        .resume(&ckpt)
        .run(&mut resumed, &mut opt(), &train, Some(&val))
        .unwrap();

    assert_eq!(weights(&mut whole), weights(&mut resumed));
    assert_eq!(
        h_resumed.epochs.len(),
        4,
        "history continues from the checkpoint"
    );
    for (a, b) in h_whole.epochs.iter().zip(&h_resumed.epochs) {
        assert_eq!(a.train.loss, b.train.loss);
        assert_eq!(a.val.as_ref().unwrap().loss, b.val.as_ref().unwrap().loss);
    }
    assert!(
        h_whole
            .last()
            .unwrap()
            .val
            .as_ref()
            .unwrap()
            .accuracy
            .unwrap_or(f64::NAN)
            > 0.9
    );

    // Resuming with other settings would not repeat the run: refused.
    let err = Fit::new(4, 16)
        .unwrap()
        .seed(11)
        .resume(&ckpt)
        .quiet()
        .run(&mut resumed, &mut opt(), &train, Some(&val))
        .unwrap_err();
    assert!(err.to_string().contains("batch size 32"), "{err}");

    // Other data of the same size and shape (one pixel changed) is refused too: the
    // checkpoint holds a fingerprint of the training set.
    let mut other = train.clone();
    other.features[100] += 0.5;
    let err = fit(4)
        .resume(&ckpt)
        .run(&mut resumed, &mut opt(), &other, Some(&val))
        .unwrap_err();
    assert!(err.to_string().contains("training set"), "{err}");
}

#[test]
fn early_stopping_restores_the_best_epoch_and_metrics_are_complete() {
    let (train, val) = data();
    let dir = scratch_dir("early");
    let plot = dir.join("curves.svg");
    let mut net = Mlp::<f32>::new(&mut seeded(2));
    let mut seen = Vec::new();
    // A learning rate this high makes validation loss wander, so patience 1 stops early.
    let history = Fit::new(30, 32)
        .unwrap()
        .seed(5)
        .early_stopping(
            EarlyStopping::new(Metric::Loss, 1)
                .unwrap()
                .restore_best(true),
        )
        .checkpoint(dir.join("run.safetensors"))
        .plot(&plot, "digits")
        .on_epoch(|r| {
            seen.push(r.epoch);
            Control::Continue
        })
        .quiet()
        .run(&mut net, &mut Adam::new(0.02).unwrap(), &train, Some(&val))
        .unwrap();
    let stopped = history.stopped_early.expect("stopped before 30 epochs");
    assert!(stopped < 30);
    assert_eq!(seen, (1..=stopped).collect::<Vec<_>>());
    let best = history
        .epochs
        .iter()
        .min_by(|a, b| {
            a.val
                .as_ref()
                .unwrap()
                .loss
                .total_cmp(&b.val.as_ref().unwrap().loss)
        })
        .unwrap();
    assert_eq!(history.restored_epoch, Some(best.epoch));
    // The network now holds the best epoch's weights: evaluating gives its loss again.
    let now = kiln::train::evaluate(&net, &val, 512).unwrap();
    assert_eq!(now.loss, best.val.as_ref().unwrap().loss);
    let confusion = now.confusion.expect("classifiers get a confusion matrix");
    let total: u64 = (0..10).map(|c| confusion.support(c)).sum();
    assert_eq!(total as usize, val.len());
    assert!(dir.join("run.best.safetensors").exists());
    let svg = std::fs::read_to_string(&plot).unwrap();
    assert!(svg.contains("<svg") && svg.contains("validation"), "{svg}");
}

#[test]
fn language_models_report_perplexity() {
    let text = "the quick brown fox jumps over the lazy dog ".repeat(40);
    let text: String = text.chars().filter(|c| c.is_ascii_lowercase()).collect();
    let vocab = Vocab::from_text(&text).unwrap();
    let ids = vocab.encode(&text).unwrap();
    assert_eq!(vocab.len(), 26);
    let cut = ids.len() * 9 / 10;
    let train = TextWindows::new(ids[..cut].to_vec(), 16, TokenRows::Ids).unwrap();
    let val = TextWindows::new(ids[cut..].to_vec(), 16, TokenRows::Ids).unwrap();
    let mut net = CharNet::<f32>::new(&mut seeded(3));
    let history = Fit::new(15, 8)
        .unwrap()
        .clip_grad_norm(5.0)
        .unwrap()
        .quiet()
        .run(&mut net, &mut Adam::new(0.02).unwrap(), &train, Some(&val))
        .unwrap();
    let first = history.epochs[0].val.clone().unwrap();
    let last = history.last().unwrap().val.clone().unwrap();
    let (p0, p1) = (first.perplexity.unwrap(), last.perplexity.unwrap());
    assert!((p1 - last.loss.exp()).abs() < 1e-9);
    assert!(last.confusion.is_none());
    // The pangram repeats, so the model learns it almost by heart.
    assert!(p1 < 2.0 && p1 < p0 / 3.0, "perplexity {p0} -> {p1}");
}

#[test]
fn bad_settings_are_errors_before_any_step() {
    let (train, val) = data();
    let mut net = Mlp::<f32>::new(&mut seeded(1));
    let mut opt = Sgd::new(0.1).unwrap();
    assert!(Fit::new(0, 8).is_err());
    assert!(Fit::new(1, 0).is_err());
    assert!(Fit::new(1, 8).unwrap().clip_grad_norm(0.0).is_err());
    let wide = Dataset {
        features: vec![0.0; 65 * 2],
        labels: vec![0, 1],
        width: 65,
    };
    let msg = |e: TrainError| e.to_string();
    let e = Fit::new(1, 8)
        .unwrap()
        .quiet()
        .run(&mut net, &mut opt, &wide, None);
    assert!(msg(e.unwrap_err()).contains("65 features, the network takes 64"));
    let e = Fit::new(1, 8)
        .unwrap()
        .early_stopping(EarlyStopping::new(Metric::Accuracy, 2).unwrap())
        .quiet()
        .run(&mut net, &mut opt, &train, None);
    assert!(msg(e.unwrap_err()).contains("needs a validation set"));
    let e = Fit::new(1, 8)
        .unwrap()
        .augment(Augment::new(3, 8, 8).unwrap())
        .quiet()
        .run(&mut net, &mut opt, &train, Some(&val as &dyn Samples));
    assert!(e.is_err());
    // Labels the network cannot output are the loss's error, not a panic.
    let bad = Dataset {
        features: vec![0.0; 64],
        labels: vec![12],
        width: 64,
    };
    assert!(Fit::new(1, 8)
        .unwrap()
        .quiet()
        .run(&mut net, &mut opt, &bad, None)
        .is_err());
    // A learning rate this large makes the loss overflow: the run stops and says where.
    let e = Fit::new(3, 8)
        .unwrap()
        .quiet()
        .run(&mut net, &mut Sgd::new(1e30).unwrap(), &train, None)
        .unwrap_err();
    assert!(matches!(e, TrainError::Diverged { .. }), "{e}");
}
