//! A dense layer in int8, batch 1, as TFLite's per-channel fully-connected kernel computes it:
//! `acc = bias + sum_i w[o][i] * (x[i] - input_zero)` in int32, rescaled to the output's scale
//! by the channel's fixed-point multiplier, shifted to the output's zero point and clamped to
//! the activation's range (a fused ReLU clamps at the zero point).

use super::{dispatch, Requant};

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
        #[cfg(all(feature = "std", target_arch = "x86_64"))]
        if vnni() {
            // SAFETY: the CPU has AVX-512F/BW and VNNI (checked once, cached).
            unsafe { super::dense_int8_vnni::dense(&self.weight, &self.out, x, y) };
            return;
        }
        dense_int8(&self.weight, &self.out, x, y);
    }
}

/// Whether the VNNI kernel runs here: detected once.
#[cfg(all(feature = "std", target_arch = "x86_64"))]
fn vnni() -> bool {
    static VNNI: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *VNNI.get_or_init(super::dense_int8_vnni::available)
}

/// `x - zero` in i16 (in -255..=255), for 16-bit products.
#[inline(always)]
pub(crate) fn centred<const N: usize>(x: &[i8; N], zero: i32) -> [i16; N] {
    let z = zero as i16;
    let mut xz = [0i16; N];
    for (v, &x) in xz.iter_mut().zip(x) {
        *v = i16::from(x) - z;
    }
    xz
}

/// `sum w (x - z)` in i32 with `x - z` given as i16 (in -255..=255): every product fits 16
/// bits, so SIMD units multiply in 16 bits and add pairwise into 32 (`pmaddwd`); exact below
/// 2^16 values.
#[inline(always)]
pub(crate) fn dot_i8_i16(w: &[i8], xz: &[i16]) -> i32 {
    w.iter()
        .zip(xz)
        .map(|(&w, &v)| i32::from(i16::from(w)) * i32::from(v))
        .sum()
}

/// [`DenseInt8::forward`] for vectors of `V` bytes (the dispatch's width, unused: the
/// compiler vectorises for the instruction set enabled).
#[inline(always)]
fn dense_int8_kernel<const I: usize, const O: usize, const V: usize, const FMA: bool>(
    w: &[[i8; I]; O],
    out: &Requant<O>,
    x: &[i8; I],
    y: &mut [i8; O],
) {
    // The input's zero point subtracted once, not once per row. Plain loops, no closures
    // passed on: a closure would not inherit the dispatch's instruction set.
    let xz = centred(x, out.input_zero);
    let mut acc = [0i32; O];
    for (a, row) in acc.iter_mut().zip(w) {
        *a = dot_i8_i16(row, &xz);
    }
    out.outputs(&acc, y);
}

dispatch! {
    /// The int8 dense kernel for the best instruction set this CPU has.
    fn dense_int8 = dense_int8_kernel<; const I, const O>(
        w: &[[i8; I]; O],
        out: &Requant<O>,
        x: &[i8; I],
        y: &mut [i8; O],
    )
}
