//! An LSTM step in integers, TFLite's 8x8_16 scheme (int8 weights, input and hidden state;
//! int16 gates and cell state), one sample per call:
//!
//! ```text
//! gate[r] = sat16(Mx[r](b[r] + W_ih[r] (x - z_x)) + Mh[r](W_hh[r] (h - z_h)))   Q3.12
//! i, f, o = sigmoid(gate), g = tanh(gate)                                      Q0.15
//! c = sat16(c f >> 15 + i g >> (30 - k))                                       scale 2^-k
//! h = sat8(Mout(o tanh(c)) + z_h)                                              h's scale
//! ```
//!
//! `>>` rounds to nearest (ties away from zero); `M` are fixed-point multipliers
//! (`QuantizedMultiplier`). Sigmoid and tanh of int16 values are 513-entry tables over
//! Q3.12's range with linear interpolation (as TFLite's int16 LOGISTIC and TANH kernels use;
//! its LSTM kernel computes them with gemmlowp's polynomials instead, so the last bit may
//! differ from TFLite's). The two tables take [`GATE_TABLE_BYTES`] (4 KiB) of read-only
//! memory, shared by every LSTM of a program.

use super::dense_int8::centred;
use super::gate_tables_int16::{SIGMOID_Q15, TANH_Q15};
use super::{arr, dispatch};
use crate::quant::{rounding_divide_by_pot, QuantizedMultiplier};

/// Fractional bits of the gates before their functions (Q3.12: -8..8).
pub const GATE_FRACTION_BITS: i32 = 12;
/// Fractional bits of the gate values after their functions (Q0.15).
const UNIT_FRACTION_BITS: i32 = 15;

/// An int8 LSTM cell from `IN` to `H` features (`G` = 4H gate rows, i, f, g, o).
#[derive(Clone, Debug)]
pub struct LstmInt8<const IN: usize, const H: usize, const G: usize> {
    /// Input weights transposed: `weight_ih_t[j][r]` is PyTorch's `weight_ih_l0[r][j]`,
    /// symmetric per gate row `r`.
    pub weight_ih_t: [[i8; G]; IN],
    /// Recurrent weights transposed: `weight_hh_t[j][r]` is PyTorch's `weight_hh_l0[r][j]`.
    pub weight_hh_t: [[i8; G]; H],
    /// Both float biases summed, in units of `input_scale * weight_ih_scale[r]`.
    pub bias: [i32; G],
    /// Row `r`'s input product to Q3.12: `input_scale * weight_ih_scale[r] * 2^12`.
    pub input_multiplier: [QuantizedMultiplier; G],
    /// Row `r`'s recurrent product to Q3.12: `hidden_scale * weight_hh_scale[r] * 2^12`.
    pub hidden_multiplier: [QuantizedMultiplier; G],
    /// `o tanh(c)` (Q0.30) to the hidden state's scale: `2^-30 / hidden_scale`.
    pub output_multiplier: QuantizedMultiplier,
    /// The input's zero point.
    pub input_zero: i32,
    /// The hidden state's (the output's) zero point.
    pub hidden_zero: i32,
    /// The cell state's scale is `2^-cell_bits` (0..=30).
    pub cell_bits: i32,
}

/// An int8 LSTM's state: `h` (int8, the output's quantisation) and `c` (int16, `2^-k`).
#[derive(Clone, Debug)]
pub struct LstmInt8State<const H: usize> {
    /// Hidden state.
    pub h: [i8; H],
    /// Cell state.
    pub c: [i16; H],
}

impl<const H: usize> LstmInt8State<H> {
    /// The state at the start of a sequence: `h` at the real 0 (its zero point), `c` 0.
    pub const fn zero(hidden_zero: i32) -> Self {
        LstmInt8State {
            h: [hidden_zero as i8; H],
            c: [0; H],
        }
    }
}

impl<const IN: usize, const H: usize, const G: usize> LstmInt8<IN, H, G> {
    const FOUR_GATES: () = assert!(G == 4 * H, "an LSTM has 4H gate rows");

    /// All zeros.
    pub const ZERO: Self = LstmInt8 {
        weight_ih_t: [[0; G]; IN],
        weight_hh_t: [[0; G]; H],
        bias: [0; G],
        input_multiplier: [QuantizedMultiplier::ZERO; G],
        hidden_multiplier: [QuantizedMultiplier::ZERO; G],
        output_multiplier: QuantizedMultiplier::ZERO,
        input_zero: 0,
        hidden_zero: 0,
        cell_bits: 15,
    };

