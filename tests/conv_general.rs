//! General convolutions: 1-D layers on `[C, L]` (`conv1d` with causal padding, `max_pool1d`,
//! `avg_pool1d`, `batch_norm` per channel, `global_avg_pool`) and rectangular 2-D kernels,
//! strides, paddings and pooling windows: PyTorch parity (outputs, loss, every gradient and
//! the running statistics, f64), gradcheck, and the embedded form against the heap-backed one.

use kiln::prelude::*;
use kiln::runtime::rng::uniform;

#[path = "fixtures/torch_conv_general.rs"]
mod torch;
#[path = "support/torch_params.rs"]
mod torch_params;

use torch_params::{assert_close, Params};

network! {
    /// PyTorch's model in `tools/reference/conv_general.py`, layer for layer.
    struct OneD {
        input: [2, 16],
        layers: [
            conv1d(4, 3, padding = causal), relu,
            batch_norm,
            max_pool1d(2),
            conv1d(3, 3, 2, 1), tanh,
            avg_pool1d(2, 1, 1),
            global_avg_pool,
            dense(2),
        ],
        output: [2],
        loss: softmax_cross_entropy,
    }
}

network! {
    /// Rectangular kernels, strides, paddings and pooling windows.
    struct TwoD {
        input: [2, 5, 8],
        layers: [
            conv2d(3, [1, 3], padding = [0, 1]), relu,
            conv2d(2, [3, 1], stride = [2, 1]),
            max_pool2d([1, 2]),
            flatten,
            dense(2),
        ],
        loss: softmax_cross_entropy,
    }
}

network! {
    /// Depthwise separable (depthwise 3x3, pointwise 1x1) and grouped convolutions.
    struct Grouped {
        input: [4, 6, 6],
        layers: [
            conv2d(4, 3, padding = 1, groups = 4), relu,
            conv2d(6, 1),
            batch_norm2d, relu,
            conv2d(4, 3, 2, groups = 2),
            flatten,
            dense(2),
        ],
        loss: softmax_cross_entropy,
        embedded: true,
    }
}

network! {
    /// Dilated causal 1-D convolutions (WaveNet-style) and a dilated symmetric one.
    struct Dilated {
        input: [2, 16],
        layers: [
            conv1d(4, 2, padding = causal, dilation = 2), tanh,
            conv1d(4, 2, padding = causal, dilation = 4), tanh,
            conv1d(3, 3, padding = 2, dilation = 2),
            flatten,
            dense(2),
        ],
        loss: softmax_cross_entropy,
        embedded: true,
    }
}

network! {
    /// Layer norm over whole feature maps (PyTorch's `nn.LayerNorm([4, 6, 6])`).
    struct Normed {
        input: [2, 6, 6],
        layers: [conv2d(4, 3, padding = 1), layer_norm, relu, flatten, dense(2)],
        loss: softmax_cross_entropy,
        embedded: true,
    }
}

network! {
    /// PReLU with one slope per channel of a feature map, then one shared slope.
    struct Slopes {
        input: [2, 6, 6],
        layers: [
            conv2d(4, 3, padding = 1),
            prelu(per_channel),
            max_pool2d(2),
            prelu,
            flatten,
            dense(2),
        ],
        loss: softmax_cross_entropy,
        embedded: true,
    }
}

network! {
    /// PReLU per channel of a 1-D map.
    struct Slopes1d {
        input: [3, 8],
        layers: [conv1d(2, 3), prelu(per_channel, init = -0.1), flatten, dense(2)],
        loss: softmax_cross_entropy,
        embedded: true,
    }
}

network! {
    /// A causal 1-D model in its embedded form.
    struct Causal {
        input: [1, 12],
        layers: [conv1d(3, 4, padding = causal), relu, conv1d(2, 2, 2), tanh, max_pool1d(2), flatten, dense(2)],
        loss: mse,
        embedded: true,
    }
}

/// The embedded form of `$net` (seeded with `$seed`, scratch `$scratch`) computes what the heap-backed network
/// computes on one input of `$n` values, within `$tol`.
macro_rules! embedded_matches {
    ($net:ident, $scratch:ident, $seed:expr, $n:expr, $freq:expr, $tol:expr) => {{
        let net = $net::<f32>::new(&mut seeded($seed));
        let e = net.to_embedded();
        let x: [f32; $n] = core::array::from_fn(|i| (i as f32 * $freq).sin());
        let want = net.forward_one(&x, &mut net.scratch());
        let mut got = [0.0f32; 2];
        let mut scratch = $scratch::ZERO;
        e.forward(&x, &mut got, &mut scratch).unwrap();
        for (a, b) in got.iter().zip(&want) {
            assert!((a - b).abs() < $tol, "{got:?} vs {want:?}");
        }
    }};
}

