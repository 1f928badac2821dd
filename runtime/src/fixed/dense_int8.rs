//! A dense layer in int8, batch 1, as TFLite's per-channel fully-connected kernel computes it:
//! `acc = bias + sum_i w[o][i] * (x[i] - input_zero)` in int32, rescaled to the output's scale
//! by the channel's fixed-point multiplier, shifted to the output's zero point and clamped to
//! the activation's range (a fused ReLU clamps at the zero point).

use super::{dispatch, Requant};

/// int8 dense from `I` to `O` features.
#[derive(Clone, Debug)]
pub struct DenseInt8<const I: usize, const O: usize> {
    /// PyTorch's `weight[o][i]` (symmetric per output channel) at `weight_t[i][o]`:
    /// transposed, so the products run across the outputs in SIMD lanes.
    pub weight_t: [[i8; O]; I],
    /// Bias, rescaling, zero points and range.
    pub out: Requant<O>,
}

impl<const I: usize, const O: usize> DenseInt8<I, O> {
    /// All zeros, the full int8 range.
    pub const ZERO: Self = DenseInt8 {
        weight_t: [[0; O]; I],
        out: Requant::ZERO,
    };

    /// `y = clamp(requant(W (x - input_zero) + b) + output_zero)`.
    pub fn forward(&self, x: &[i8], y: &mut [i8]) {
        let x: &[i8; I] = super::arr(x, "int8 dense input");
        let y: &mut [i8; O] = super::arr_mut(y, "int8 dense output");
        dense_int8(&self.weight_t, &self.out, x, y);
    }
}

/// [`DenseInt8::forward`] for vectors of `V` bytes (the dispatch's width, unused: the
/// compiler vectorises for the instruction set enabled).
#[inline(always)]
fn dense_int8_kernel<const I: usize, const O: usize, const V: usize, const FMA: bool>(
    w_t: &[[i8; O]; I],
    out: &Requant<O>,
    x: &[i8; I],
    y: &mut [i8; O],
) {
    // `acc[o] = sum_i w[o][i] (x[i] - z)`, one input at a time across all outputs (i32
    // lanes). Plain loops, no closures passed on: a closure would not inherit the dispatch's
    // instruction set.
    let z = out.input_zero;
    let mut acc = [0i32; O];
    for (row, &x) in w_t.iter().zip(x) {
        let v = i32::from(x) - z;
        for (a, &w) in acc.iter_mut().zip(row) {
            *a += i32::from(w) * v;
        }
    }
    out.outputs(&acc, y);
}

dispatch! {
    /// The int8 dense kernel for the best instruction set this CPU has.
    fn dense_int8 = dense_int8_kernel<; const I, const O>(
        w_t: &[[i8; O]; I],
        out: &Requant<O>,
        x: &[i8; I],
        y: &mut [i8; O],
    )
}
