#![no_std]
//! A digit classifier for firmware: the digits MLP of kiln-models, trained by kiln's main
//! command (`cargo run --release --example train -- --model digits-mlp --epochs 10`, whose
//! `weights.safetensors` is committed here), declared again with `weights:` so its weights are
//! checked against the declaration and baked into read-only memory at compile time. No heap,
//! no std: one call per image.

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
    let mut x = [0.0f32; 64];
    for (v, &p) in x.iter_mut().zip(pixels) {
        *v = f32::from(p.min(16)) / 16.0;
    }
    let mut logits = [0.0f32; 10];
    let mut scratch = DigitsEmbeddedScratch::ZERO;
    if MODEL.forward(&x, &mut logits, &mut scratch).is_err() {
        unreachable!("dense layers take any input");
    }
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