/// PyTorch's run of the fixture `torch::$fixture` against `$net` (seeded 1, then loaded).
macro_rules! torch_parity {
    ($net:ident, $fixture:ident) => {{
        use torch::$fixture as f;
        parity(
            $net::<f64>::new(&mut seeded(1)),
            &f::X,
            &f::LABELS,
            &f::LOGITS,
            f::LOSS,
            &f::DX,
            f::PARAMS,
            f::BUFFERS,
        )
    }};
}

/// Every tensor's name and PyTorch shape.
fn shapes<N: Network<f64>>() -> Vec<(&'static str, Vec<usize>)> {
    N::TENSORS
        .iter()
        .map(|t| (t.name, t.shape.to_vec()))
        .collect()
}

/// `gradcheck` of a classifier on `n` seeded inputs in `[-1, 1]` with these labels.
fn labelled_gradcheck<N: Network<f64, Loss = kiln::runtime::loss::SoftmaxCrossEntropy>>(
    mut net: N,
    n: usize,
    seed: u64,
    labels: &[usize],
) -> kiln::runtime::GradcheckReport {
    gradcheck(&mut net, &inputs(n, seed), labels, Default::default()).unwrap()
}

#[allow(clippy::too_many_arguments)]
fn parity<N: Network<f64, Loss = kiln::runtime::loss::SoftmaxCrossEntropy>>(
    mut net: N,
    x: &[f64],
    labels: &[usize],
    logits: &[f64],
    loss_want: f64,
    dx_want: &[f64],
    params: Params,
    buffers: &[(&str, &[f64])],
) {
    torch_params::load(&mut net, params);
    let mut t = net.new_train(0);
    net.forward_train_flat(x, &mut t).unwrap();
    let (out, d) = N::output_and_grad(&mut t);
    assert_close(out, logits, "logits");
    let loss = net.loss_fn().loss_and_grad(out, 2, labels, d).unwrap();
    assert!(
        (loss - loss_want).abs() < 1e-12,
        "loss {loss} vs {loss_want}"
    );
    let mut dx = vec![0.0; x.len()];
    net.backward_flat(x, &mut t, Some(&mut dx)).unwrap();
    assert_close(&dx, dx_want, "dL/dx");
    torch_params::assert_grads::<N>(&t, params);
    let mut seen = 0;
    net.visit_buffers(&mut |name, v| {
        if let Some((_, want)) = buffers.iter().find(|(n, _)| *n == name) {
            assert_close(v, want, name);
            seen += 1;
        }
    });
    assert_eq!(seen, buffers.len());
}

#[test]
fn one_d_network_matches_pytorch() {
    let shapes = shapes::<OneD<f64>>();
    assert!(
        shapes.contains(&("layers.0.weight", vec![4, 2, 3])),
        "Conv1d's [CO, CI, K]: {shapes:?}"
    );
    torch_parity!(OneD, one_d);
}

#[test]
fn rectangular_two_d_network_matches_pytorch() {
    torch_parity!(TwoD, two_d);
}

#[test]
fn depthwise_separable_and_grouped_network_matches_pytorch() {
    let shapes = shapes::<Grouped<f64>>();
    assert!(
        shapes.contains(&("layers.0.weight", vec![4, 1, 3, 3])),
        "{shapes:?}"
    );
    assert!(
        shapes.contains(&("layers.5.weight", vec![4, 3, 3, 3])),
        "{shapes:?}"
    );
    torch_parity!(Grouped, grouped);
}

#[test]
fn dilated_network_matches_pytorch() {
    torch_parity!(Dilated, dilated);
    let r = labelled_gradcheck(
        Dilated::<f64>::new(&mut seeded(22)),
        2 * 2 * 16,
        21,
        &[1, 0],
    );
    assert!(r.max_rel_error <= 1e-6, "dilated: {r:?}");
    embedded_matches!(Dilated, DilatedEmbeddedScratch, 23, 32, 0.3, 1e-5);
}

#[test]
fn layer_norm_over_feature_maps_matches_pytorch() {
    let shapes = shapes::<Normed<f64>>();
    assert!(
        shapes.contains(&("layers.1.weight", vec![4, 6, 6])),
        "{shapes:?}"
    );
    torch_parity!(Normed, normed);
    let r = labelled_gradcheck(
        Normed::<f64>::new(&mut seeded(32)),
        2 * 2 * 6 * 6,
        31,
        &[0, 1],
    );
    assert!(r.max_rel_error <= 1e-6, "layer norm on maps: {r:?}");
    embedded_matches!(Normed, NormedEmbeddedScratch, 33, 72, 0.17, 1e-4);
}

