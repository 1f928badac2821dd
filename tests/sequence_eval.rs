//! Evaluating a sequence network gives the same value whatever ran before: the plain methods
//! take the step count from their input (one sequence, or the declared `seq(n)`), the `*_seq`
//! forms from their argument, and `kiln::train::evaluate` from the data.

use kiln::data::{TextWindows, TokenRows};
use kiln::prelude::*;
use kiln::runtime::optim::Sgd;
use kiln::runtime::rng::uniform;
use kiln::train::evaluate;

network! {
    /// One label per step.
    struct Tagger {
        input: [seq, 3],
        layers: [gru(5), dense(3)],
        output: [seq, 3],
        loss: softmax_cross_entropy,
    }
}

network! {
    /// One label per sequence.
    struct Reader {
        input: [seq, 3],
        layers: [lstm(4), mean_over_time, dense(2)],
        output: [2],
        loss: softmax_cross_entropy,
    }
}

network! {
    /// Sequences of a declared length.
    struct Fixed {
        input: [seq(4), 3],
        layers: [gru(5), dense(3)],
        output: [seq(4), 3],
        loss: softmax_cross_entropy,
    }
}

const STEPS: usize = 4;
const SEQS: usize = 3;

/// `SEQS` sequences of `STEPS` steps, time-major, and the rows of sequence `s` alone.
fn batch() -> (Vec<[f64; 3]>, impl Fn(usize) -> Vec<[f64; 3]>) {
    let mut rng = seeded(4);
    let x: Vec<[f64; 3]> = (0..STEPS * SEQS)
        .map(|_| [(); 3].map(|_| uniform(&mut rng, -1.0, 1.0)))
        .collect();
    let one = {
        let x = x.clone();
        move |s: usize| (0..STEPS).map(|t| x[t * SEQS + s]).collect()
    };
    (x, one)
}

#[test]
fn per_step_loss_does_not_depend_on_earlier_calls() {
    let net = Tagger::<f64>::new(&mut seeded(1));
    let (x, one) = batch();
    let labels: Vec<usize> = (0..STEPS * SEQS).map(|i| i % 3).collect();
    let mut s = net.scratch();
    let batched = net.eval_loss_seq(&x, STEPS, &labels, &mut s).unwrap();
    // The mean over sequences of each sequence run alone through the plain form.
    let alone: f64 = (0..SEQS)
        .map(|q| {
            let l: Vec<usize> = (0..STEPS).map(|t| labels[t * SEQS + q]).collect();
            net.eval_loss(&one(q), &l, &mut s).unwrap()
        })
        .sum::<f64>()
        / SEQS as f64;
    assert!((batched - alone).abs() < 1e-12, "{batched} vs {alone}");
    // A forward over another step count in between changes nothing.
    let mut y = vec![[0.0; 3]; x.len()];
    net.forward_seq(&x, 2, &mut y, &mut s).unwrap();
    assert_eq!(
        net.eval_loss_seq(&x, STEPS, &labels, &mut s).unwrap(),
        batched
    );
    let l0: Vec<usize> = (0..STEPS).map(|t| labels[t * SEQS]).collect();
    let first = net.eval_loss(&one(0), &l0, &mut s).unwrap();
    net.forward_seq(&x, 6, &mut y, &mut s).unwrap();
    assert_eq!(net.eval_loss(&one(0), &l0, &mut s).unwrap(), first);
    // The training forward agrees with the evaluation (no dropout, no batch norm).
    let mut net = net;
    let mut t = net.train_state(0);
    let out = net.forward_train_seq(&x, STEPS, &mut t).unwrap().to_vec();
    net.forward_seq(&x, STEPS, &mut y, &mut s).unwrap();
    assert_eq!(out, y);
}

#[test]
fn per_sequence_loss_does_not_depend_on_earlier_calls() {
    let mut net = Reader::<f64>::new(&mut seeded(2));
    let (x, one) = batch();
    let labels = [1usize, 0, 1];
    let mut s = net.scratch();
    let batched = net.eval_loss_seq(&x, STEPS, &labels, &mut s).unwrap();
    let alone: f64 = (0..SEQS)
        .map(|q| net.eval_loss(&one(q), &labels[q..q + 1], &mut s).unwrap())
        .sum::<f64>()
        / SEQS as f64;
    assert!((batched - alone).abs() < 1e-12, "{batched} vs {alone}");
    // A training step over other lengths leaves the evaluation's step count alone.
    let mut t = net.train_state(0);
    let before = net.eval_loss_seq(&x, STEPS, &labels, &mut s).unwrap();
    let mut opt = Sgd::new(0.0).unwrap();
    net.train_step_seq(&x[..6], 2, &labels, &mut opt, &mut t)
        .unwrap();
    assert_eq!(
        net.eval_loss_seq(&x, STEPS, &labels, &mut s).unwrap(),
        before
    );
    // The plain form on a batch of several sequences is one long sequence: a length error
    // here (three labels for one sequence), not a silently different number.
    assert!(net.eval_loss(&x, &labels, &mut s).is_err());
}

#[test]
fn declared_length_is_used_by_the_plain_methods() {
    let net = Fixed::<f64>::new(&mut seeded(3));
    let (x, _) = batch();
    let labels: Vec<usize> = (0..STEPS * SEQS).map(|i| (i * 7) % 3).collect();
    let mut s = net.scratch();
    let plain = net.eval_loss(&x, &labels, &mut s).unwrap();
    let mut y = vec![[0.0; 3]; x.len()];
    // Another length is refused, and leaves the declared one in place.
    assert!(net.forward_seq(&x, 2, &mut y, &mut s).is_err());
    assert_eq!(net.eval_loss(&x, &labels, &mut s).unwrap(), plain);
    assert_eq!(
        net.eval_loss_seq(&x, STEPS, &labels, &mut s).unwrap(),
        plain
    );
}

network! {
    struct CharTagger {
        input: [seq, 1],
        layers: [embedding(5, 4), gru(6), dense(5)],
        output: [seq, 5],
        loss: softmax_cross_entropy,
    }
}

#[test]
fn evaluate_takes_the_step_count_from_the_data() {
    let net = CharTagger::<f32>::new(&mut seeded(5));
    let ids: Vec<usize> = (0..200).map(|i| (i * i + 3 * i) % 5).collect();
    let windows = TextWindows::new(ids, 8, TokenRows::Ids).unwrap();
    let a = evaluate(&net, &windows, 7).unwrap();
    // Whatever step count the network's own methods used last.
    let mut s = net.scratch();
    let mut y = vec![[0.0f32; 5]; 9];
    net.forward_seq(&[[1.0]; 9], 3, &mut y, &mut s).unwrap();
    let b = evaluate(&net, &windows, 5).unwrap();
    assert!(
        (a.loss - b.loss).abs() < 1e-6 && a.accuracy == b.accuracy,
        "{a:?} {b:?}"
    );
    let ppl = a.perplexity.unwrap();
    assert!((ppl - a.loss.exp()).abs() < 1e-9 * ppl);
}
