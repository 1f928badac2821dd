//! Batch-1 inference on inline arrays for the embedded form of generated networks
//! (`{Name}Embedded`): no heap, no std, every size a const generic. Each layer keeps its
//! tensors in PyTorch's layout as `pub` fields, so a generated `const` can bake them in, and
//! has a `ZERO` const; kernels read and write slices whose lengths the generated code fixes.

mod conv2d;
mod dense;
mod embedding;
mod norm;
mod pool2d;
mod prelu;
mod recurrent;

pub use conv2d::Conv2d;
pub use dense::Dense;
pub use embedding::{one_hot, Embedding};
pub use norm::{BatchNorm, LayerNorm};
pub use pool2d::{avg_pool2d, global_avg_pool, max_pool2d};
pub use prelu::PRelu;
pub use recurrent::{Gru, GruState, Lstm, LstmState, Rnn, RnnState};

use crate::float::Float;

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

/// `sum_i a_i b_i` with eight independent partial sums, so it vectorises without
/// reassociating one long chain.
#[inline(always)]
pub(crate) fn dot<T: Float>(a: &[T], b: &[T]) -> T {
    let mut acc = [T::ZERO; 8];
    let (ac, ar) = a.as_chunks::<8>();
    let (bc, br) = b.as_chunks::<8>();
    for (x, y) in ac.iter().zip(bc) {
        for l in 0..8 {
            acc[l] += x[l] * y[l];
        }
    }
    let mut s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for (x, y) in ar.iter().zip(br) {
        s += *x * *y;
    }
    s
}

/// `out = v + bias`, or `out += v + bias` when `add`.
#[inline(always)]
fn store<T: Float>(out: &mut T, v: T, bias: Option<T>, add: bool) {
    let v = match bias {
        Some(b) => v + b,
        None => v,
    };
    *out = if add { *out + v } else { v };
}

/// `y[o] = b[o] + W[o] . x` (and `+=` when `add`): one dot product per output row.
#[inline(always)]
fn matvec_generic<T: Float, const IN: usize, const OUT: usize>(
    w: &[[T; IN]; OUT],
    b: Option<&[T; OUT]>,
    x: &[T; IN],
    y: &mut [T; OUT],
    add: bool,
) {
    for o in 0..OUT {
        store(&mut y[o], dot(&w[o], x), b.map(|b| b[o]), add);
    }
}

/// `y = W x (+ b)` (or `y += ...` when `add`) for PyTorch's `[OUT, IN]` weight; `f32` on
/// x86-64 runs hand-vectorised AVX-512 or AVX2 code when the CPU has it (detected at run time
/// with `std`, chosen at compile time without).
#[inline]
pub(crate) fn matvec<T: Float, const IN: usize, const OUT: usize>(
    w: &[[T; IN]; OUT],
    b: Option<&[T; OUT]>,
    x: &[T; IN],
    y: &mut [T; OUT],
    add: bool,
) {
    if IN == 1 {
        // One input (a scalar signal): `y = w x + b` is element-wise over the rows.
        for o in 0..OUT {
            store(&mut y[o], w[o][0] * x[0], b.map(|b| b[o]), add);
        }
        return;
    }
    #[cfg(target_arch = "x86_64")]
    {
        use crate::activation::{cast, cast_mut, SimdLevel};
        let level = crate::activation::simd_level();
        if level != SimdLevel::Portable {
            if let (Some(wf), Some(xf)) = (cast::<T, f32>(w.as_flattened()), cast::<T, f32>(x)) {
                let bf = b.and_then(|b| cast::<T, f32>(b));
                let yf = cast_mut::<T, f32>(y).expect("y has the element type of w");
                // SAFETY: the level says the CPU has these features; the slices hold
                // `OUT x IN`, `IN`, `OUT` and `OUT` values.
                unsafe {
                    if level == SimdLevel::Avx512 {
                        simd::matvec_f32_avx512(wf, IN, bf, xf, yf, add)
                    } else {
                        simd::matvec_f32_avx2(wf, IN, bf, xf, yf, add)
                    }
                }
                return;
            }
        }
    }
    matvec_generic(w, b, x, y, add)
}

#[cfg(target_arch = "x86_64")]
mod simd {
    use core::arch::x86_64::*;

    /// The 16 weights-times-x partial sums of row `o` (its tail masked) added into `acc`.
    #[target_feature(enable = "avx512f,avx2,fma")]
    #[inline]
    unsafe fn row_acc(wp: *const f32, xp: *const f32, full: usize, tail: __mmask16) -> __m512 {
        let (mut a0, mut a1) = (_mm512_setzero_ps(), _mm512_setzero_ps());
        let mut i = 0;
        while i + 32 <= full {
            a0 = _mm512_fmadd_ps(_mm512_loadu_ps(wp.add(i)), _mm512_loadu_ps(xp.add(i)), a0);
            a1 = _mm512_fmadd_ps(
                _mm512_loadu_ps(wp.add(i + 16)),
                _mm512_loadu_ps(xp.add(i + 16)),
                a1,
            );
            i += 32;
        }
        if i < full {
            a0 = _mm512_fmadd_ps(_mm512_loadu_ps(wp.add(i)), _mm512_loadu_ps(xp.add(i)), a0);
        }
        if tail != 0 {
            let wv = _mm512_maskz_loadu_ps(tail, wp.add(full));
            let xv = _mm512_maskz_loadu_ps(tail, xp.add(full));
            a1 = _mm512_fmadd_ps(wv, xv, a1);
        }
        _mm512_add_ps(a0, a1)
    }

