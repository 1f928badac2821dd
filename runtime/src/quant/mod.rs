//! int8 arithmetic with the semantics of the TFLite int8 quantization specification (the one
//! CMSIS-NN's kernels are bit-exact with): activations asymmetric per tensor (`real = scale *
//! (q - zero_point)`, `q` in -128..=127), weights symmetric per output channel (zero point 0,
//! -127..=127), int32 accumulators and biases (scale `input_scale * weight_scale`), and the
//! rescaling of each accumulator to the output's scale by a fixed-point multiplier and shift
//! with saturation. No floating point runs at inference; no std or allocation is needed.
//!
//! Reference: <https://www.tensorflow.org/lite/performance/quantization_spec>; the rounding
//! rules are gemmlowp's (`SaturatingRoundingDoublingHighMul`, `RoundingDivideByPOT`).

mod params;
mod requantize;
mod role;

pub use params::{quantize_bias, quantize_weights, QuantParams};
pub use requantize::{
    rounding_divide_by_pot, saturating_rounding_doubling_high_mul, QuantizedMultiplier,
};
#[cfg(feature = "std")]
pub use role::lstm_level_name;
pub use role::{Int8Act, Int8Layer, Int8Role};
