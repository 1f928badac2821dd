//! Every layer kind, activation and loss of `network!`, alone and stacked, checked against
//! central differences in f64 with `gradcheck` (max relative error <= 1e-6, absolute floor
//! 1e-8). Inputs are seeded random values; the seeds are fixed so no probe sits on a kink.
//! The floor covers rounding noise: a central difference at h = 1e-6 turns a few ulps of loss
//! (which any change of summation order in the GEMMs of 13 stacked layers moves) into ~4e-9.

use kiln::prelude::*;
use kiln::runtime::rng::uniform;

fn inputs(n: usize, seed: u64) -> Vec<f64> {
    let mut rng = seeded(seed);
    (0..n).map(|_| uniform(&mut rng, -1.0, 1.0)).collect()
}

fn check<N: Network<f64>>(net: &mut N, batch: usize, target: &<N::Loss as Loss<f64>>::Target, what: &str) {
    let x = inputs(batch * N::INPUT, 7);
    let cfg = GradcheckConfig {
        abs_floor: 1e-8,
        ..GradcheckConfig::default()
    };
    let report = gradcheck(net, &x, target, cfg).unwrap();
    assert!(report.checked > N::INPUT * batch, "{what}: checked only {}", report.checked);
    assert!(
        report.max_rel_error <= 1e-6,
        "{what}: max relative error {:.3e} at {} (analytic {}, numeric {})",
        report.max_rel_error,
        report.worst,
        report.worst_values.0,
        report.worst_values.1
    );
}

network! {
    /// Every activation, each fused into the dense layer before it.
    struct FusedActivations {
        input: [5],
        layers: [
            dense(6), sigmoid, dense(6), tanh, dense(6), relu, dense(6), leaky_relu(0.1),
            dense(6), elu, dense(6), softplus, dense(6), hard_sigmoid, dense(6), hardsigmoid,
            dense(6), hard_tanh, dense(6), gelu, dense(6), gelu_tanh, dense(6), swish, dense(3),
        ],
        loss: softmax_cross_entropy,
    }
}

network! {
    /// Every activation as a layer of its own (after a normalisation layer nothing fuses).
    struct StandaloneActivations {
        input: [4],
        layers: [
            layer_norm, sigmoid, layer_norm, tanh, layer_norm, relu, layer_norm, leaky_relu,
            layer_norm, elu(0.5), layer_norm, softplus, layer_norm, hard_sigmoid, layer_norm, hardsigmoid,
            layer_norm, hard_tanh, layer_norm, gelu, layer_norm, gelu_tanh, layer_norm, swish, dense(3),
        ],
        loss: softmax_cross_entropy,
    }
}

network! {
    /// Normalisation, dropout, learnable slopes, maxout and a bias-free dense layer, stacked.
    struct Stacked {
        input: [6],
        layers: [
            dense(8, bias = false), batch_norm, relu,
            dropout(0.3),
            dense(7, init = orthogonal), layer_norm, prelu,
            maxout(5, pieces = 3),
            dense(6), prelu(per_feature, init = 0.1),
            dense(4, init = normal(0.5)),
        ],
        output: [4],
        loss: softmax_cross_entropy(label_smoothing = 0.1),
    }
}

network! {
    struct CeNotesSmoothing { input: [3], layers: [dense(5), tanh, dense(4)], loss: softmax_cross_entropy(label_smoothing_notes = 0.2) }
}
network! {
    struct MseNet { input: [3], layers: [dense(5), tanh, dense(2)], loss: mse }
}
network! {
    struct HalfMseNet { input: [3], layers: [dense(5), sigmoid, dense(2)], loss: mse(half = true) }
}
network! {
    struct BceNet { input: [3], layers: [dense(5), gelu, dense(2)], loss: bce_with_logits }
}
network! {
    struct MaeNet { input: [3], layers: [dense(5), swish, dense(2)], loss: mae }
}
network! {
    /// A single layer: the input gradient comes straight from the first (and last) layer.
    struct OneLayer { input: [4], layers: [dense(3)], loss: softmax_cross_entropy }
}

fn labels(n: usize, classes: usize) -> Vec<usize> {
    (0..n).map(|i| (i * 7 + 3) % classes).collect()
}

#[test]
fn fused_activations() {
    let mut net = FusedActivations::<f64>::new(&mut seeded(11));
    check(&mut net, 4, &labels(4, 3), "fused activations");
}

#[test]
fn standalone_activations() {
    let mut net = StandaloneActivations::<f64>::new(&mut seeded(12));
    check(&mut net, 3, &labels(3, 3), "standalone activations");
}

#[test]
fn stacked_layers_in_training_mode() {
    let mut net = Stacked::<f64>::new(&mut seeded(13));
    check(&mut net, 5, &labels(5, 4), "stacked");
}

#[test]
fn every_loss() {
    check(&mut CeNotesSmoothing::<f64>::new(&mut seeded(1)), 4, &labels(4, 4), "CE notes smoothing");
    let t = inputs(4 * 2, 99);
    check(&mut MseNet::<f64>::new(&mut seeded(2)), 4, &t, "mse");
    check(&mut HalfMseNet::<f64>::new(&mut seeded(3)), 4, &t, "mse half");
    let p: Vec<f64> = t.iter().map(|v| (v + 1.0) / 2.0).collect();
    check(&mut BceNet::<f64>::new(&mut seeded(4)), 4, &p, "bce with logits");
    check(&mut MaeNet::<f64>::new(&mut seeded(5)), 4, &t, "mae");
    check(&mut OneLayer::<f64>::new(&mut seeded(6)), 2, &labels(2, 3), "one layer");
}

#[test]
fn gradcheck_catches_a_wrong_gradient() {
    // Sanity of the checker itself: corrupt the backward's result by scaling one weight's
    // contribution after the fact, and the report must flag it.
    let mut net = OneLayer::<f64>::new(&mut seeded(6));
    let x = inputs(2 * 4, 7);
    let target = labels(2, 3);
    let mut t = net.train_state(0);
    net.forward_train(x.as_chunks::<4>().0, &mut t).unwrap();
    let (out, d) = <OneLayer<f64> as Network<f64>>::output_and_grad(&mut t);
    net.loss.loss_and_grad(out, 3, &target, d).unwrap();
    net.backward(x.as_chunks::<4>().0, &mut t, None).unwrap();
    let analytic = t.grads.layer0.weight[1][2];
    let report = gradcheck(&mut net, &x, &target, GradcheckConfig::default()).unwrap();
    assert!(report.max_rel_error <= 1e-6);
    // Now a network whose weight was moved between the two evaluations disagrees.
    net.layer0.weight[1][2] += 0.5;
    let mut t2 = net.train_state(0);
    net.forward_train(x.as_chunks::<4>().0, &mut t2).unwrap();
    let (out, d) = <OneLayer<f64> as Network<f64>>::output_and_grad(&mut t2);
    net.loss.loss_and_grad(out, 3, &target, d).unwrap();
    net.backward(x.as_chunks::<4>().0, &mut t2, None).unwrap();
    assert!((t2.grads.layer0.weight[1][2] - analytic).abs() > 1e-6, "the gradient depends on the weights");
}