    /// Lane `r` of the result is the sum of the 16 lanes of `v[r]`: a transpose-and-add tree
    /// (45 shuffles and adds for 16 rows instead of a full reduction per row).
    #[target_feature(enable = "avx512f,avx2,fma")]
    #[inline]
    unsafe fn reduce16(v: &[__m512; 16]) -> __m512 {
        // Pairs of rows: per 128-bit lane [a0+a2, b0+b2, a1+a3, b1+b3].
        let mut p = [_mm512_setzero_ps(); 8];
        for k in 0..8 {
            let (a, b) = (v[2 * k], v[2 * k + 1]);
            p[k] = _mm512_add_ps(_mm512_unpacklo_ps(a, b), _mm512_unpackhi_ps(a, b));
        }
        // Quads: per 128-bit lane one partial sum of each of four rows, in order.
        let mut q = [_mm512_setzero_ps(); 4];
        for k in 0..4 {
            let (a, b) = (_mm512_castps_pd(p[2 * k]), _mm512_castps_pd(p[2 * k + 1]));
            q[k] = _mm512_add_ps(
                _mm512_castpd_ps(_mm512_unpacklo_pd(a, b)),
                _mm512_castpd_ps(_mm512_unpackhi_pd(a, b)),
            );
        }
        // Across 128-bit lanes: [rows 0-3 | rows 0-3 | rows 4-7 | rows 4-7], twice.
        let mut r = [_mm512_setzero_ps(); 2];
        for k in 0..2 {
            let (a, b) = (q[2 * k], q[2 * k + 1]);
            r[k] = _mm512_add_ps(
                _mm512_shuffle_f32x4(a, b, 0b10_00_10_00),
                _mm512_shuffle_f32x4(a, b, 0b11_01_11_01),
            );
        }
        _mm512_add_ps(
            _mm512_shuffle_f32x4(r[0], r[1], 0b10_00_10_00),
            _mm512_shuffle_f32x4(r[0], r[1], 0b11_01_11_01),
        )
    }

    /// AVX-512: one FMA per 16 weights of a row (the tail masked); rows go 16 at a time
    /// through one transposed reduction, the remaining rows one reduction each.
    #[target_feature(enable = "avx512f,avx2,fma")]
    pub unsafe fn matvec_f32_avx512(
        w: &[f32],
        cols: usize,
        b: Option<&[f32]>,
        x: &[f32],
        y: &mut [f32],
        add: bool,
    ) {
        let (xp, full) = (x.as_ptr(), cols / 16 * 16);
        let tail: __mmask16 = ((1u32 << (cols - full)) - 1) as __mmask16;
        let rows = y.len();
        let groups = rows / 16;
        for g in 0..groups {
            let mut acc = [_mm512_setzero_ps(); 16];
            for (r, a) in acc.iter_mut().enumerate() {
                *a = row_acc(w.as_ptr().add((g * 16 + r) * cols), xp, full, tail);
            }
            let mut v = reduce16(&acc);
            if let Some(b) = b {
                v = _mm512_add_ps(v, _mm512_loadu_ps(b.as_ptr().add(g * 16)));
            }
            let yp = y.as_mut_ptr().add(g * 16);
            if add {
                v = _mm512_add_ps(v, _mm512_loadu_ps(yp));
            }
            _mm512_storeu_ps(yp, v);
        }
        for o in groups * 16..rows {
            let a = row_acc(w.as_ptr().add(o * cols), xp, full, tail);
            super::store(&mut y[o], _mm512_reduce_add_ps(a), b.map(|b| b[o]), add);
        }
    }

    /// AVX2: one FMA per 8 weights of a row, a scalar tail, one reduction per row.
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn matvec_f32_avx2(
        w: &[f32],
        cols: usize,
        b: Option<&[f32]>,
        x: &[f32],
        y: &mut [f32],
        add: bool,
    ) {
        let (xp, full) = (x.as_ptr(), cols / 8 * 8);
        for (o, out) in y.iter_mut().enumerate() {
            let wp = w.as_ptr().add(o * cols);
            let mut a = _mm256_setzero_ps();
            let mut i = 0;
            while i < full {
                a = _mm256_fmadd_ps(_mm256_loadu_ps(wp.add(i)), _mm256_loadu_ps(xp.add(i)), a);
                i += 8;
            }
            let h = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
            let h = _mm_add_ps(h, _mm_movehl_ps(h, h));
            let h = _mm_add_ss(h, _mm_shuffle_ps(h, h, 1));
            let mut v = _mm_cvtss_f32(h);
            for j in full..cols {
                v += *wp.add(j) * x[j];
            }
            super::store(out, v, b.map(|b| b[o]), add);
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
