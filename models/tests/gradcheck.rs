//! `gradcheck` (f64 central differences, max relative error <= 1e-6) on a reduced-width
//! variant of each architecture of kiln-models: the layers of the d2l-sized model (same
//! stem, the same blocks through the crate's `*_network!` macros), channels about / 8 and a
//! small input, so every parameter tensor and the input are probed in a few seconds.

use kiln::prelude::*;
use kiln::runtime::network::train_step;
use kiln::runtime::optim::Sgd;
use kiln::runtime::rng::uniform;

/// Probes per tensor: evenly spaced entries of every weight, bias and the input.
const PER_TENSOR: usize = 12;

fn check<N: Network<f64, Loss: Loss<f64, Target = [usize]>>>(
    net: &mut N,
    batch: usize,
    seed: u64,
    what: &str,
) {
    let mut rng = seeded(seed);
    let x: Vec<f64> = (0..batch * N::INPUT)
        .map(|_| uniform(&mut rng, -1.0, 1.0))
        .collect();
    let target: Vec<usize> = (0..batch).map(|i| (i * 7 + 3) % N::OUTPUT).collect();
    // Probe away from the initialisation, after a few SGD steps on the batch: at the initial
    // point every bias is exactly zero, so a conv whose ReLU'd input is all zero (likely at
    // these widths) outputs exactly 0 into the next ReLU's kink. The seeds are chosen so no
    // probe sits on a kink or a max-pool tie, nor on a gradient so small that the loss's
    // roundoff (about 1e-9 in a central difference at h = 1e-6 in these deeper networks, the
    // size of the absolute floor) decides it: e.g. conv biases before batch norm, whose
    // gradient is exactly zero.
    let mut opt = Sgd::new(0.05).unwrap();
    let mut t = net.new_train(seed);
    let mut loss = f64::INFINITY;
    for _ in 0..50 {
        loss = train_step(net, &x, &target, &mut opt, &mut t).unwrap();
        if loss < 1.0 {
            break;
        }
    }
    assert!(loss < 1.5, "{what}: loss {loss} after 50 steps");
    let cfg = GradcheckConfig {
        max_per_tensor: PER_TENSOR,
        ..Default::default()
    };
    let report = gradcheck(net, &x, &target, cfg).unwrap();
    let mut tensors = 0;
    net.visit_params(&mut |_, _, _| tensors += 1);
    assert!(
        report.checked >= tensors + PER_TENSOR,
        "{what}: checked only {}",
        report.checked
    );
    if let Err(e) = report.within(1e-6) {
        panic!("{what}: {e}");
    }
}

network! {
    /// AlexNet / 8 (dense head / 64) on 1x67x67: maps 15 -> 7 -> 3 -> 1.
    struct AlexNetTiny {
        input: [1, 67, 67],
        layers: [
            conv2d(12, 11, 4, 1), relu, max_pool2d(3, 2),
            conv2d(32, 5, padding = 2), relu, max_pool2d(3, 2),
            conv2d(48, 3, padding = 1), relu,
            conv2d(48, 3, padding = 1), relu,
            conv2d(32, 3, padding = 1), relu,
            max_pool2d(3, 2, shape = [32, 1, 1]),
            flatten(32),
            dense(64), relu, dropout(0.5),
            dense(64), relu, dropout(0.5),
            dense(10),
        ],
        loss: softmax_cross_entropy,
    }
}

kiln_models::vgg_network! {
    /// VGG-11 / 8 (dense head / 64) on 1x32x32.
    struct Vgg11Tiny {
        input: [1, 32, 32],
        layers: [
            vgg1(8), vgg1(16), vgg2(32), vgg2(64), vgg2(64),
            flatten(64),
            dense(64), relu, dropout(0.5),
            dense(64), relu, dropout(0.5),
            dense(10),
        ],
        loss: softmax_cross_entropy,
    }
}

kiln_models::nin_network! {
    /// NiN / 8 on 1x67x67: maps 15 -> 7 -> 3 -> 1.
    struct NinTiny {
        input: [1, 67, 67],
        layers: [
            nin(12, 11, 4, 0), max_pool2d(3, 2),
            nin(32, 5, 1, 2), max_pool2d(3, 2),
            nin(48, 3, 1, 1), max_pool2d(3, 2),
            dropout(0.5),
            nin(10, 3, 1, 1),
            global_avg_pool,
        ],
        loss: softmax_cross_entropy,
    }
}

