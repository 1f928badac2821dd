#![no_std]
//! A streaming LSTM for an audio-rate or control loop: one sample in, one sample out, state
//! kept between calls, no heap, no std. The model (LSTM of 32 units on one input, a dense
//! read-out: benchmark T5's shape) was trained by `cargo run --release --example
//! train_filter` to imitate a low-pass filter followed by tanh soft clipping; its weights
//! (`filter.safetensors`) are checked against the declaration and baked in at compile time.
//!
//! [`EffectInt8`] is the same model in int8 (`filter.int8.safetensors`, written by
//! `kiln::quantize`, as `tests/int8_lstm.rs` of the workspace re-checks): integer arithmetic
//! only inside `step`, for microcontrollers without a floating-point unit.

use kiln::network;

network! {
    /// The effect model, exactly as `examples/train_filter.rs` declares it.
    pub struct Filter {
        input: [seq, 1],
        layers: [lstm(32), dense(1)],
        output: [seq, 1],
        loss: none,
        weights: "filter.safetensors",
    }
}

/// The trained weights, in read-only memory.
static MODEL: FilterEmbedded = FilterEmbedded::WEIGHTS;

/// The effect with its running state: `process` one sample at a time.
#[derive(Clone, Debug)]
pub struct Effect {
    state: FilterEmbeddedScratch,
}

impl Effect {
    /// Bytes of state (LSTM h and c, two buffers) kept between samples.
    pub const STATE_BYTES: usize = FilterEmbeddedScratch::<f32>::BYTES;
    /// Bytes of read-only memory the weights take.
    pub const MODEL_BYTES: usize = FilterEmbedded::<f32>::BYTES;

    /// An effect at rest (zero state).
    pub const fn new() -> Effect {
        Effect {
            state: FilterEmbeddedScratch::ZERO,
        }
    }

    /// One sample through the model; the state advances.
    #[inline]
    pub fn process(&mut self, x: f32) -> f32 {
        let mut y = [0.0];
        match MODEL.step(&[x], &mut y, &mut self.state) {
            Ok(()) => y[0],
            Err(_) => unreachable!("an LSTM takes any input"),
        }
    }

    /// Back to rest, for a new signal.
    pub fn reset(&mut self) {
        self.state.reset();
    }
}

impl Default for Effect {
    fn default() -> Self {
        Effect::new()
    }
}

network! {
    /// The effect model in int8: `filter.safetensors` quantised by `kiln::quantize` (int8
    /// weights and hidden state, int16 gates and cell state).
    pub struct FilterInt8 {
        input: [seq, 1],
        layers: [lstm(32), dense(1)],
        output: [seq, 1],
        loss: none,
        weights: "filter.int8.safetensors",
        precision: int8,
        budget: { flash: 11 KiB, ram: 160 bytes },
    }
}

/// The int8 model, in read-only memory.
static MODEL_INT8: FilterInt8Embedded = FilterInt8Embedded::WEIGHTS;

/// The effect in int8 with its running state: `process` one int8 sample at a time, or
/// `process_real` with the quantisation at the edges.
#[derive(Clone, Debug)]
pub struct EffectInt8 {
    state: FilterInt8EmbeddedScratch,
}

impl EffectInt8 {
    /// Bytes of state (LSTM h in int8 and c in int16, two buffers) kept between samples.
    pub const STATE_BYTES: usize = FilterInt8EmbeddedScratch::BYTES;
    /// Bytes of read-only memory the int8 model takes (with the 4 KiB of gate tables any
    /// number of int8 LSTMs share).
    pub const MODEL_BYTES: usize = FilterInt8Embedded::MODEL_BYTES;

    /// An effect at rest.
    pub const fn new() -> EffectInt8 {
        EffectInt8 {
            state: FilterInt8EmbeddedScratch::ZERO,
        }
    }

    /// One int8 sample (`FilterInt8Embedded::INPUT_QUANT`) through the model, one int8
    /// sample (`OUTPUT_QUANT`) out; integers only.
    #[inline]
    pub fn process(&mut self, x: i8) -> i8 {
        let mut y = [0];
        MODEL_INT8.step(&[x], &mut y, &mut self.state);
        y[0]
    }

    /// One real sample through the model: quantised, stepped, dequantised.
    #[inline]
    pub fn process_real(&mut self, x: f32) -> f32 {
        MODEL_INT8.step_real(&[x], &mut self.state)[0]
    }

    /// Back to rest, for a new signal.
    pub fn reset(&mut self) {
        self.state.reset();
    }
}

impl Default for EffectInt8 {
    fn default() -> Self {
        EffectInt8::new()
    }
}
