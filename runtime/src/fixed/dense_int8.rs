//! A dense layer in int8, batch 1, as TFLite's per-channel fully-connected kernel computes it:
//! `acc = bias + sum_i w[o][i] * (x[i] - input_zero)` in int32, rescaled to the output's scale
//! by the channel's fixed-point multiplier, shifted to the output's zero point and clamped to
//! the activation's range (a fused ReLU clamps at the zero point).

use super::Requant;

/// int8 dense from `I` to `O` features.
#[derive(Clone, Debug)]
pub struct DenseInt8<const I: usize, const O: usize> {
    /// `[O, I]`, symmetric per output channel (PyTorch's layout).
    pub weight: [[i8; I]; O],
    /// Bias, rescaling, zero points and range.
    pub out: Requant<O>,
}

impl<const I: usize, const O: usize> DenseInt8<I, O> {
    /// All zeros, the full int8 range.
    pub const ZERO: Self = DenseInt8 {
        weight: [[0; I]; O],
        out: Requant::ZERO,
    };

    /// `y = clamp(requant(W (x - input_zero) + b) + output_zero)`.
    pub fn forward(&self, x: &[i8], y: &mut [i8]) {
        let x: &[i8; I] = super::arr(x, "int8 dense input");
        let y: &mut [i8; O] = super::arr_mut(y, "int8 dense output");
        let z = self.out.input_zero;
        for (o, (row, y)) in self.weight.iter().zip(y).enumerate() {
            let dot: i32 = row
                .iter()
                .zip(x)
                .map(|(&w, &v)| w as i32 * (v as i32 - z))
                .sum();
            *y = self.out.output(o, dot);
        }
    }
}
