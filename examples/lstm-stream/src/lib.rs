#![no_std]
//! A streaming LSTM for an audio-rate or control loop: one sample in, one sample out, state
//! kept between calls, no heap, no std. The model (LSTM of 32 units on one input, a dense
//! read-out: benchmark T5's shape) was trained by `cargo run --release --example
//! train_filter` to imitate a low-pass filter followed by tanh soft clipping; its weights
//! (`filter.safetensors`) are checked against the declaration and baked in at compile time.

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
