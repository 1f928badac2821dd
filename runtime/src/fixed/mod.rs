//! Batch-1 inference on inline arrays for the embedded form of generated networks
//! (`{Name}Embedded`): no heap, no std, every size a const generic. Each layer keeps its
//! tensors in PyTorch's layout as `pub` fields, so a generated `const` can bake them in, and
//! has a `ZERO` const; kernels read and write slices whose lengths the generated code fixes.

mod bidirectional;
mod compose;
mod conv2d;
mod conv2d_int8;
mod dense;
mod dense_int8;
mod dense_int8_vnni;
mod embedding;
mod gate_math;
mod gate_tables_int16;
mod lstm_int8;
mod lut_int8;
mod matvec;
mod maxout;
mod norm;
mod over_time;
mod pool2d;
mod pool_int8;
mod prelu;
mod recurrent;
mod requant_int8;
mod softmax;
mod stacked;

pub use bidirectional::{Bidirectional, BidirectionalState, Rows};
pub use compose::{add, split_work};
pub use conv2d::Conv2d;
pub use conv2d_int8::Conv2dInt8;
pub use dense::Dense;
pub use dense_int8::DenseInt8;
pub use embedding::{one_hot, Embedding};
pub use lstm_int8::{
    cell_bits, sigmoid_q15, tanh_q15, LstmInt8, LstmInt8State, GATE_FRACTION_BITS, GATE_TABLE_BYTES,
};
pub use lut_int8::{apply_table, build_table, relu_int8};
pub use maxout::Maxout;
pub use norm::{BatchNorm, LayerNorm};
pub use over_time::{advance, keep_last, running_max, running_mean, OverTimeState};
pub use pool2d::{avg_pool2d, global_avg_pool, max_pool2d};
pub use pool_int8::{avg_pool2d_int8, max_pool2d_int8};
pub use prelu::PRelu;
pub use recurrent::{Gru, GruState, Lstm, LstmState, Rnn, RnnState};
pub use requant_int8::Requant;
pub use softmax::softmax;
pub use stacked::{Cell, CellState, Stacked, StackedState, ZeroState};

use crate::float::Float;
pub(crate) use matvec::{accumulate, dispatch, matvec_t};

/// `x` as a fixed-size array; a wrong length is a bug in the generated code.
#[inline(always)]
pub(crate) fn arr<'a, T, const N: usize>(x: &'a [T], what: &str) -> &'a [T; N] {
    match x.try_into() {
        Ok(a) => a,
        Err(_) => panic!("kiln bug: {what} has {} values, expected {N}", x.len()),
    }
}

/// `x` as a fixed-size mutable array; a wrong length is a bug in the generated code.
#[inline(always)]
pub(crate) fn arr_mut<'a, T, const N: usize>(x: &'a mut [T], what: &str) -> &'a mut [T; N] {
    let len = x.len();
    match x.try_into() {
        Ok(a) => a,
        Err(_) => panic!("kiln bug: {what} has {len} values, expected {N}"),
    }
}

/// Copies a row-major `[R][C]` tensor (PyTorch's layout) into its transpose `dst[c][r]`.
pub fn set_transposed<T: Float, const R: usize, const C: usize>(dst: &mut [[T; R]; C], src: &[T]) {
    for (r, row) in src.chunks_exact(C).enumerate() {
        for (c, &v) in row.iter().enumerate() {
            dst[c][r] = v;
        }
    }
}

/// Writes the transpose stored in `src[c][r]` back as a row-major `[R][C]` tensor.
pub fn get_transposed<T: Float, const R: usize, const C: usize>(src: &[[T; R]; C], dst: &mut [T]) {
    for (r, row) in dst.chunks_exact_mut(C).enumerate() {
        for (c, v) in row.iter_mut().enumerate() {
            *v = src[c][r];
        }
    }
}

#[cfg(test)]
pub(crate) mod testutil {
    /// Deterministic values in [-1, 1).
    pub fn values(n: usize, seed: usize) -> std::vec::Vec<f64> {
        (0..n)
            .map(|i| (((i * 7919 + seed * 104_729) % 1999) as f64 / 999.5) - 1.0)
            .collect()
    }

    pub fn close(a: &[f64], b: &[f64], tol: f64) {
        assert_eq!(a.len(), b.len());
        for (i, (x, y)) in a.iter().zip(b).enumerate() {
            assert!((x - y).abs() <= tol * (1.0 + y.abs()), "[{i}] {x} vs {y}");
        }
    }
}