kiln_models::googlenet_network! {
    /// GoogLeNet / 8 on 1x32x32: stem to 4x4, Inception stages at 4, 2, 1.
    struct GoogLeNetTiny {
        input: [1, 32, 32],
        layers: [
            conv2d(8, 7, 2, 3), relu, max_pool2d(3, 2, 1),
            conv2d(8, 1), relu, conv2d(24, 3, padding = 1), relu, max_pool2d(3, 2, 1),
            inception(8, 12, 16, 2, 4, 4),
            inception(16, 16, 24, 4, 12, 8),
            max_pool2d(3, 2, 1),
            inception(24, 12, 26, 2, 6, 8),
            inception(20, 14, 28, 3, 8, 8),
            inception(16, 16, 32, 3, 8, 8),
            inception(14, 18, 36, 4, 8, 8),
            inception(32, 20, 40, 4, 16, 16),
            max_pool2d(3, 2, 1),
            inception(32, 20, 40, 4, 16, 16),
            inception(48, 24, 48, 6, 16, 16),
            global_avg_pool,
            dense(10),
        ],
        loss: softmax_cross_entropy,
    }
}

kiln_models::resnet_network! {
    /// ResNet-18 / 8 on 1x64x64: stem to 8x8, stages at 8, 4, 2, 1.
    struct ResNet18Tiny {
        input: [1, 32, 32],
        layers: [
            conv2d(8, 7, 2, 3), batch_norm2d, relu, max_pool2d(3, 2, 1),
            basic(8), basic(8),
            down(16), basic(16),
            down(32), basic(32),
            down(64), basic(64),
            global_avg_pool,
            dense(10),
        ],
        loss: softmax_cross_entropy,
    }
}

kiln_models::densenet_network! {
    /// DenseNet with growth 4 (/ 8) on 1x32x32: channels 8 -> 24 -> 12 -> 28 -> 14 -> 30 ->
    /// 15 -> 31, dense blocks at 8, 4, 2, 1.
    struct DenseNetTiny {
        input: [1, 32, 32],
        layers: [
            conv2d(8, 7, 2, 3), batch_norm2d, relu, max_pool2d(3, 2, 1),
            dense_block(4), transition(12),
            dense_block(4), transition(14),
            dense_block(4), transition(15),
            dense_block(4),
            batch_norm2d, relu,
            global_avg_pool,
            dense(10),
        ],
        output: [10],
        loss: softmax_cross_entropy,
    }
}

kiln_models::mobilenet_network! {
    /// MobileNet / 16 on 3x16x16: channels 2 -> 4 -> 8 -> 16 -> 32 -> 64, blocks down to 1x1.
    struct MobileNetTiny {
        input: [3, 16, 16],
        layers: [
            conv2d(2, 3, 1, 1, bias = false), batch_norm2d, relu,
            separable(2, 4, 1),
            separable(4, 8, 2), separable(8, 8, 1),
            separable(8, 16, 2), separable(16, 16, 1),
            separable(16, 32, 2),
            separable(32, 32, 1),
            separable(32, 64, 2), separable(64, 64, 1),
            global_avg_pool,
            dense(10),
        ],
        output: [10],
        loss: softmax_cross_entropy,
    }
}

#[test]
fn mobilenet() {
    check(
        &mut MobileNetTiny::<f64>::new(&mut seeded(7)),
        4,
        16,
        "mobilenet",
    );
}

#[test]
fn alexnet() {
    check(
        &mut AlexNetTiny::<f64>::new(&mut seeded(1)),
        4,
        11,
        "alexnet",
    );
}

#[test]
fn vgg11() {
    check(&mut Vgg11Tiny::<f64>::new(&mut seeded(2)), 4, 12, "vgg11");
}

#[test]
fn nin() {
    check(&mut NinTiny::<f64>::new(&mut seeded(3)), 4, 13, "nin");
}

#[test]
fn googlenet() {
    check(
        &mut GoogLeNetTiny::<f64>::new(&mut seeded(4)),
        4,
        34,
        "googlenet",
    );
}

#[test]
fn resnet18() {
    check(
        &mut ResNet18Tiny::<f64>::new(&mut seeded(5)),
        4,
        15,
        "resnet18",
    );
}

#[test]
fn densenet() {
    check(
        &mut DenseNetTiny::<f64>::new(&mut seeded(6)),
        4,
        16,
        "densenet",
    );
}
