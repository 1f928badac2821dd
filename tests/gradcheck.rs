//! Every layer kind, activation and loss of `network!`, alone and stacked, checked against
//! central differences in f64 with `gradcheck` (max relative error <= 1e-6, absolute floor
//! 1e-9). Inputs are seeded random values; the seeds are fixed so no probe sits on a kink.

use kiln::prelude::*;
use kiln::runtime::rng::uniform;

fn inputs(n: usize, seed: u64) -> Vec<f64> {
    let mut rng = seeded(seed);
    (0..n).map(|_| uniform(&mut rng, -1.0, 1.0)).collect()
}

fn check<N: Network<f64>>(
    net: &mut N,
    batch: usize,
    target: &<N::Loss as Loss<f64>>::Target,
    what: &str,
) {
    let x = inputs(batch * N::INPUT, 7);
    let report = gradcheck(net, &x, target, GradcheckConfig::default()).unwrap();
    assert!(
        report.checked > N::INPUT * batch,
        "{what}: checked only {}",
        report.checked
    );
    if let Err(e) = report.within(1e-6) {
        panic!("{what}: {e}");
    }
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
    struct CeNotesSmoothing { input: [3], layers: [dense(5), tanh, dense(4)], loss: softmax_cross_entropy(label_smoothing_others = 0.2) }
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
    struct WeightedCeNet { input: [3], layers: [dense(5), tanh, dense(3)], loss: softmax_cross_entropy(weight = [0.5, 2.0, 1.25], label_smoothing = 0.1) }
}
network! {
    struct PosWeightBceNet { input: [3], layers: [dense(5), tanh, dense(2)], loss: bce_with_logits(pos_weight = [3.0, 0.5]) }
}
network! {
    struct HuberNet { input: [3], layers: [dense(5), tanh, dense(2)], loss: huber(delta = 0.3) }
}
network! {
    struct SmoothL1Net { input: [3], layers: [dense(5), tanh, dense(2)], loss: smooth_l1(beta = 0.4) }
}
network! {
    struct NllNet { input: [3], layers: [dense(5), tanh, dense(4), log_softmax], loss: nll(weight = [1.0, 0.5, 2.0, 1.5]) }
}
network! {
    struct SoftmaxMseNet { input: [3], layers: [dense(5), tanh, dense(3), softmax], loss: mse }
}
network! {
    /// `log_softmax` + `nll` against `softmax_cross_entropy` on the same weights.
    struct CeNet { input: [3], layers: [dense(5), tanh, dense(4)], loss: softmax_cross_entropy }
}
network! {
    struct LogSoftmaxNllNet { input: [3], layers: [dense(5), tanh, dense(4), log_softmax], loss: nll }
}
network! {
    /// A segmentation head: one class label per pixel of [3, 6, 6] logits.
    struct SegmentationNet {
        input: [2, 6, 6],
        layers: [conv2d(4, 3, padding = 1), tanh, conv2d(3, 1)],
        output: [3, 6, 6],
        loss: softmax_cross_entropy(per_position = true),
    }
}
network! {
    /// A single layer: the input gradient comes straight from the first (and last) layer.
    struct OneLayer { input: [4], layers: [dense(3)], loss: softmax_cross_entropy }
}

network! {
    /// Blocks, residual connections (identity and projected) and concatenated branches.
    block mlp_block(w) { dense(w), tanh, dense(w) }
    struct Composite {
        input: [4],
        layers: [
            dense(6), relu,
            residual { dense(6), tanh, dense(6) }, tanh,
            residual { dense(5), sigmoid } shortcut { dense(5) }, gelu,
            concat { [dense(3), tanh], [], [mlp_block(2), sigmoid] },
            mlp_block(3),
        ],
        output: [3],
        loss: softmax_cross_entropy,
    }
}

network! {
    /// Convolution, pooling, per-channel batch norm, a projected residual block, a concat of a
    /// convolution and a pooling branch, dropout after the conv stack, flatten and dense.
    block res(c, s) {
        residual { conv2d(c, 3, s, 1), batch_norm2d, relu, conv2d(c, 3, 1, 1), batch_norm2d }
        shortcut { conv2d(c, 1, s), batch_norm2d },
        relu,
    }
    struct SmallConv {
        input: [2, 7, 6],
        layers: [
            conv2d(3, 3, padding = same), relu,
            max_pool2d(2, stride = 1, shape = [3, 6, 5]),
            res(4, 2),
            concat { [conv2d(2, 1), tanh], [avg_pool2d(3, 1, 1)] },
            batch_norm2d,
            dropout(0.2),
            conv2d(6 -> 3, 2, padding = wide), elu,
            global_avg_pool,
            dense(3),
        ],
        loss: softmax_cross_entropy,
    }
}