#[test]
fn prelu_per_channel_matches_pytorch() {
    let shapes = shapes::<Slopes<f64>>();
    assert!(shapes.contains(&("layers.1.weight", vec![4])), "{shapes:?}");
    assert!(shapes.contains(&("layers.3.weight", vec![1])), "{shapes:?}");
    torch_parity!(Slopes, slopes);
}

#[test]
fn prelu_per_channel_matches_finite_differences_and_embeds() {
    let mut net = Slopes::<f64>::new(&mut seeded(41));
    // Negative and distinct slopes, so that a slope applied to the wrong channel shows.
    net.visit_params_mut(&mut |name, _, v| {
        if name == "layers.1.weight" {
            v.copy_from_slice(&[0.1, -0.2, 0.3, 0.6]);
        }
    });
    let r = labelled_gradcheck(net, 2 * 2 * 6 * 6, 42, &[1, 0]);
    assert!(r.max_rel_error <= 1e-6, "prelu per channel: {r:?}");
    let r = labelled_gradcheck(
        Slopes1d::<f64>::new(&mut seeded(44)),
        2 * 3 * 8,
        43,
        &[0, 1],
    );
    assert!(r.max_rel_error <= 1e-6, "prelu per channel, 1-D: {r:?}");
    embedded_matches!(Slopes, SlopesEmbeddedScratch, 45, 72, 0.37, 1e-5);
    embedded_matches!(Slopes1d, Slopes1dEmbeddedScratch, 46, 24, 0.41, 1e-5);
}

fn inputs(n: usize, seed: u64) -> Vec<f64> {
    let mut rng = seeded(seed);
    (0..n).map(|_| uniform(&mut rng, -1.0, 1.0)).collect()
}

#[test]
fn general_convolutions_match_finite_differences() {
    let r = labelled_gradcheck(OneD::<f64>::new(&mut seeded(2)), 3 * 2 * 16, 1, &[0, 1, 1]);
    assert!(r.max_rel_error <= 1e-6 && r.checked > 50, "1-D: {r:?}");
    let r = labelled_gradcheck(TwoD::<f64>::new(&mut seeded(4)), 2 * 2 * 5 * 8, 3, &[1, 0]);
    assert!(r.max_rel_error <= 1e-6 && r.checked > 40, "2-D: {r:?}");
    let r = labelled_gradcheck(
        Grouped::<f64>::new(&mut seeded(12)),
        2 * 4 * 6 * 6,
        11,
        &[1, 0],
    );
    assert!(r.max_rel_error <= 1e-6 && r.checked > 60, "grouped: {r:?}");
    let x = inputs(2 * 12, 5);
    let target = inputs(2 * 2, 6);
    let r = gradcheck(
        &mut Causal::<f64>::new(&mut seeded(7)),
        &x,
        &target,
        Default::default(),
    )
    .unwrap();
    assert!(r.max_rel_error <= 1e-6, "causal: {r:?}");
}

/// A causal convolution's output at position `t` depends on inputs up to `t` only.
#[test]
fn causal_padding_looks_only_backwards() {
    let net = Causal::<f64>::new(&mut seeded(8));
    let x = inputs(12, 9);
    let mut bumped = x.clone();
    bumped[11] += 1.0;
    // The first layer alone: compare through a one-layer network with the same weights.
    network! {
        struct First { input: [1, 12], layers: [conv1d(3, 4, padding = causal)], output: [3, 12], loss: none }
    }
    let mut first = First::<f64>::new(&mut seeded(0));
    let mut w = Vec::new();
    net.visit_params(&mut |name, _, v| {
        if name.starts_with("layers.0.") {
            w.push(v.to_vec());
        }
    });
    let mut i = 0;
    first.visit_params_mut(&mut |_, _, v| {
        v.copy_from_slice(&w[i]);
        i += 1;
    });
    let mut s = first.scratch();
    let a = first.forward_one(
        x.as_chunks::<12>().0[0].as_ref().try_into().unwrap(),
        &mut s,
    );
    let b = first.forward_one(
        bumped.as_chunks::<12>().0[0].as_ref().try_into().unwrap(),
        &mut s,
    );
    for c in 0..3 {
        for t in 0..11 {
            assert_eq!(
                a[c * 12 + t],
                b[c * 12 + t],
                "channel {c} step {t} saw the future"
            );
        }
        assert_ne!(a[c * 12 + 11], b[c * 12 + 11]);
    }
}

#[test]
fn embedded_grouped_form_computes_what_the_network_computes() {
    embedded_matches!(Grouped, GroupedEmbeddedScratch, 13, 144, 0.21, 1e-5);
}

#[test]
fn embedded_form_computes_what_the_network_computes() {
    embedded_matches!(Causal, CausalEmbeddedScratch, 10, 12, 0.37, 1e-5);
}
