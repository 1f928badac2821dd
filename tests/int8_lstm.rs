//! The int8 LSTM end to end: the streaming filter of `examples/lstm-stream` (benchmark T5's
//! shape, LSTM 32 on one input, dense read-out) quantised by `kiln::quantize` on a stream and
//! baked by `precision: int8`.

use kiln::checkpoint::load_weights;
use kiln::prelude::*;
use kiln::quantize::{quantize, quantize_streams, Calibration, QuantizeError};

network! {
    /// The filter in f32, as `examples/train_filter.rs` declares it.
    struct Filter {
        input: [seq, 1],
        layers: [lstm(32), dense(1)],
        output: [seq, 1],
        loss: mse,
    }
}

network! {
    /// The filter in int8.
    struct FilterQ {
        input: [seq, 1],
        layers: [lstm(32), dense(1)],
        output: [seq, 1],
        loss: none,
        weights: "examples/lstm-stream/filter.int8.safetensors",
        precision: int8,
    }
}

network! {
    /// Three stacked LSTM levels in f32 (`tests/fixtures/stacked_lstm.safetensors`, seeded
    /// weights).
    struct Stacked {
        input: [seq, 2],
        layers: [lstm(6, layers = 3), dense(2)],
        loss: none,
    }
}

network! {
    /// The same in int8: each level its own `LstmInt8` on the hidden state of the one below.
    struct StackedQ {
        input: [seq, 2],
        layers: [lstm(6, layers = 3), dense(2)],
        loss: none,
        weights: "tests/fixtures/stacked_lstm.int8.safetensors",
        precision: int8,
    }
}

// The reference holds every int8 network's outputs; each test file checks its own.
#[allow(dead_code)]
#[path = "fixtures/int8_network_reference.rs"]
mod reference;

const FLOAT: &str = "examples/lstm-stream/filter.safetensors";
const INT8: &str = "examples/lstm-stream/filter.int8.safetensors";

fn filter() -> Filter<f32> {
    let mut net = Filter::<f32>::new(&mut seeded(1));
    load_weights(&mut net, FLOAT).unwrap();
    net
}

/// The calibration stream: a few sines and a chirp with a little noise, about the training
/// signal's amplitude (at most about 1).
fn calibration() -> Vec<f32> {
    let mut rng = seeded(5);
    (0..4000)
        .map(|t| {
            let t = t as f64;
            let s = 0.3 * (0.05 * t).sin()
                + 0.25 * (0.013 * t + 1.0).sin()
                + 0.3 * (0.002 * t + 0.00003 * t * t).sin();
            (s + kiln::runtime::rng::normal(&mut rng, 0.0, 0.05)) as f32
        })
        .collect()
}