network! {
    /// Flatten between the conv stack and the dense head.
    struct FlattenHead {
        input: [1, 6, 6],
        layers: [conv2d(2, 3, stride = 2), sigmoid, avg_pool2d(2), flatten(2), dense(3)],
        loss: softmax_cross_entropy,
    }
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
fn blocks_residuals_and_concatenation() {
    let mut net = Composite::<f64>::new(&mut seeded(14));
    check(&mut net, 3, &labels(3, 3), "composite");
    let mut names = Vec::new();
    Network::visit_params(&net, &mut |n, _, _| names.push(n.to_string()));
    assert_eq!(names.len(), 2 + 4 + 4 + 2 + 4 + 4, "{names:?}");
    for want in [
        "layers.2.main.0.weight",
        "layers.2.main.2.bias",
        "layers.4.shortcut.0.weight",
        "layers.6.0.0.weight",
        "layers.6.2.0.2.weight",
        "layers.7.2.bias",
    ] {
        assert!(
            names.iter().any(|n| n == want),
            "{want} missing from {names:?}"
        );
    }
}

#[test]
fn convolutional_layers_and_blocks() {
    check(
        &mut SmallConv::<f64>::new(&mut seeded(15)),
        3,
        &labels(3, 3),
        "small conv net",
    );
    check(
        &mut FlattenHead::<f64>::new(&mut seeded(16)),
        2,
        &labels(2, 3),
        "flatten head",
    );
}

#[test]
fn every_loss() {
    check(
        &mut CeNotesSmoothing::<f64>::new(&mut seeded(1)),
        4,
        &labels(4, 4),
        "CE notes smoothing",
    );
    let t = inputs(4 * 2, 99);
    check(&mut MseNet::<f64>::new(&mut seeded(2)), 4, &t, "mse");
    check(
        &mut HalfMseNet::<f64>::new(&mut seeded(3)),
        4,
        &t,
        "mse half",
    );
    let p: Vec<f64> = t.iter().map(|v| (v + 1.0) / 2.0).collect();
    check(
        &mut BceNet::<f64>::new(&mut seeded(4)),
        4,
        &p,
        "bce with logits",
    );
    check(&mut MaeNet::<f64>::new(&mut seeded(5)), 4, &t, "mae");
    check(
        &mut WeightedCeNet::<f64>::new(&mut seeded(7)),
        4,
        &labels(4, 3),
        "class-weighted CE with smoothing",
    );
    check(
        &mut PosWeightBceNet::<f64>::new(&mut seeded(8)),
        4,
        &p,
        "bce with pos_weight",
    );
    check(&mut HuberNet::<f64>::new(&mut seeded(9)), 4, &t, "huber");
    let xs = inputs(2 * 72, 96);
    let pixels = labels(2 * 36, 3);
    let r = gradcheck(
        &mut SegmentationNet::<f64>::new(&mut seeded(14)),
        &xs,
        &pixels,
        Default::default(),
    )
    .unwrap();
    assert!(
        r.max_rel_error <= 1e-6 && r.checked > 40,
        "per-position CE: {r:?}"
    );
    check(
        &mut NllNet::<f64>::new(&mut seeded(11)),
        4,
        &labels(4, 4),
        "log_softmax + nll",
    );
    let t3 = inputs(4 * 3, 98);
    check(
        &mut SoftmaxMseNet::<f64>::new(&mut seeded(12)),
        4,
        &t3,
        "softmax + mse",
    );
    check(
        &mut SmoothL1Net::<f64>::new(&mut seeded(10)),
        4,
        &t,
        "smooth l1",
    );
    check(
        &mut OneLayer::<f64>::new(&mut seeded(6)),
        2,
        &labels(2, 3),
        "one layer",
    );
}

/// A network whose backward is off by 0.1% in one input coordinate: gradcheck must notice.
struct Skewed(OneLayer<f64>);

impl Network<f64> for Skewed {
    const INPUT: usize = 4;
    const OUTPUT: usize = 3;
    type Loss = <OneLayer<f64> as Network<f64>>::Loss;
    type Scratch = <OneLayer<f64> as Network<f64>>::Scratch;
    type Train = <OneLayer<f64> as Network<f64>>::Train;
    fn visit_buffers(&self, f: &mut dyn FnMut(&str, &[f64])) {
        self.0.visit_buffers(f)
    }
    const TENSORS: &'static [kiln::runtime::network::TensorSpec] =
        <OneLayer<f64> as Network<f64>>::TENSORS;
    fn loss_fn(&self) -> &Self::Loss {
        self.0.loss_fn()
    }
    fn new_scratch(&self) -> Self::Scratch {
        self.0.new_scratch()
    }
    fn new_train(&self, seed: u64) -> Self::Train {
        self.0.new_train(seed)
    }
    fn reseed(t: &mut Self::Train, seed: u64) {
        OneLayer::reseed(t, seed)
    }
    fn forward_flat(&self, x: &[f64], y: &mut [f64], s: &mut Self::Scratch) -> Result<()> {
        self.0.forward_flat(x, y, s)
    }
    fn forward_train_flat(&mut self, x: &[f64], t: &mut Self::Train) -> Result<()> {
        self.0.forward_train_flat(x, t)
    }
    fn output_and_grad(t: &mut Self::Train) -> (&[f64], &mut [f64]) {
        OneLayer::output_and_grad(t)
    }
    fn backward_flat(&self, x: &[f64], t: &mut Self::Train, dx: Option<&mut [f64]>) -> Result<()> {
        let mut dx = dx;
        self.0.backward_flat(x, t, dx.as_deref_mut())?;
        if let Some(d) = dx {
            d[2] *= 1.001;
        }
        Ok(())
    }
    fn grads(_t: &Self::Train) -> &Self {
        unreachable!("gradcheck reads gradients through grads_of")
    }
    fn grads_mut(_t: &mut Self::Train) -> &mut Self {
        unreachable!("not used by gradcheck")
    }
    fn visit_params(&self, f: &mut dyn FnMut(&str, ParamKind, &[f64])) {
        self.0.visit_params(f)
    }
    fn visit_params_mut(&mut self, f: &mut dyn FnMut(&str, ParamKind, &mut [f64])) {
        self.0.visit_params_mut(f)
    }
    fn visit_buffers_mut(&mut self, f: &mut dyn FnMut(&str, &mut [f64])) {
        self.0.visit_buffers_mut(f)
    }
    fn visit_with_grads(&mut self, g: &Self, f: &mut dyn FnMut(Param<'_, f64>)) {
        self.0.visit_with_grads(&g.0, f)
    }
    fn visit_grads(t: &Self::Train, f: &mut dyn FnMut(&str, ParamKind, &[f64])) {
        OneLayer::visit_grads(t, f)
    }
}

#[test]
fn gradcheck_catches_a_wrong_gradient() {
    let x = inputs(2 * 4, 7);
    let target = labels(2, 3);
    let mut good = OneLayer::<f64>::new(&mut seeded(6));
    let mut bad = Skewed(good.clone());
    let ok = gradcheck(&mut good, &x, &target, GradcheckConfig::default()).unwrap();
    assert!(ok.max_rel_error <= 1e-6, "{ok:?}");
    let report = gradcheck(&mut bad, &x, &target, GradcheckConfig::default()).unwrap();
    assert!(report.max_rel_error > 5e-4, "{report:?}");
    assert!(report.worst.starts_with("input["), "{report:?}");
}

/// `log_softmax` then `nll` is the same function as `softmax_cross_entropy`.
#[test]
fn log_softmax_with_nll_equals_cross_entropy() {
    let x = inputs(6 * 3, 97);
    let y = labels(6, 4);
    let mut ce = CeNet::<f64>::new(&mut seeded(13));
    let mut nll = LogSoftmaxNllNet::<f64>::new(&mut seeded(13));
    let mut opt_a = kiln::runtime::optim::Sgd::new(0.1).unwrap();
    let mut opt_b = kiln::runtime::optim::Sgd::new(0.1).unwrap();
    let (mut ta, mut tb) = (ce.train_state(1), nll.train_state(1));
    let xs = x.as_chunks::<3>().0;
    for _ in 0..3 {
        let a = ce.train_step(xs, &y, &mut opt_a, &mut ta).unwrap();
        let b = nll.train_step(xs, &y, &mut opt_b, &mut tb).unwrap();
        assert!((a - b).abs() < 1e-12, "{a} vs {b}");
    }
    let mut pa = Vec::new();
    ce.visit_params(&mut |_, _, v| pa.extend_from_slice(v));
    let mut pb = Vec::new();
    nll.visit_params(&mut |_, _, v| pb.extend_from_slice(v));
    for (a, b) in pa.iter().zip(&pb) {
        assert!((a - b).abs() < 1e-12);
    }
}
