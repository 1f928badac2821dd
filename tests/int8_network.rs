//! int8 networks end to end: trained f32 networks (the digits MLP and LeNet-5, weights
//! committed) quantised by `kiln::quantize`, baked by `precision: int8`:
//! - every int8 output equals the independent numpy reference run on the same file, bit for
//!   bit (tools/reference/int8_network.py, which also checks the file's weights, biases and
//!   tables against the float weights), for these two and the int8 networks of
//!   `no-std-check` (tables alone, average and global pooling, 1-D and depthwise
//!   convolutions);
//! - held-out accuracy within half a percentage point of the f32 network;
//! - the committed int8 files are what quantising the committed f32 weights writes, byte for
//!   byte;
//! - the model takes about a quarter of f32's bytes.

use kiln::checkpoint::load_weights;
use kiln::data::{digits, mnist_t10k, Dataset};
use kiln::prelude::*;
use kiln::quantize::{quantize, Calibration, QuantizeError};
use kiln_models::{DigitsMlp, LeNet5};

// The reference holds every int8 network's outputs; each test file checks its own.
#[allow(dead_code)]
#[path = "fixtures/int8_network_reference.rs"]
mod reference;

kiln::network! {
    /// The digits MLP of kiln-models in int8.
    struct DigitsQ {
        input: [64],
        layers: [dense(128), relu, dropout(0.2), dense(128 -> 64), tanh, dense(10)],
        loss: none,
        weights: "tests/fixtures/digits_mlp.int8.safetensors",
        precision: int8,
        // Exactly its int8 figures: 19,740 bytes, two buffers of 128, 17,024 products.
        budget: { flash: 19_740 bytes, ram: 256 bytes, macs: 17_024 },
    }
}

kiln::network! {
    /// LeNet-5 of kiln-models in int8.
    struct LeNetQ {
        input: [1, 28, 28],
        layers: [
            conv2d(6, 5, padding = 2), relu, max_pool2d(2),
            conv2d(16, 5), relu, max_pool2d(2),
            flatten(400),
            dense(120), relu,
            dense(84), relu,
            dense(10),
        ],
        loss: none,
        weights: "tests/fixtures/lenet5.int8.safetensors",
        precision: int8,
    }
}

fn argmax(v: &[f32]) -> usize {
    (0..v.len()).fold(0, |b, j| if v[j] > v[b] { j } else { b })
}

fn digits_split() -> (Dataset, Dataset) {
    let mut data = digits().unwrap();
    data.scale(1.0 / 16.0);
    data.split(0.8, 1).unwrap()
}

fn mnist_split() -> (Dataset, Dataset) {
    mnist_t10k().unwrap().split(0.9, 1).unwrap()
}

/// Held-out accuracy in percent of the f32 network and of its int8 form.
fn accuracies<const I: usize, N: Network<f32>>(
    net: &N,
    held_out: &Dataset,
    mut int8: impl FnMut(&[f32; I]) -> Vec<f32>,
) -> (f64, f64) {
    let y = kiln::runtime::network::predict(net, &held_out.features, held_out.len()).unwrap();
    let (mut ok32, mut ok8) = (0, 0);
    for (i, &label) in held_out.labels.iter().enumerate() {
        let x: &[f32; I] = held_out.features[i * I..(i + 1) * I].try_into().unwrap();
        ok32 += usize::from(argmax(&y[i * N::OUTPUT..(i + 1) * N::OUTPUT]) == label);
        ok8 += usize::from(argmax(&int8(x)) == label);
    }
    let n = held_out.len() as f64;
    (100.0 * ok32 as f64 / n, 100.0 * ok8 as f64 / n)
}

fn digits_mlp() -> DigitsMlp<f32> {
    let mut net = DigitsMlp::<f32>::new(&mut seeded(1));
    load_weights(&mut net, "tests/fixtures/digits_mlp.safetensors").unwrap();
    net
}

fn lenet5() -> LeNet5<f32> {
    let mut net = LeNet5::<f32>::new(&mut seeded(1));
    load_weights(&mut net, "tests/fixtures/lenet5.safetensors").unwrap();
    net
}

