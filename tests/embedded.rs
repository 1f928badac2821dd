//! The embedded form (`{Name}Embedded`, batch 1, inline arrays, weights baked at compile time)
//! against the heap-backed network loaded from the same safetensors file: the same numbers
//! for dense, conv/pool/norm, LSTM, GRU (both forms), RNN, bidirectional, embedding and
//! one-hot networks.
//! The networks live in the `#![no_std]` crate `no-std-check`, whose own tests check the
//! values recorded here (`no-std-check/tests/expected/mod.rs`) in a build of kiln without std.

use kiln::checkpoint::{load_weights, save_weights};
use kiln::prelude::*;
use kiln_no_std_check as ns;

#[path = "../no-std-check/tests/expected/mod.rs"]
mod expected;

const WEIGHTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/no-std-check/weights");
const EXPECTED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/no-std-check/tests/expected/mod.rs"
);

/// The deterministic inputs both test suites use (no RNG in the no_std build).
fn input<const N: usize>(k: usize) -> [f32; N] {
    std::array::from_fn(|i| (((i + 7 * k) * 37 % 101) as f32 / 50.0) - 1.0)
}

fn load<N: Network<f32>>(mut net: N, file: &str) -> N {
    load_weights(&mut net, format!("{WEIGHTS}/{file}")).unwrap();
    net
}

fn close(a: &[f32], b: &[f32], what: &str) {
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!(
            (x - y).abs() <= 1e-5 * (1.0 + y.abs()),
            "{what}[{i}]: embedded {x}, std {y}"
        );
    }
    assert_eq!(a.len(), b.len());
}

/// Outputs of the heap-backed networks on the shared inputs, in the fixture's order.
fn std_outputs() -> Vec<(String, Vec<f32>)> {
    let mut out = Vec::new();
    let mlp = load(ns::Mlp::<f32>::new(&mut seeded(1)), "mlp.safetensors");
    let conv = load(ns::Conv::<f32>::new(&mut seeded(1)), "conv.safetensors");
    for k in 0..3 {
        out.push((
            format!("mlp{k}"),
            mlp.forward_one(&input::<16>(k), &mut mlp.scratch())
                .to_vec(),
        ));
        out.push((
            format!("conv{k}"),
            conv.forward_one(&input::<64>(k), &mut conv.scratch())
                .to_vec(),
        ));
    }
    let res = load(ns::Res::<f32>::new(&mut seeded(1)), "res.safetensors");
    let conv1d = load(ns::Conv1d::<f32>::new(&mut seeded(1)), "conv1d.safetensors");
    for k in 0..3 {
        let x = input::<64>(k);
        out.push((
            format!("res{k}"),
            res.forward_one(&x, &mut res.scratch()).to_vec(),
        ));
        let y = conv1d.forward_one(&x, &mut conv1d.scratch());
        out.push((format!("conv1d{k}"), y.to_vec()));
    }
    // The int8 forms: what the std build computes is what the no_std build must.
    out.extend(int8_outputs());
    let bi = load(
        ns::BiSeq::<f32>::new(&mut seeded(1)),
        "bidirectional.safetensors",
    );
    for k in 0..3 {
        let x = window(k);
        let mut y = [[0.0; 2]; 1];
        bi.forward_seq(&x, 8, &mut y, &mut bi.scratch()).unwrap();
        out.push((format!("bi_seq{k}"), y[0].to_vec()));
    }
    let stream = load(ns::Stream::<f32>::new(&mut seeded(1)), "stream.safetensors");
    let mut st = stream.stream();
    let xs = input::<40>(1);
    let ys: Vec<f32> = xs.iter().map(|&x| stream.step(&mut st, &[x])[0]).collect();
    out.push(("stream".into(), ys));
    let ids = [3usize, 1, 4, 1, 5, 9, 2, 6, 5, 3];
    let tokens = load(ns::Tokens::<f32>::new(&mut seeded(1)), "tokens.safetensors");
    let mut st = tokens.stream();
    let mut y = [0.0; 10];
    for &id in &ids {
        y = tokens.step(&mut st, &[id as f32]);
    }
    out.push(("tokens".into(), y.to_vec()));
    let onehot = load(ns::OneHot::<f32>::new(&mut seeded(1)), "onehot.safetensors");
    let mut st = onehot.stream();
    let mut y = [0.0; 5];
    for &id in &ids {
        y = onehot.step(&mut st, &[(id % 5) as f32]);
    }
    out.push(("onehot".into(), y.to_vec()));
    out
}