    /// One step: `x` (IN int8 values) in, `s.h` out.
    pub fn step(&self, x: &[i8], s: &mut LstmInt8State<H>) {
        #[allow(clippy::let_unit_value)]
        let () = Self::FOUR_GATES;
        let x = arr::<i8, IN>(x, "int8 LSTM input");
        lstm_int8_step(self, x, s);
    }

    /// `c f + i g` in the cell's scale.
    #[inline(always)]
    fn cell(&self, c: i16, i: i16, f: i16, g: i16) -> i16 {
        let kept = rounding_divide_by_pot(i32::from(c) * i32::from(f), UNIT_FRACTION_BITS);
        let added = rounding_divide_by_pot(
            i32::from(i) * i32::from(g),
            2 * UNIT_FRACTION_BITS - self.cell_bits,
        );
        sat16(kept as i64 + added as i64)
    }

    /// A cell value in Q3.12, for tanh.
    #[inline(always)]
    fn cell_to_gate(&self, c: i16) -> i16 {
        let shift = self.cell_bits - GATE_FRACTION_BITS;
        if shift >= 0 {
            rounding_divide_by_pot(i32::from(c), shift) as i16
        } else {
            sat16(i64::from(c) << -shift)
        }
    }

    /// `o tanh(c)` in the hidden state's int8.
    #[inline(always)]
    fn hidden(&self, o: i16, tc: i16) -> i8 {
        let q = self.output_multiplier.apply(i32::from(o) * i32::from(tc)) + self.hidden_zero;
        q.clamp(-128, 127) as i8
    }
}

/// [`LstmInt8::step`] for vectors of `V` bytes (the dispatch's width, unused: the compiler
/// vectorises for the instruction set enabled). Plain loops, each of one kind of work, so
/// the products and the requantisation vectorise; no closures (they would not inherit the
/// dispatch's instruction set).
#[inline(always)]
fn lstm_int8_step_kernel<
    const IN: usize,
    const H: usize,
    const G: usize,
    const V: usize,
    const FMA: bool,
>(
    cell: &LstmInt8<IN, H, G>,
    x: &[i8; IN],
    s: &mut LstmInt8State<H>,
) {
    let (xz, hz) = (centred(x, cell.input_zero), centred(&s.h, cell.hidden_zero));
    // Column by column over all gate rows at once: vertical SIMD, no per-row reductions.
    let (mut ax, mut ah) = (cell.bias, [0i32; G]);
    accumulate_t(&cell.weight_ih_t, &xz, &mut ax);
    accumulate_t(&cell.weight_hh_t, &hz, &mut ah);
    // The gate pre-activations in Q3.12.
    let mut gates = [0i16; G];
    for r in 0..G {
        let sum = cell.input_multiplier[r].apply(ax[r]) as i64
            + cell.hidden_multiplier[r].apply(ah[r]) as i64;
        gates[r] = sat16(sum);
    }
    // Their functions, gate by gate, in Q0.15 (i, f, o sigmoid; g tanh).
    let mut act = [0i16; G];
    for r in 0..G {
        act[r] = if r / H == 2 {
            tanh_q15(gates[r])
        } else {
            sigmoid_q15(gates[r])
        };
    }
    let (i, rest) = act.split_at(H);
    let (f, rest) = rest.split_at(H);
    let (g, o) = rest.split_at(H);
    for u in 0..H {
        s.c[u] = cell.cell(s.c[u], i[u], f[u], g[u]);
    }
    let mut tc = [0i16; H];
    for u in 0..H {
        tc[u] = tanh_q15(cell.cell_to_gate(s.c[u]));
    }
    for u in 0..H {
        s.h[u] = cell.hidden(o[u], tc[u]);
    }
}

/// `acc[r] += sum_j w_t[j][r] v[j]`: exact in i32 (each product is below 2^15 in size).
#[inline(always)]
fn accumulate_t<const K: usize, const G: usize>(
    w_t: &[[i8; G]; K],
    v: &[i16; K],
    acc: &mut [i32; G],
) {
    for (row, &v) in w_t.iter().zip(v) {
        let v = i32::from(v);
        for (a, &w) in acc.iter_mut().zip(row) {
            *a += i32::from(w) * v;
        }
    }
}

