//! Streams a sweep through the baked LSTM effect sample by sample and reports how closely it
//! follows the filter it imitates, and the time per sample.
//!
//! cargo run --release -p lstm-stream --example effect

use lstm_stream::{Effect, EffectInt8};

fn main() {
    let n = 48_000;
    let x: Vec<f32> = (0..n)
        .map(|t| {
            let t = t as f64;
            (0.7 * (0.01 * t + 0.000_001 * t * t).sin()) as f32
        })
        .collect();
    let mut lp = 0.0f32;
    let want: Vec<f32> = x
        .iter()
        .map(|&v| {
            lp += 0.2 * (v - lp);
            (2.5 * lp).tanh()
        })
        .collect();
    let mut fx = Effect::new();
    report("f32", &x, &want, |v| fx.process(v));
    println!(
        "    model {} bytes (read-only), state {} bytes",
        Effect::MODEL_BYTES,
        Effect::STATE_BYTES
    );
    let mut q = EffectInt8::new();
    report("int8", &x, &want, |v| q.process_real(v));
    println!(
        "    model {} bytes (read-only), state {} bytes",
        EffectInt8::MODEL_BYTES,
        EffectInt8::STATE_BYTES
    );
}

/// Streams `x` through `process`, timing it, and prints the error against `want`.
fn report(what: &str, x: &[f32], want: &[f32], mut process: impl FnMut(f32) -> f32) {
    let n = x.len();
    let t = std::time::Instant::now();
    let y: Vec<f32> = x.iter().map(|&v| process(v)).collect();
    let per = t.elapsed().as_nanos() as f64 / n as f64;
    let err: f64 = y
        .iter()
        .zip(want)
        .map(|(a, b)| ((a - b) as f64).powi(2))
        .sum::<f64>();
    let pow: f64 = want.iter().map(|b| (*b as f64).powi(2)).sum::<f64>();
    println!(
        "{what}: {n} samples streamed: {per:.0} ns per sample ({:.0}x real time at 48 kHz), relative RMS error {:.4}",
        20_833.0 / per,
        (err / pow).sqrt()
    );
}