/// The same through the embedded forms, as the no_std crate computes them.
fn embedded_outputs() -> Vec<(String, Vec<f32>)> {
    let mut out = Vec::new();
    for k in 0..3 {
        out.push((format!("mlp{k}"), ns::mlp(&input::<16>(k)).to_vec()));
        out.push((format!("conv{k}"), ns::conv(&input::<64>(k)).to_vec()));
    }
    for k in 0..3 {
        out.push((format!("res{k}"), ns::res(&input::<64>(k)).to_vec()));
        out.push((format!("conv1d{k}"), ns::conv1d(&input::<64>(k)).to_vec()));
    }
    out.extend(int8_outputs());
    for k in 0..3 {
        out.push((format!("bi_seq{k}"), ns::bi_seq(&window(k)).to_vec()));
    }
    let xs = input::<40>(1);
    let mut ys = [0.0; 40];
    ns::stream(&xs, &mut ys);
    out.push(("stream".into(), ys.to_vec()));
    let ids = [3usize, 1, 4, 1, 5, 9, 2, 6, 5, 3];
    out.push(("tokens".into(), ns::tokens(&ids).unwrap().to_vec()));
    let five: Vec<usize> = ids.iter().map(|i| i % 5).collect();
    out.push(("onehot".into(), ns::one_hot(&five).unwrap().to_vec()));
    out
}

/// The int8 networks' (dequantised) outputs on the shared inputs.
fn int8_outputs() -> Vec<(String, Vec<f32>)> {
    let mut out = Vec::new();
    for k in 0..3 {
        let (x16, x64) = (input::<16>(k), input::<64>(k));
        out.push((format!("mlp_int8{k}"), ns::mlp_int8(&x16).to_vec()));
        out.push((format!("conv_int8{k}"), ns::conv_int8(&x64).to_vec()));
        out.push((format!("conv1d_int8{k}"), ns::conv1d_int8(&x64).to_vec()));
        out.push((format!("ds_cnn_int8{k}"), ns::ds_cnn_int8(&x64).to_vec()));
        out.push((format!("conv_bn_int8{k}"), ns::conv_bn_int8(&x64).to_vec()));
        out.push((format!("act_int8{k}"), ns::act_int8(&x16).to_vec()));
    }
    let mut ys = [0.0; 2 * 12];
    ns::lstm_int8(&lstm_stream(), &mut ys);
    out.push(("lstm_int8".into(), ys.to_vec()));
    out
}

/// A window of 8 steps of 2 shared inputs, the bidirectional classifier's input.
fn window(k: usize) -> [[f32; 2]; 8] {
    std::array::from_fn(|t| input::<2>(k + t))
}

/// 12 steps of 3 shared inputs, the int8 LSTM's stream.
fn lstm_stream() -> Vec<f32> {
    (0..12).flat_map(input::<3>).collect()
}

/// 64 of the shared inputs, the int8 networks' calibration data.
fn calibration<const N: usize>() -> Vec<f32> {
    (0..64).flat_map(input::<N>).collect()
}

/// Quantising `net` on the calibration data writes exactly the committed `file`.
fn quantises_to<N: Network<f32>>(net: &N, cal: &[f32], file: &str) {
    use kiln::quantize::{quantize, Calibration};
    let dir = std::env::temp_dir().join(format!("kiln-ns-int8-{}-{file}", std::process::id()));
    let path = dir.join(file);
    quantize(net, cal, Calibration::MinMax)
        .unwrap()
        .save(&path)
        .unwrap();
    let committed = format!("{WEIGHTS}/{file}");
    if std::env::var_os("KILN_WRITE_FIXTURES").is_some() {
        std::fs::copy(&path, &committed).unwrap();
    }
    let same = std::fs::read(&path).unwrap() == std::fs::read(&committed).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(same, "{file}");
}

