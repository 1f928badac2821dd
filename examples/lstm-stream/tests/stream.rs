//! The baked no_std effect imitates the filter it was trained on, and streams exactly as the
//! heap-backed network with the same weights does.

use kiln::checkpoint::load_weights;
use kiln::prelude::*;
use lstm_stream::{Effect, EffectInt8};

network! {
    struct Filter {
        input: [seq, 1],
        layers: [lstm(32), dense(1)],
        output: [seq, 1],
        loss: mse,
    }
}

/// The target effect: `lp += 0.2 (x - lp)`, `y = tanh(2.5 lp)`.
fn reference(x: &[f32]) -> Vec<f32> {
    let mut lp = 0.0f32;
    x.iter()
        .map(|&v| {
            lp += 0.2 * (v - lp);
            (2.5 * lp).tanh()
        })
        .collect()
}

#[test]
fn streams_like_the_std_network_and_imitates_the_filter() {
    // A chirp with a little noise: a signal the model never saw.
    let mut rng = seeded(77);
    let x: Vec<f32> = (0..3000)
        .map(|t| {
            let t = t as f64;
            (0.6 * (0.02 * t + 0.00002 * t * t).sin()
                + kiln::runtime::rng::normal(&mut rng, 0.0, 0.02)) as f32
        })
        .collect();
    let want = reference(&x);

    let mut net = Filter::<f32>::new(&mut seeded(1));
    load_weights(
        &mut net,
        concat!(env!("CARGO_MANIFEST_DIR"), "/filter.safetensors"),
    )
    .unwrap();
    let mut st = net.stream();
    let mut effect = Effect::new();
    let (mut err, mut power) = (0.0f64, 0.0f64);
    for (&v, &w) in x.iter().zip(&want) {
        let e = effect.process(v);
        let s = net.step(&mut st, &[v])[0];
        assert!((e - s).abs() <= 1e-5, "embedded {e} vs std {s}");
        err += ((e - w) as f64).powi(2);
        power += (w as f64).powi(2);
    }
    let rel = (err / power).sqrt();
    assert!(rel < 0.05, "relative RMS error {rel}");
    // Reset gives the same response again.
    effect.reset();
    let again: Vec<f32> = x[..10].iter().map(|&v| effect.process(v)).collect();
    let mut fresh = Effect::new();
    let first: Vec<f32> = x[..10].iter().map(|&v| fresh.process(v)).collect();
    assert_eq!(again, first);
    assert_eq!(Effect::MODEL_BYTES, 4 * (4 * 32 * (1 + 32 + 2) + 32 + 1));
}

#[test]
fn the_int8_effect_follows_the_float_one() {
    let x: Vec<f32> = (0..3000)
        .map(|t| (0.5 * (0.03 * t as f64).sin() + 0.2 * (0.0071 * t as f64).sin()) as f32)
        .collect();
    let want = reference(&x);
    let (mut f32_fx, mut int8_fx) = (Effect::new(), EffectInt8::new());
    let (mut err_f32, mut err_int8, mut power) = (0.0f64, 0.0f64, 0.0f64);
    for (&v, &w) in x.iter().zip(&want) {
        err_f32 += ((f32_fx.process(v) - w) as f64).powi(2);
        err_int8 += ((int8_fx.process_real(v) - w) as f64).powi(2);
        power += (w as f64).powi(2);
    }
    let (a, b) = ((err_f32 / power).sqrt(), (err_int8 / power).sqrt());
    assert!(b < a + 0.01, "int8 relative RMS error {b} vs f32 {a}");
    // The int8 model is 0.38 of the f32 one, 0.61 with the 4 KiB of gate tables every int8
    // LSTM shares; the state is 160 bytes.
    const { assert!((EffectInt8::MODEL_BYTES - 4096) * 5 < Effect::MODEL_BYTES * 2) };
    const { assert!(EffectInt8::MODEL_BYTES * 5 < Effect::MODEL_BYTES * 4) };
    assert_eq!(EffectInt8::STATE_BYTES, 160);
}
