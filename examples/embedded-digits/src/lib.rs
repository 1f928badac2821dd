#![no_std]
//! A digit classifier for firmware: the digits MLP of kiln-models, trained by kiln's main
//! command (`cargo run --release --example train -- --model digits-mlp --epochs 10`, whose
//! `weights.safetensors` is committed here), declared again with `weights:` so its weights are
//! checked against the declaration and baked into read-only memory at compile time. No heap,
//! no std: one call per image.
//!
//! [`classify_int8`] runs the same network in int8: `digits_mlp.int8.safetensors` is what
//! `cargo run --release --example quantize -- --model digits-mlp --weights
//! examples/embedded-digits/digits_mlp.safetensors --out
//! examples/embedded-digits/digits_mlp.int8.safetensors` writes (ranges calibrated on the
//! training split), baked with `precision: int8` under a budget the compiler checks.

use kiln::{network, Float};

network! {
    /// 8x8 grey digits (pixels 0..16) -> 10 classes; the same layers as `kiln_models::DigitsMlp`.
    pub struct Digits {
        input: [64],
        layers: [dense(128), relu, dropout(0.2), dense(128 -> 64), tanh, dense(10)],
        loss: none,
        weights: "digits_mlp.safetensors",
    }
}

network! {
    /// The same network in int8: 19,740 bytes of read-only memory instead of 68,904.
    pub struct DigitsInt8 {
        input: [64],
        layers: [dense(128), relu, dropout(0.2), dense(128 -> 64), tanh, dense(10)],
        loss: none,
        weights: "digits_mlp.int8.safetensors",
        precision: int8,
        budget: { flash: 20 KiB, ram: 256 bytes },
    }
}

/// The int8 model.
static MODEL_INT8: DigitsInt8Embedded = DigitsInt8Embedded::WEIGHTS;

/// Bytes of read-only memory the int8 model takes, and of stack its scratch takes.
pub const MODEL_BYTES_INT8: usize = DigitsInt8Embedded::MODEL_BYTES;
pub const SCRATCH_BYTES_INT8: usize = DigitsInt8Embedded::SCRATCH_BYTES;

/// The model: 17,226 parameters in read-only memory.
static MODEL: DigitsEmbedded = DigitsEmbedded::WEIGHTS;

/// Bytes of read-only memory the model takes, and of stack the scratch takes.
pub const MODEL_BYTES: usize = DigitsEmbedded::<f32>::BYTES;
pub const SCRATCH_BYTES: usize = DigitsEmbeddedScratch::<f32>::BYTES;

/// A classification: the digit and the model's probability for it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Digit {
    pub digit: u8,
    pub confidence: f32,
}

/// Classifies an 8x8 image with pixel values 0..=16 (row-major), as the UCI digits store them.
pub fn classify(pixels: &[u8; 64]) -> Digit {
    let mut logits = [0.0f32; 10];
    let mut scratch = DigitsEmbeddedScratch::ZERO;
    if MODEL
        .forward(&scaled(pixels), &mut logits, &mut scratch)
        .is_err()
    {
        unreachable!("dense layers take any input");
    }
    digit(&logits)
}

/// [`classify`] in int8: the pixels quantised, the network run in integers, the logits
/// dequantised for the confidence.
pub fn classify_int8(pixels: &[u8; 64]) -> Digit {
    let mut scratch = DigitsInt8EmbeddedScratch::ZERO;
    digit(&MODEL_INT8.forward_real(&scaled(pixels), &mut scratch))
}

/// Pixels 0..=16 as the network's inputs 0..=1.
fn scaled(pixels: &[u8; 64]) -> [f32; 64] {
    let mut x = [0.0f32; 64];
    for (v, &p) in x.iter_mut().zip(pixels) {
        *v = f32::from(p.min(16)) / 16.0;
    }
    x
}

/// The most likely digit and its softmax probability.
fn digit(logits: &[f32; 10]) -> Digit {
    let (mut best, mut max) = (0, f32::NEG_INFINITY);
    for (i, &l) in logits.iter().enumerate() {
        if l > max {
            (best, max) = (i, l);
        }
    }
    let total: f32 = logits.iter().map(|&l| Float::exp(l - max)).sum();
    Digit {
        digit: best as u8,
        confidence: 1.0 / total,
    }
}