/// Every output of the int8 form within `steps` of its output scale of the f32 network's.
fn within_steps(what: &str, f32s: &[f32], int8s: &[f32], scale: f32, steps: f32) {
    for (a, b) in f32s.iter().zip(int8s) {
        assert!(
            (a - b).abs() <= steps * scale,
            "{what}: f32 {a}, int8 {b} (step {scale})"
        );
    }
}

#[test]
fn int8_forms_are_the_quantised_f32_networks() {
    let mlp = load(ns::Mlp::<f32>::new(&mut seeded(1)), "mlp.safetensors");
    let conv = load(
        ns::ConvInt8::<f32>::new(&mut seeded(1)),
        "convq.safetensors",
    );
    let conv1d = load(
        ns::Conv1dInt8::<f32>::new(&mut seeded(1)),
        "conv1dq.safetensors",
    );
    quantises_to(&mlp, &calibration::<16>(), "mlp.int8.safetensors");
    quantises_to(&conv, &calibration::<64>(), "convq.int8.safetensors");
    quantises_to(&conv1d, &calibration::<64>(), "conv1dq.int8.safetensors");
    let ds_cnn = load(
        ns::DsCnnInt8::<f32>::new(&mut seeded(1)),
        "dscnn.safetensors",
    );
    quantises_to(&ds_cnn, &calibration::<64>(), "dscnn.int8.safetensors");
    let conv_bn = load(
        ns::ConvBnInt8::<f32>::new(&mut seeded(1)),
        "convbn.safetensors",
    );
    quantises_to(&conv_bn, &calibration::<64>(), "convbn.int8.safetensors");
    let acts = load(ns::ActInt8::<f32>::new(&mut seeded(1)), "acts.safetensors");
    quantises_to(&acts, &calibration::<16>(), "acts.int8.safetensors");
    // The LSTM calibrates on one stream of 64 steps.
    let lstm = load(
        ns::LstmInt8::<f32>::new(&mut seeded(1)),
        "lstmq.safetensors",
    );
    quantises_to(&lstm, &calibration::<3>(), "lstmq.int8.safetensors");
    let mut st = lstm.stream();
    let mut int8 = [0.0; 2 * 12];
    ns::lstm_int8(&lstm_stream(), &mut int8);
    let scale = ns::LstmInt8Embedded::OUTPUT_QUANT.scale;
    for (t, x) in lstm_stream().chunks_exact(3).enumerate() {
        let f = lstm.step(&mut st, &[x[0], x[1], x[2]]);
        within_steps(
            &format!("lstm step {t}"),
            &f,
            &int8[2 * t..2 * t + 2],
            scale,
            4.0,
        );
    }
    // int8 tracks f32 to within a few of its output steps.
    for k in 0..3 {
        let (x16, x64) = (input::<16>(k), input::<64>(k));
        let f = mlp.forward_one(&x16, &mut mlp.scratch());
        let scale = ns::MlpInt8Embedded::OUTPUT_QUANT.scale;
        within_steps(&format!("mlp{k}"), &f, &ns::mlp_int8(&x16), scale, 4.0);
        let f = conv.forward_one(&x64, &mut conv.scratch());
        let scale = ns::ConvInt8Embedded::OUTPUT_QUANT.scale;
        within_steps(&format!("conv{k}"), &f, &ns::conv_int8(&x64), scale, 4.0);
        let f = conv1d.forward_one(&x64, &mut conv1d.scratch());
        let scale = ns::Conv1dInt8Embedded::OUTPUT_QUANT.scale;
        within_steps(
            &format!("conv1d{k}"),
            &f,
            &ns::conv1d_int8(&x64),
            scale,
            4.0,
        );
    }
}

#[test]
fn embedded_forms_compute_what_the_std_networks_compute() {
    let (s, e) = (std_outputs(), embedded_outputs());
    for ((name, a), (_, b)) in e.iter().zip(&s) {
        close(a, b, name);
    }
    // The recorded values the no_std build is checked against are these numbers.
    if std::env::var_os("KILN_WRITE_FIXTURES").is_some() {
        let mut text = String::from("// Written by tests/embedded.rs (KILN_WRITE_FIXTURES=1) from the std networks; do not edit.\n\n");
        text += "pub const EXPECTED: &[(&str, &[f32])] = &[\n";
        for (name, v) in &s {
            let vals: Vec<String> = v.iter().map(|x| format!("{x:?}")).collect();
            text += &format!("    ({name:?}, &[{}]),\n", vals.join(", "));
        }
        text += "];\n";
        std::fs::write(EXPECTED, text).unwrap();
    }
    for (name, v) in &s {
        let got = expected::EXPECTED
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("{name} not recorded"))
            .1;
        close(v, got, name);
    }
}

