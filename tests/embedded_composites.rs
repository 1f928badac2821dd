//! The embedded form of composites (`residual`, `concat`, blocks, nested) and maxout against
//! the heap-backed network they came from (`to_embedded`): the same outputs in f32 and f64,
//! scratch sizes as the consts say, every tensor reachable by its PyTorch name.

use kiln::prelude::*;

network! {
    block basic(c) {
        residual { conv2d(c, 3, padding = 1), batch_norm2d, relu, conv2d(c, 3, padding = 1), batch_norm2d },
        relu,
    }
    block down(c) {
        residual { conv2d(c, 3, stride = 2, padding = 1), batch_norm2d, relu, conv2d(c, 3, padding = 1) }
        shortcut { conv2d(c, 1, stride = 2), batch_norm2d },
        relu,
    }
    /// A small ResNet: identity and projection shortcuts inside blocks.
    struct TinyResNet {
        input: [2, 8, 8],
        layers: [conv2d(4, 3, padding = 1), relu, basic(4), down(6), global_avg_pool, flatten, dense(3)],
        loss: none,
        embedded: true,
    }
}

network! {
    /// Inception-like branches joined on channels, one of them starting with an activation
    /// (which must not change the input the other branches read).
    struct Branches {
        input: [3, 6, 6],
        layers: [
            concat {
                [conv2d(2, 1)],
                [relu, conv2d(3, 3, padding = 1), tanh],
                [max_pool2d(3, stride = 1, padding = 1), conv2d(1, 1)],
            },
            flatten,
            maxout(4, pieces = 3),
            softmax,
        ],
        loss: none,
        embedded: true,
    }
}

network! {
    /// Residual blocks over flat features, an activation first in the main branch, a block
    /// nested in a residual, and a residual whose output is the network's output.
    struct FlatRes {
        input: [12],
        layers: [
            residual { relu, dense(12), tanh, dense(12) },
            residual { dense(8), relu, dense(12) } shortcut { dense(12, bias = false) },
            tanh,
            residual { residual { dense(12), sigmoid } },
        ],
        loss: none,
        embedded: true,
    }
}

network! {
    /// A concat inside a residual (its branches write into the residual's work area), one
    /// branch starting with an activation.
    struct Mixed {
        input: [6],
        layers: [dense(6), residual { concat { [relu, dense(3)], [dense(3), tanh] }, relu }, dense(2), log_softmax],
        loss: none,
        embedded: true,
    }
}

network! {
    /// A streaming network with a residual over each step's features.
    struct StepRes {
        input: [seq, 4],
        layers: [lstm(6), residual { dense(6), tanh, dense(6) }, dense(2)],
        loss: none,
        embedded: true,
    }
}

fn input<const N: usize>(k: usize) -> [f64; N] {
    std::array::from_fn(|i| (((i * 13 + k * 7) % 17) as f64 / 8.0) - 1.0)
}

fn close<T: Float>(a: &[T], b: &[T], tol: f64, what: &str) {
    assert_eq!(a.len(), b.len());
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        let (x, y) = (x.to_f64(), y.to_f64());
        assert!(
            (x - y).abs() <= tol * (1.0 + y.abs()),
            "{what}[{i}]: embedded {x}, heap {y}"
        );
    }
}

/// Batch-norm statistics away from their initial values, so that eval mode is exercised.
fn perturb_stats<T: Float, N: Network<T>>(net: &mut N) {
    let mut k = 0;
    net.visit_buffers_mut(&mut |name, v| {
        if !kiln::runtime::network::is_counter(name) {
            for x in v.iter_mut() {
                k += 1;
                *x += T::from_f64((k % 7) as f64 / 10.0);
            }
        }
    });
}

macro_rules! check_forward {
    ($net:ident, $emb_scratch:ident, $n_in:expr, $float:ty, $tol:expr) => {{
        let mut net = $net::<$float>::new(&mut seeded(5));
        perturb_stats(&mut net);
        let e = net.to_embedded();
        let mut s = $emb_scratch::<$float>::ZERO;
        for k in 0..3 {
            let x: [$float; $n_in] = input::<$n_in>(k).map(|v| v as $float);
            let want = net.forward_one(&x, &mut net.scratch());
            let mut y = want;
            y.fill(0.0);
            e.forward(&x, &mut y, &mut s).unwrap();
            close(&y, &want, $tol, stringify!($net));
        }
    }};
}

#[test]
fn residual_networks_run_embedded() {
    check_forward!(TinyResNet, TinyResNetEmbeddedScratch, 128, f32, 2e-5);
    check_forward!(TinyResNet, TinyResNetEmbeddedScratch, 128, f64, 1e-12);
    check_forward!(FlatRes, FlatResEmbeddedScratch, 12, f32, 2e-5);
    check_forward!(FlatRes, FlatResEmbeddedScratch, 12, f64, 1e-12);
    check_forward!(Mixed, MixedEmbeddedScratch, 6, f32, 2e-5);
    check_forward!(Mixed, MixedEmbeddedScratch, 6, f64, 1e-12);
}

#[test]
fn concat_branches_and_maxout_run_embedded() {
    check_forward!(Branches, BranchesEmbeddedScratch, 108, f32, 2e-5);
    check_forward!(Branches, BranchesEmbeddedScratch, 108, f64, 1e-12);
}

