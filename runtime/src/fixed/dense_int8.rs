//! A dense layer in int8, batch 1, as TFLite's per-channel fully-connected kernel computes it:
//! `acc = bias + sum_i w[o][i] * (x[i] - input_zero)` in int32, rescaled to the output's scale
//! by the channel's fixed-point multiplier, shifted to the output's zero point and clamped to
//! the activation's range (a fused ReLU clamps at the zero point).

use crate::quant::QuantizedMultiplier;

/// int8 dense from `I` to `O` features.
#[derive(Clone, Debug)]
pub struct DenseInt8<const I: usize, const O: usize> {
    /// `[O, I]`, symmetric per output channel (PyTorch's layout).
    pub weight: [[i8; I]; O],
    /// `[O]`, in units of `input_scale * weight_scale[o]`.
    pub bias: [i32; O],
    /// Each channel's `input_scale * weight_scale[o] / output_scale`.
    pub requant: [QuantizedMultiplier; O],
    /// The input tensor's zero point.
    pub input_zero: i32,
    /// The output tensor's zero point.
    pub output_zero: i32,
    /// The lowest output (the zero point under a fused ReLU).
    pub min: i8,
    /// The highest output.
    pub max: i8,
}

impl<const I: usize, const O: usize> DenseInt8<I, O> {
    /// All zeros, the full int8 range.
    pub const ZERO: Self = DenseInt8 {
        weight: [[0; I]; O],
        bias: [0; O],
        requant: [QuantizedMultiplier::ZERO; O],
        input_zero: 0,
        output_zero: 0,
        min: i8::MIN,
        max: i8::MAX,
    };

    /// `y = clamp(requant(W (x - input_zero) + b) + output_zero)`.
    pub fn forward(&self, x: &[i8], y: &mut [i8]) {
        let x: &[i8; I] = super::arr(x, "int8 dense input");
        let y: &mut [i8; O] = super::arr_mut(y, "int8 dense output");
        let z = self.input_zero;
        for o in 0..O {
            let row = &self.weight[o];
            let dot: i32 = row
                .iter()
                .zip(x)
                .map(|(&w, &v)| w as i32 * (v as i32 - z))
                .sum();
            let acc = self.requant[o].apply(dot.wrapping_add(self.bias[o])) + self.output_zero;
            y[o] = acc.clamp(self.min as i32, self.max as i32) as i8;
        }
    }
}