/// Every tensor of an embedded network, read back in PyTorch layout.
fn read<F: Fn(&str, &mut [f32]) -> kiln::runtime::Result<()>>(
    tensors: &[(&str, &[usize])],
    get: F,
) -> Vec<Vec<f32>> {
    tensors
        .iter()
        .map(|(name, shape)| {
            let mut v = vec![0.0; shape.iter().product()];
            get(name, &mut v).unwrap();
            v
        })
        .collect()
}

#[test]
fn to_embedded_copies_every_tensor_and_weights_are_the_files() {
    let mlp = load(ns::Mlp::<f32>::new(&mut seeded(1)), "mlp.safetensors");
    let e = mlp.to_embedded();
    let t = ns::MlpEmbedded::<f32>::TENSORS;
    let baked = read(t, |n, v| ns::MLP.get_tensor(n, v));
    assert_eq!(read(t, |n, v| e.get_tensor(n, v)), baked);
    // The file's tensors, as the heap-backed network holds them (PyTorch layout).
    let mut from_file = Vec::new();
    mlp.visit_params(&mut |_, _, v| from_file.push(v.to_vec()));
    assert_eq!(baked, from_file);

    let conv = load(ns::Conv::<f32>::new(&mut seeded(1)), "conv.safetensors");
    let e = conv.to_embedded();
    let t = ns::ConvEmbedded::<f32>::TENSORS;
    assert_eq!(
        read(t, |n, v| e.get_tensor(n, v)),
        read(t, |n, v| ns::CONV.get_tensor(n, v))
    );
    let x = input::<64>(2);
    let (mut y, mut s) = ([0.0; 3], ns::ConvEmbeddedScratch::ZERO);
    e.forward(&x, &mut y, &mut s).unwrap();
    assert_eq!(y, ns::conv(&x));

    // Loading by name checks the name and the length.
    let mut m = ns::MlpEmbedded::<f32>::zeroed();
    assert!(matches!(
        m.set_tensor("layers.9.weight", &[0.0]),
        Err(KilnError::UnknownTensor)
    ));
    assert!(matches!(
        m.set_tensor("layers.0.weight", &[0.0; 3]),
        Err(KilnError::LengthMismatch {
            expected: 1024,
            actual: 3,
            ..
        })
    ));
    let w: Vec<f32> = (0..1024).map(|i| i as f32).collect();
    m.set_tensor("layers.0.weight", &w).unwrap();
    let mut back = vec![0.0; 1024];
    m.get_tensor("layers.0.weight", &mut back).unwrap();
    assert_eq!(back, w);
}

#[test]
fn bad_token_ids_are_errors_not_panics() {
    let err = ns::tokens(&[1, 10]).unwrap_err();
    assert!(matches!(err, KilnError::TokenOutOfRange { .. }), "{err}");
    assert!(ns::one_hot(&[7]).is_err());
}

/// Rewrites `no-std-check/weights/` with fresh random weights (and non-trivial batch-norm
/// statistics). Run by hand, then `KILN_WRITE_FIXTURES=1` the test above.
#[test]
#[ignore]
fn regenerate_weights() {
    let mut rng = seeded(42);
    fn stats<N: Network<f32>>(net: &mut N) {
        net.visit_buffers_mut(&mut |name, v| {
            for (i, x) in v.iter_mut().enumerate() {
                *x = if name.ends_with("mean") {
                    0.1 * i as f32 - 0.2
                } else {
                    0.5 + 0.25 * i as f32
                };
            }
        });
    }
    let mut conv = ns::Conv::<f32>::new(&mut rng);
    stats(&mut conv);
    let mut tokens = ns::Tokens::<f32>::new(&mut rng);
    stats(&mut tokens);
    save_weights(
        &ns::Mlp::<f32>::new(&mut rng),
        format!("{WEIGHTS}/mlp.safetensors"),
    )
    .unwrap();
    save_weights(&conv, format!("{WEIGHTS}/conv.safetensors")).unwrap();
    save_weights(
        &ns::Stream::<f32>::new(&mut rng),
        format!("{WEIGHTS}/stream.safetensors"),
    )
    .unwrap();
    save_weights(&tokens, format!("{WEIGHTS}/tokens.safetensors")).unwrap();
    save_weights(
        &ns::OneHot::<f32>::new(&mut rng),
        format!("{WEIGHTS}/onehot.safetensors"),
    )
    .unwrap();
}