#[test]
fn a_residual_over_each_step_streams_embedded() {
    let net = StepRes::<f64>::new(&mut seeded(2));
    let e = net.to_embedded();
    let mut s = StepResEmbeddedScratch::<f64>::ZERO;
    let mut st = net.stream();
    for k in 0..6 {
        let x = input::<4>(k);
        let want = net.step(&mut st, &x);
        let mut y = [0.0; 2];
        e.step(&x, &mut y, &mut s).unwrap();
        close(&y, &want, 1e-12, "step");
    }
}

#[test]
fn scratch_consts_count_the_work_area() {
    assert_eq!(
        TinyResNetEmbedded::<f32>::SCRATCH_BYTES,
        TinyResNetEmbeddedScratch::<f32>::BYTES
    );
    assert_eq!(
        BranchesEmbedded::<f64>::SCRATCH_BYTES,
        BranchesEmbeddedScratch::<f64>::BYTES
    );
    assert_eq!(
        FlatResEmbedded::<f32>::SCRATCH_BYTES,
        FlatResEmbeddedScratch::<f32>::BYTES
    );
    assert_eq!(
        StepResEmbedded::<f32>::SCRATCH_BYTES,
        StepResEmbeddedScratch::<f32>::BYTES
    );
    assert_eq!(
        TinyResNetEmbedded::<f32>::MODEL_BYTES,
        TinyResNet::<f32>::MODEL_BYTES
    );
}

#[test]
fn every_tensor_of_a_composite_is_reachable_by_its_pytorch_name() {
    let net = TinyResNet::<f32>::new(&mut seeded(1));
    let e = net.to_embedded();
    assert_eq!(
        TinyResNetEmbedded::<f32>::TENSORS.len(),
        TinyResNet::<f32>::TENSORS
            .iter()
            .filter(|t| !t.is_counter())
            .count()
    );
    let mut seen = 0;
    net.visit_params(&mut |name, _, v| {
        let mut got = vec![0.0f32; v.len()];
        e.get_tensor(name, &mut got).unwrap();
        assert_eq!(got, v, "{name}");
        seen += 1;
    });
    assert!(seen > 10);
    assert!(TinyResNetEmbedded::<f32>::TENSORS
        .iter()
        .any(|(n, _)| *n == "layers.3.0.shortcut.0.weight"));
}

network! {
    /// Streaming classifiers: each step's output is the one for the sequence so far.
    struct Last { input: [seq, 3], layers: [lstm(5), last_step, dense(2)], loss: none, embedded: true }
}
network! {
    struct Mean { input: [seq, 3], layers: [gru(5), dense(4), tanh, mean_over_time, dense(3)], loss: none, embedded: true }
}
network! {
    struct Max { input: [seq, 3], layers: [rnn(4), max_over_time, dense(2)], loss: none, embedded: true }
}

macro_rules! check_stream {
    ($net:ident, $emb_scratch:ident, $n_out:expr) => {{
        let net = $net::<f64>::new(&mut seeded(9));
        let e = net.to_embedded();
        let mut s = $emb_scratch::<f64>::ZERO;
        let xs: Vec<[f64; 3]> = (0..7).map(input::<3>).collect();
        let mut st = net.stream();
        for (t, x) in xs.iter().enumerate() {
            let mut y = [0.0; $n_out];
            e.step(x, &mut y, &mut s).unwrap();
            close(&y, &net.step(&mut st, x), 1e-12, stringify!($net));
            // The whole-sequence forward of the first t + 1 steps gives the same.
            let mut whole = [[0.0; $n_out]; 1];
            net.forward_seq(&xs[..=t], t + 1, &mut whole, &mut net.scratch())
                .unwrap();
            close(&y, &whole[0], 1e-12, stringify!($net));
        }
        // `reset` starts a new sequence.
        s.reset();
        let mut y = [0.0; $n_out];
        e.step(&xs[0], &mut y, &mut s).unwrap();
        close(
            &y,
            &net.step(&mut net.stream(), &xs[0]),
            1e-12,
            "after reset",
        );
    }};
}

#[test]
fn reductions_over_time_stream_embedded() {
    check_stream!(Last, LastEmbeddedScratch, 2);
    check_stream!(Mean, MeanEmbeddedScratch, 3);
    check_stream!(Max, MaxEmbeddedScratch, 2);
    assert_eq!(
        MeanEmbedded::<f32>::SCRATCH_BYTES,
        MeanEmbeddedScratch::<f32>::BYTES
    );
}

network! {
    /// Recurrent layers inside composites: each keeps its own state in the scratch.
    struct DeepStream {
        input: [seq, 3],
        layers: [
            lstm(4),
            residual { lstm(4), tanh },
            concat { [gru(2)], [rnn(3), dense(2)] },
            mean_over_time,
            dense(2),
        ],
        loss: none,
        embedded: true,
    }
}

#[test]
fn recurrent_layers_inside_composites_stream_embedded() {
    check_stream!(DeepStream, DeepStreamEmbeddedScratch, 2);
    // Three states of their own beside the top-level LSTM's and the reduction's.
    let s = DeepStreamEmbeddedScratch::<f32>::ZERO;
    let _ = (&s.s0, &s.s1_main_0, &s.s2_0_0, &s.s2_1_0, &s.s3);
    assert_eq!(
        DeepStreamEmbedded::<f32>::SCRATCH_BYTES,
        DeepStreamEmbeddedScratch::<f32>::BYTES
    );
}