#[test]
fn committed_int8_filter_is_what_quantize_writes() {
    let q = quantize(&filter(), &calibration(), Calibration::MinMax).unwrap();
    let dir = std::env::temp_dir().join(format!("kiln-int8-lstm-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("filter.int8.safetensors");
    q.save(&path).unwrap();
    let written = std::fs::read(&path).unwrap();
    if std::env::var_os("KILN_WRITE_FIXTURES").is_some() {
        std::fs::write(INT8, &written).unwrap();
    }
    assert_same_quantisation(&written, &std::fs::read(INT8).unwrap());
    std::fs::remove_dir_all(&dir).ok();
}

/// Two int8 files hold the same quantisation: the same tensors and metadata, scales equal to
/// f32 rounding, and integers within one step. The float pass that calibrates differs in its
/// last bits between instruction sets (AVX-512 and AVX2 kernels add in other orders), which
/// can move a scale by an ulp and a value across a rounding boundary; anything more is a
/// change of the quantiser (re-run with KILN_WRITE_FIXTURES=1 if it is meant).
fn assert_same_quantisation(written: &[u8], committed: &[u8]) {
    use safetensors::{Dtype, SafeTensors};
    let (_, meta_a) = SafeTensors::read_metadata(written).unwrap();
    let (_, meta_b) = SafeTensors::read_metadata(committed).unwrap();
    assert_eq!(meta_a.metadata(), meta_b.metadata(), "metadata");
    let (a, b) = (
        SafeTensors::deserialize(written).unwrap(),
        SafeTensors::deserialize(committed).unwrap(),
    );
    let mut names = a.names();
    names.sort();
    let mut theirs = b.names();
    theirs.sort();
    assert_eq!(names, theirs, "tensors");
    let mut moved = 0;
    let mut total = 0;
    for name in names {
        let (x, y) = (a.tensor(name).unwrap(), b.tensor(name).unwrap());
        assert_eq!((x.dtype(), x.shape()), (y.dtype(), y.shape()), "{name}");
        let values = |t: &safetensors::tensor::TensorView| -> Vec<f64> {
            let d = t.data();
            match t.dtype() {
                Dtype::I8 => d.iter().map(|&v| v as i8 as f64).collect(),
                Dtype::I32 => d
                    .chunks_exact(4)
                    .map(|c| i32::from_le_bytes(c.try_into().unwrap()) as f64)
                    .collect(),
                Dtype::F32 => d
                    .chunks_exact(4)
                    .map(|c| f32::from_le_bytes(c.try_into().unwrap()) as f64)
                    .collect(),
                other => panic!("{name}: unexpected {other:?}"),
            }
        };
        let float = x.dtype() == Dtype::F32;
        for (i, (p, q)) in values(&x).into_iter().zip(values(&y)).enumerate() {
            let tol = if float {
                1e-5 * p.abs().max(q.abs())
            } else {
                1.0 + 1e-5 * p.abs()
            };
            assert!((p - q).abs() <= tol, "{name}[{i}]: {p} vs {q}");
            moved += usize::from(p != q && !float);
            total += usize::from(!float);
        }
    }
    assert!(
        moved * 100 <= total,
        "{moved} of {total} integers moved a step"
    );
}

/// Stepping through `xs` from the zero state gives `ys` (the numpy reference's) bit for
/// bit; after `reset`, the first step again.
fn streams_like<const I: usize, const O: usize, S>(
    what: &str,
    (xs, ys): (&[&[i8]], &[&[i8]]),
    zero: S,
    step: impl Fn(&[i8; I], &mut [i8; O], &mut S),
) {
    let mut s = zero;
    for (t, (x, want)) in xs.iter().zip(ys).enumerate() {
        let mut y = [0i8; O];
        step(x[..].try_into().unwrap(), &mut y, &mut s);
        assert_eq!(&y[..], *want, "{what}: step {t}");
    }
    assert_eq!(xs.len(), ys.len());
}

#[test]
fn int8_steps_equal_the_reference_bit_for_bit() {
    use kiln_no_std_check as ns;
    let filter = FilterQEmbedded::WEIGHTS;
    let both = (reference::FILTER_X, reference::FILTER_Y);
    streams_like("filter", both, FilterQEmbeddedScratch::ZERO, |x, y, s| {
        filter.step(x, y, s)
    });
    let both = (reference::LSTM_X, reference::LSTM_Y);
    streams_like(
        "no-std-check's LSTM",
        both,
        ns::LstmInt8EmbeddedScratch::ZERO,
        |x, y, s| ns::LSTM_INT8.step(x, y, s),
    );
    let stacked = StackedQEmbedded::WEIGHTS;
    let both = (reference::STACKED_X, reference::STACKED_Y);
    streams_like("stacked", both, StackedQEmbeddedScratch::ZERO, |x, y, s| {
        stacked.step(x, y, s)
    });
    // A reset starts the same sequence over.
    let mut s = FilterQEmbeddedScratch::ZERO;
    let mut y = [0i8; 1];
    filter.step(&[7], &mut y, &mut s);
    let first = y;
    filter.step(&[-3], &mut y, &mut s);
    s.reset();
    filter.step(&[7], &mut y, &mut s);
    assert_eq!(y, first);
}

#[test]
fn int8_filter_tracks_f32_on_an_unseen_signal() {
    // Sines the calibration did not see (how close both come to the filter being imitated
    // is `examples/lstm-stream`'s test).
    let x: Vec<f32> = (0..3000)
        .map(|t| (0.4 * (0.031 * t as f64).sin() + 0.3 * (0.0047 * t as f64 + 2.0).sin()) as f32)
        .collect();
    let f = filter();
    let mut st = f.stream();
    let q = FilterQEmbedded::WEIGHTS;
    let mut s = FilterQEmbeddedScratch::ZERO;
    let step = FilterQEmbedded::OUTPUT_QUANT.scale as f64;
    let (mut worst, mut sum) = (0.0f64, 0.0f64);
    for &v in &x {
        let a = f.step(&mut st, &[v])[0] as f64;
        let b = q.step_real(&[v], &mut s)[0] as f64;
        worst = worst.max((a - b).abs() / step);
        sum += (a - b).abs() / step;
    }
    let mean = sum / x.len() as f64;
    eprintln!("int8 vs f32: worst {worst:.1}, mean {mean:.2} output steps");
    assert!(worst <= 6.0, "int8 strays {worst} output steps from f32");
    assert!(
        mean <= 1.5,
        "int8 is {mean} output steps from f32 on average"
    );
}

#[test]
fn int8_sizes_are_what_the_network_declares() {
    assert_eq!(
        kiln::runtime::fixed::GATE_TABLE_BYTES,
        4096,
        "the macro counts 4 KiB"
    );
    assert_eq!(
        Filter::<f32>::MODEL_BYTES_INT8,
        Some(FilterQEmbedded::MODEL_BYTES)
    );
    assert_eq!(
        Filter::<f32>::SCRATCH_BYTES_INT8,
        Some(FilterQEmbeddedScratch::BYTES)
    );
    // Two buffers of 32 and the state: h (32 i8) and c (32 i16).
    assert_eq!(FilterQEmbeddedScratch::BYTES, 2 * 32 + 3 * 32);
    // The LSTM: 4H x (1 + H) i8 weights, per gate row a bias and two multipliers, then the
    // output multiplier and three i32; the dense layer: 32 weights, a bias, a multiplier,
    // two zero points and the clamp; the gate tables all LSTMs share (4 KiB). 0.61 of f32's
    // 4 x (4H (1 + H + 2) + 33) = 18,052 (0.38 without the shared tables).
    assert_eq!(
        FilterQEmbedded::MODEL_BYTES,
        128 * 33 + 20 * 128 + 20 + 32 + 12 + 12 + 4096
    );
}

#[test]
fn percentile_calibration_narrows_the_ranges_of_a_stream() {
    let (net, cal) = (filter(), calibration());
    let min_max = quantize(&net, &cal, Calibration::MinMax).unwrap();
    let pct = quantize(&net, &cal, Calibration::Percentile(99.0)).unwrap();
    assert!(pct.input.scale < min_max.input.scale);
    assert!(pct.output.scale <= min_max.output.scale);
    assert_eq!(pct.names(), min_max.names());
    assert!(pct.names().contains(&"layers.0.cell_scale"));
}

#[test]
fn quantize_streams_checks_every_stream() {
    let net = filter();
    let cal = calibration();
    let (a, b) = cal.split_at(2000);
    let two = quantize_streams(&net, &[a, b], Calibration::MinMax).unwrap();
    assert_eq!(two.samples, 4000);
    assert!(matches!(
        quantize_streams(&net, &[], Calibration::MinMax),
        Err(QuantizeError::Samples { .. })
    ));
    network! {
        struct Gru { input: [seq, 1], layers: [gru(4), dense(1)], loss: none }
    }
    let gru = Gru::<f32>::new(&mut seeded(1));
    assert!(matches!(
        quantize(&gru, &cal, Calibration::MinMax),
        Err(QuantizeError::Unsupported {
            layer: "layers.0",
            ..
        })
    ));
}

#[test]
fn stacked_levels_quantise_to_the_committed_file_and_track_f32() {
    let mut net = Stacked::<f32>::new(&mut seeded(1));
    load_weights(&mut net, "tests/fixtures/stacked_lstm.safetensors").unwrap();
    let cal: Vec<f32> = (0..400).map(|t| (t as f32 * 0.13).sin() * 0.8).collect();
    let q = quantize(&net, &cal, Calibration::MinMax).unwrap();
    let path =
        std::env::temp_dir().join(format!("kiln-stacked-{}.safetensors", std::process::id()));
    q.save(&path).unwrap();
    let written = std::fs::read(&path).unwrap();
    std::fs::remove_file(&path).ok();
    assert_same_quantisation(
        &written,
        &std::fs::read("tests/fixtures/stacked_lstm.int8.safetensors").unwrap(),
    );
    // Level 1 and 2 have their own tensors; the two lower levels their hidden scales.
    for name in [
        "layers.0.weight_ih_l2",
        "layers.0.bias_l2",
        "layers.0.cell_scale_l1",
        "layers.0.hidden_scale_l1",
    ] {
        assert!(q.names().contains(&name), "{name}");
    }
    let (mut st, e) = (net.stream(), StackedQEmbedded::WEIGHTS);
    let mut s = StackedQEmbeddedScratch::ZERO;
    let step = StackedQEmbedded::OUTPUT_QUANT.scale;
    for t in 0..300 {
        let x = [
            (t as f32 * 0.07).sin() * 0.7,
            (t as f32 * 0.011).cos() * 0.5,
        ];
        let (a, b) = (net.step(&mut st, &x), e.step_real(&x, &mut s));
        for (a, b) in a.iter().zip(b) {
            assert!((a - b).abs() <= 6.0 * step, "step {t}: f32 {a}, int8 {b}");
        }
    }
    assert_eq!(
        Stacked::<f32>::MODEL_BYTES_INT8,
        Some(StackedQEmbedded::MODEL_BYTES)
    );
    assert_eq!(
        Stacked::<f32>::SCRATCH_BYTES_INT8,
        Some(StackedQEmbeddedScratch::BYTES)
    );
}