/// Writes the weights of the residual, 1-D convolutional, int8 LSTM and bidirectional networks (the others' files are
/// left as they are). Run by hand, then `KILN_WRITE_FIXTURES=1` the parity test.
#[test]
#[ignore]
fn regenerate_composite_weights() {
    let mut rng = seeded(43);
    let mut res = ns::Res::<f32>::new(&mut rng);
    let mut k = 0;
    res.visit_buffers_mut(&mut |name, v| {
        for x in v.iter_mut() {
            k += 1;
            *x = if name.ends_with("mean") {
                0.05 * (k % 5) as f32 - 0.1
            } else {
                0.6 + 0.1 * (k % 4) as f32
            };
        }
    });
    save_weights(&res, format!("{WEIGHTS}/res.safetensors")).unwrap();
    save_weights(
        &ns::Conv1d::<f32>::new(&mut rng),
        format!("{WEIGHTS}/conv1d.safetensors"),
    )
    .unwrap();
    save_weights(
        &ns::LstmInt8::<f32>::new(&mut seeded(44)),
        format!("{WEIGHTS}/lstmq.safetensors"),
    )
    .unwrap();
    save_weights(
        &ns::BiSeq::<f32>::new(&mut seeded(45)),
        format!("{WEIGHTS}/bidirectional.safetensors"),
    )
    .unwrap();
}

#[test]
fn baked_f64_weights_compute_what_the_f64_network_computes() {
    // `WEIGHTS_F64` bakes the same file in f64: the f64 heap-backed network loaded from it
    // gives the same outputs to f64 rounding, for dense and conv/pool/norm networks.
    let mlp = load_f64(ns::Mlp::<f64>::new(&mut seeded(1)), "mlp.safetensors");
    let conv = load_f64(ns::Conv::<f64>::new(&mut seeded(1)), "conv.safetensors");
    let (e_mlp, e_conv) = (ns::MlpEmbedded::WEIGHTS_F64, ns::ConvEmbedded::WEIGHTS_F64);
    let same = |y: &[f64], want: &[f64]| {
        let ok = y
            .iter()
            .zip(want)
            .all(|(a, b)| (a - b).abs() <= 1e-12 * (1.0 + b.abs()));
        assert!(ok && y.len() == want.len(), "{y:?} {want:?}");
    };
    let (mut s_mlp, mut s_conv) = (ns::MlpEmbeddedScratch::ZERO, ns::ConvEmbeddedScratch::ZERO);
    for k in 0..3 {
        let (x, mut y) = (input::<16>(k).map(f64::from), [0.0; 8]);
        e_mlp.forward(&x, &mut y, &mut s_mlp).unwrap();
        same(&y, &mlp.forward_one(&x, &mut mlp.scratch()));
        let (x, mut y) = (input::<64>(k).map(f64::from), [0.0; 3]);
        e_conv.forward(&x, &mut y, &mut s_conv).unwrap();
        same(&y, &conv.forward_one(&x, &mut conv.scratch()));
    }
    // The f32 and f64 constants hold the same file.
    let (mut a, mut b) = (vec![0.0f32; 64 * 16], vec![0.0f64; 64 * 16]);
    ns::MLP.get_tensor("layers.0.weight", &mut a).unwrap();
    e_mlp.get_tensor("layers.0.weight", &mut b).unwrap();
    assert!(a.iter().zip(&b).all(|(x, y)| f64::from(*x) == *y));
}

fn load_f64<N: Network<f64>>(mut net: N, file: &str) -> N {
    load_weights(&mut net, format!("{WEIGHTS}/{file}")).unwrap();
    net
}