dispatch! {
    /// The int8 LSTM step for the best instruction set this CPU has.
    fn lstm_int8_step = lstm_int8_step_kernel<; const IN, const H, const G>(
        cell: &LstmInt8<IN, H, G>,
        x: &[i8; IN],
        s: &mut LstmInt8State<H>,
    )
}

#[inline(always)]
fn sat16(v: i64) -> i16 {
    v.clamp(i16::MIN as i64, i16::MAX as i64) as i16
}

/// A table's 512 segments, each its start and its rise packed in one word (start in the low
/// 16 bits), so an interpolated lookup is one load (one gather for a vector of values).
type Segments = [u32; 512];

const fn segments(table: &[i16; 513]) -> Segments {
    let mut out = [0u32; 512];
    let mut n = 0;
    while n < 512 {
        let rise = table[n + 1] as i32 - table[n] as i32;
        out[n] = (table[n] as u16 as u32) | ((rise as u16 as u32) << 16);
        n += 1;
    }
    out
}

/// Bytes of the two gate tables every int8 LSTM of a program shares (read-only memory).
pub const GATE_TABLE_BYTES: usize = 2 * core::mem::size_of::<Segments>();

static SIGMOID_SEGMENTS: Segments = segments(&SIGMOID_Q15);
static TANH_SEGMENTS: Segments = segments(&TANH_Q15);

/// A table at a Q3.12 value, interpolated between its two nearest points (128 steps apart).
#[inline(always)]
fn lookup(segments: &Segments, v: i16) -> i16 {
    let u = (i32::from(v) + 32768) as usize;
    let (n, d) = (u >> 7, (u & 127) as i32);
    let e = segments[n];
    let (start, rise) = (
        i32::from(e as u16 as i16),
        i32::from((e >> 16) as u16 as i16),
    );
    (start + ((rise * d + 64) >> 7)) as i16
}

/// Sigmoid of a Q3.12 value, in Q0.15.
#[inline(always)]
pub fn sigmoid_q15(v: i16) -> i16 {
    lookup(&SIGMOID_SEGMENTS, v)
}

/// Tanh of a Q3.12 value, in Q0.15.
#[inline(always)]
pub fn tanh_q15(v: i16) -> i16 {
    lookup(&TANH_SEGMENTS, v)
}

/// The cell state's fractional bits for values up to `max_abs`: the most that keep
/// `max_abs` within int16 (15 for an all-zero cell), in 0..=30.
pub fn cell_bits(max_abs: f32) -> i32 {
    if max_abs.is_nan() || max_abs <= 0.0 {
        return UNIT_FRACTION_BITS;
    }
    // Integer bits for `max_abs` itself, so a power of two fits too.
    let whole = libm::floor(libm::log2(max_abs as f64)) as i32 + 1;
    (UNIT_FRACTION_BITS - whole).clamp(0, 30)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_match_their_functions() {
        let round = |v: f64| (libm::round(v * 32768.0) as i32).clamp(-32768, 32767) as i16;
        for n in 0..513 {
            let x = -8.0 + n as f64 / 32.0;
            assert_eq!(
                SIGMOID_Q15[n],
                round(1.0 / (1.0 + libm::exp(-x))),
                "sigmoid {n}"
            );
            assert_eq!(TANH_Q15[n], round(libm::tanh(x)), "tanh {n}");
        }
    }

    #[test]
    fn interpolated_gates_are_within_a_few_steps_everywhere() {
        // Linear interpolation at a spacing of 1/32: |f''| h^2 / 8 is 1.3 steps of Q0.15
        // for sigmoid, 3.1 for tanh, plus the rounding of the table.
        for v in i16::MIN..=i16::MAX {
            let x = v as f64 / 4096.0;
            let s = (1.0 / (1.0 + libm::exp(-x))) * 32768.0;
            assert!((sigmoid_q15(v) as f64 - s).abs() <= 2.0, "sigmoid {v}");
            let t = libm::tanh(x) * 32768.0;
            assert!((tanh_q15(v) as f64 - t).abs() <= 4.0, "tanh {v}");
        }
    }

    #[test]
    fn cell_bits_cover_the_range() {
        assert_eq!(cell_bits(0.0), 15);
        assert_eq!(cell_bits(1.0), 14);
        assert_eq!(cell_bits(0.99), 15);
        assert_eq!(cell_bits(1.5), 14);
        assert_eq!(cell_bits(3.9), 13);
        assert_eq!(cell_bits(0.01), 21);
        assert_eq!(cell_bits(1e30), 0);
    }
}
