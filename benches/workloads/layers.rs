//! Workloads for the layer kinds of the expressivity round (L1-L4): each a small training
//! step built around one kind, with its PyTorch twin in `benches/torch_workloads.py`.

use std::hint::black_box;

use kiln::prelude::*;
use kiln::runtime::loss::SoftmaxCrossEntropy;
use kiln::runtime::network::train_step;
use kiln::runtime::optim::{Adam, Sgd};
use kiln::runtime::rng::{uniform, KilnRng};

use super::{labels, rows, Timing, Workload, TRAIN};

network! {
    /// L1: two 1-D convolutions over 16 channels of 128 samples.
    struct L1Conv1d {
        input: [16, 128],
        layers: [conv1d(32, 5, padding = 2), relu, conv1d(32, 5, padding = 2), relu, global_avg_pool, dense(10)],
        loss: softmax_cross_entropy,
    }
}

network! {
    /// L2: a depthwise-separable block (MobileNet's): depthwise 3x3, then pointwise 1x1.
    struct L2Depthwise {
        input: [32, 16, 16],
        layers: [conv2d(32, 3, padding = 1, groups = 32), relu, conv2d(64, 1), relu, global_avg_pool, dense(10)],
        loss: softmax_cross_entropy,
    }
}

network! {
    /// L3: a dense layer at every step, then the mean over time (one label per sequence).
    struct L3MeanOverTime {
        input: [seq, 64],
        layers: [dense(256), relu, mean_over_time, dense(10)],
        loss: softmax_cross_entropy,
    }
}

network! {
    /// L4: an LSTM over padded sequences of different lengths, each one's own last step.
    struct L4Packed {
        input: [seq, 64],
        layers: [lstm(128), last_step, dense(10)],
        loss: softmax_cross_entropy,
    }
}

/// Sequences per batch and steps of the longest (L3, L4).
const SEQS: usize = 32;
const STEPS: usize = 32;

/// L4's lengths: 8 to 32 steps, the same in the PyTorch script.
fn lengths() -> Vec<usize> {
    (0..SEQS).map(|i| STEPS - (i * 7) % 25).collect()
}

/// Training steps of an image-like classifier on a batch of 32 random samples of `N` values
/// (SGD with momentum, as T2).
fn classifier<Net, const N: usize>(new: fn(&mut KilnRng) -> Net) -> Workload
where
    Net: Network<f32, Loss = SoftmaxCrossEntropy> + 'static,
{
    let mut rng = seeded(0);
    let mut net = new(&mut rng);
    let x = rows::<N>(&mut rng, 32);
    let y = labels(32);
    let mut opt = Sgd::new(0.01).unwrap().momentum(0.9).unwrap();
    let mut t = net.new_train(0);
    Workload {
        step: Box::new(move || {
            let step = train_step(&mut net, x.as_flattened(), &y, &mut opt, &mut t);
            black_box(step.unwrap());
        }),
        work: 32.0,
        timing: TRAIN,
    }
}

pub fn l1() -> Workload {
    classifier::<_, { 16 * 128 }>(L1Conv1d::<f32>::new)
}

pub fn l2() -> Workload {
    classifier::<_, { 32 * 16 * 16 }>(L2Depthwise::<f32>::new)
}

pub fn l3() -> Workload {
    let mut rng = seeded(0);
    let mut net = L3MeanOverTime::<f32>::new(&mut rng);
    let x = rows::<64>(&mut rng, SEQS * STEPS);
    let y = labels(SEQS);
    let mut opt = Sgd::new(0.01).unwrap().momentum(0.9).unwrap();
    let mut t = net.train_state(0);
    Workload {
        step: Box::new(move || {
            black_box(net.train_step_seq(&x, SEQS, &y, &mut opt, &mut t).unwrap());
        }),
        work: (SEQS * STEPS) as f64,
        timing: TRAIN,
    }
}

/// Work: the tokens inside the sequences (padding is not work).
pub fn l4() -> Workload {
    let mut rng = seeded(0);
    let mut net = L4Packed::<f32>::new(&mut rng);
    let lengths = lengths();
    // Time-major: row `step * SEQS + s`; zeros past each sequence's end.
    let x: Vec<[f32; 64]> = (0..SEQS * STEPS)
        .map(|r| {
            let live = r / SEQS < lengths[r % SEQS];
            std::array::from_fn(|_| {
                if live {
                    uniform(&mut rng, 0.0, 1.0)
                } else {
                    0.0
                }
            })
        })
        .collect();
    let y = labels(SEQS);
    let mut opt = Adam::new(1e-3).unwrap();
    let mut t = net.train_state(0);
    let tokens = lengths.iter().sum::<usize>() as f64;
    Workload {
        step: Box::new(move || {
            black_box(
                net.train_step_padded(&x, &lengths, &y, &mut opt, &mut t)
                    .unwrap(),
            );
        }),
        work: tokens,
        timing: Timing {
            repeats: 5,
            inner: 20,
            ..TRAIN
        },
    }
}