#[test]
fn int8_outputs_equal_the_reference_bit_for_bit() {
    let (q, mut s) = (DigitsQEmbedded::WEIGHTS, DigitsQEmbeddedScratch::ZERO);
    for (x, want) in reference::DIGITS_X.iter().zip(reference::DIGITS_Y) {
        let mut y = [0i8; 10];
        q.forward(x[..].try_into().unwrap(), &mut y, &mut s);
        assert_eq!(&y[..], *want);
    }
    let (q, mut s) = (LeNetQEmbedded::WEIGHTS, LeNetQEmbeddedScratch::ZERO);
    for (x, want) in reference::LENET5_X.iter().zip(reference::LENET5_Y) {
        let mut y = [0i8; 10];
        q.forward(x[..].try_into().unwrap(), &mut y, &mut s);
        assert_eq!(&y[..], *want);
    }
}

/// Runs `forward` on every reference input and compares with the reference output.
fn agrees<const I: usize, const O: usize>(
    name: &str,
    xs: &[&[i8]],
    ys: &[&[i8]],
    forward: impl Fn(&[i8; I], &mut [i8; O]),
) {
    for (k, (x, want)) in xs.iter().zip(ys).enumerate() {
        let mut y = [0i8; O];
        forward(x[..].try_into().unwrap(), &mut y);
        assert_eq!(&y[..], *want, "{name} input {k}");
    }
}

#[test]
fn no_std_int8_networks_equal_the_reference_bit_for_bit() {
    use kiln_no_std_check as ns;
    agrees(
        "mlp",
        reference::MLP_X,
        reference::MLP_Y,
        |x: &[i8; 16], y: &mut [i8; 8]| {
            ns::MLP_INT8.forward(x, y, &mut ns::MlpInt8EmbeddedScratch::ZERO.clone())
        },
    );
    agrees(
        "conv",
        reference::CONV_X,
        reference::CONV_Y,
        |x: &[i8; 64], y: &mut [i8; 3]| {
            ns::CONV_INT8.forward(x, y, &mut ns::ConvInt8EmbeddedScratch::ZERO.clone())
        },
    );
    agrees(
        "conv1d",
        reference::CONV1D_X,
        reference::CONV1D_Y,
        |x: &[i8; 64], y: &mut [i8; 2]| {
            ns::CONV1D_INT8.forward(x, y, &mut ns::Conv1dInt8EmbeddedScratch::ZERO.clone())
        },
    );
    agrees(
        "acts",
        reference::ACTS_X,
        reference::ACTS_Y,
        |x: &[i8; 16], y: &mut [i8; 4]| {
            ns::ACT_INT8.forward(x, y, &mut ns::ActInt8EmbeddedScratch::ZERO.clone())
        },
    );
    agrees(
        "conv_bn",
        reference::CONV_BN_X,
        reference::CONV_BN_Y,
        |x: &[i8; 64], y: &mut [i8; 3]| {
            ns::CONV_BN_INT8.forward(x, y, &mut ns::ConvBnInt8EmbeddedScratch::ZERO.clone())
        },
    );
    agrees(
        "ds_cnn",
        reference::DS_CNN_X,
        reference::DS_CNN_Y,
        |x: &[i8; 64], y: &mut [i8; 3]| {
            ns::DS_CNN_INT8.forward(x, y, &mut ns::DsCnnInt8EmbeddedScratch::ZERO.clone())
        },
    );
}

#[test]
fn digits_int8_is_within_half_a_point_of_f32() {
    let (_, held_out) = digits_split();
    let (q, mut s) = (DigitsQEmbedded::WEIGHTS, DigitsQEmbeddedScratch::ZERO);
    let (a32, a8) = accuracies::<64, _>(&digits_mlp(), &held_out, |x| {
        q.forward_real(x, &mut s).to_vec()
    });
    eprintln!("digits MLP held-out accuracy: f32 {a32:.2}%, int8 {a8:.2}%");
    assert!(
        a32 > 95.0 && (a32 - a8).abs() <= 0.5,
        "f32 {a32:.2}% vs int8 {a8:.2}%"
    );
}

#[test]
fn lenet5_int8_is_within_half_a_point_of_f32() {
    let (_, held_out) = mnist_split();
    let q = LeNetQEmbedded::WEIGHTS;
    let mut s = Box::new(LeNetQEmbeddedScratch::ZERO);
    let (a32, a8) =
        accuracies::<784, _>(&lenet5(), &held_out, |x| q.forward_real(x, &mut s).to_vec());
    eprintln!("LeNet-5 held-out accuracy: f32 {a32:.2}%, int8 {a8:.2}%");
    assert!(
        a32 > 98.0 && (a32 - a8).abs() <= 0.5,
        "f32 {a32:.2}% vs int8 {a8:.2}%"
    );
}

