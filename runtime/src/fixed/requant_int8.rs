//! What every int8 product layer (dense, convolution) does after its products: add the int32
//! bias, rescale by the channel's fixed-point multiplier, move to the output's zero point and
//! clamp to the activation's range (TFLite's per-channel output stage).

use crate::quant::QuantizedMultiplier;

/// The output stage of `O` channels, and the input's zero point the products subtract.
#[derive(Clone, Debug)]
pub struct Requant<const O: usize> {
    /// `[O]`, in units of `input_scale * weight_scale[o]`.
    pub bias: [i32; O],
    /// Each channel's `input_scale * weight_scale[o] / output_scale`.
    pub multiplier: [QuantizedMultiplier; O],
    /// The input tensor's zero point.
    pub input_zero: i32,
    /// The output tensor's zero point.
    pub output_zero: i32,
    /// The lowest output (the zero point under a fused ReLU).
    pub min: i8,
    /// The highest output.
    pub max: i8,
}

impl<const O: usize> Requant<O> {
    /// Zero bias and multipliers, the full int8 range.
    pub const ZERO: Self = Requant {
        bias: [0; O],
        multiplier: [QuantizedMultiplier::ZERO; O],
        input_zero: 0,
        output_zero: 0,
        min: i8::MIN,
        max: i8::MAX,
    };

    /// Every channel's output for its products `acc[o] = sum w (x - input_zero)`: one
    /// branch-free loop, which vectorises.
    #[inline(always)]
    pub fn outputs(&self, acc: &[i32; O], y: &mut [i8; O]) {
        for (o, (y, &a)) in y.iter_mut().zip(acc).enumerate() {
            *y = self.output(o, a);
        }
    }

    /// Channel `o`'s output for the products `acc = sum w (x - input_zero)`.
    #[inline(always)]
    pub fn output(&self, o: usize, acc: i32) -> i8 {
        let q = self.multiplier[o].apply(acc.wrapping_add(self.bias[o])) + self.output_zero;
        q.clamp(self.min as i32, self.max as i32) as i8
    }
}