#[test]
fn committed_int8_files_are_what_quantize_writes() {
    let dir = std::env::temp_dir().join(format!("kiln-int8-{}", std::process::id()));
    let digits_q = quantize(
        &digits_mlp(),
        &digits_split().0.features,
        Calibration::MinMax,
    )
    .unwrap();
    let lenet_q = quantize(&lenet5(), &mnist_split().0.features, Calibration::MinMax).unwrap();
    for (q, committed) in [
        (digits_q, "tests/fixtures/digits_mlp.int8.safetensors"),
        (lenet_q, "tests/fixtures/lenet5.int8.safetensors"),
    ] {
        let path = dir.join("q.safetensors");
        q.save(&path).unwrap();
        assert!(
            std::fs::read(&path).unwrap() == std::fs::read(committed).unwrap(),
            "{committed}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_int8_model_is_about_a_quarter_of_f32() {
    // Per dense layer: i8 weights, then per output an i32 bias and an 8-byte multiplier,
    // two zero points and the clamp (12 bytes); the fused tanh's table is 256 bytes.
    let dense = |i: usize, o: usize| o * i + 12 * o + 12;
    let want = dense(64, 128) + dense(128, 64) + 256 + dense(64, 10);
    assert_eq!(DigitsQEmbedded::MODEL_BYTES, want);
    assert_eq!(DigitsQEmbedded::PARAMS, 17_226);
    let ratio = DigitsQEmbedded::MODEL_BYTES as f64 / (4.0 * 17_226.0);
    assert!((0.25..0.3).contains(&ratio), "{ratio}");
    assert_eq!(DigitsQEmbeddedScratch::BYTES, 2 * 128);
    let lenet = LeNetQEmbedded::MODEL_BYTES as f64 / (4.0 * LeNetQEmbedded::PARAMS as f64);
    assert!((0.25..0.3).contains(&lenet), "{lenet}");
    // The f32 networks say what their int8 forms would take before quantising.
    assert_eq!(DigitsMlp::<f32>::MODEL_BYTES_INT8, Some(want));
    assert_eq!(DigitsMlp::<f32>::SCRATCH_BYTES_INT8, Some(2 * 128));
    assert_eq!(
        LeNet5::<f32>::MODEL_BYTES_INT8,
        Some(LeNetQEmbedded::MODEL_BYTES)
    );
    assert_eq!(
        LeNet5::<f32>::SCRATCH_BYTES_INT8,
        Some(LeNetQEmbedded::SCRATCH_BYTES)
    );
    // Sigmoids fused into the products, average pooling without padding: int8 takes it.
    assert!(kiln_models::LeNet5Classic::<f32>::MODEL_BYTES_INT8.is_some());
    // An LSTM has an int8 form; a GRU has none.
    assert!(kiln_models::CharLstm::<f32>::MODEL_BYTES_INT8.is_some());
    kiln::network! {
        struct Gru { input: [seq, 4], layers: [gru(8), dense(2)], loss: none }
    }
    assert_eq!(Gru::<f32>::MODEL_BYTES_INT8, None);
}

#[test]
fn quantize_refuses_what_int8_cannot_run() {
    kiln::network! {
        struct Norm { input: [4], layers: [dense(8), layer_norm, dense(2)], loss: mse }
    }
    let net = Norm::<f32>::new(&mut seeded(1));
    let err = quantize(&net, &[0.5; 8], Calibration::MinMax)
        .err()
        .unwrap();
    assert!(
        matches!(
            err,
            QuantizeError::Unsupported {
                layer: "layers.1",
                ..
            }
        ),
        "{err}"
    );
    let net = digits_mlp();
    let err = quantize(&net, &[0.5; 63], Calibration::MinMax)
        .err()
        .unwrap();
    assert!(
        matches!(err, QuantizeError::Samples { len: 63, width: 64 }),
        "{err}"
    );
    let err = quantize(&net, &[0.5; 64], Calibration::Percentile(20.0))
        .err()
        .unwrap();
    assert!(matches!(err, QuantizeError::Percentile(_)), "{err}");
    let err = quantize(&net, &[f32::NAN; 64], Calibration::MinMax)
        .err()
        .unwrap();
    assert!(matches!(err, QuantizeError::NonFinite { .. }), "{err}");
}
