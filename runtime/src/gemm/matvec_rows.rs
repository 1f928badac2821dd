//! `y += W x` for one input vector with `W` in PyTorch's row layout (`[rows][IN]`): the
//! batch-1 product of the heap-backed layers (`forward_one`, streaming steps), where the
//! general GEMM's small path costs about twice the time.
//!
//! Each output is a dot product of a row with `x`: whole vectors of multiply-adds along the
//! row, then the lanes of four rows summed together. Written with x86 intrinsics (AVX-512
//! and AVX2 + FMA, picked at run time) for `f32`, because LLVM vectorises the portable loops
//! across rows (a gather per weight) instead of along them; other types and CPUs take the
//! GEMM's small path.

use super::{gemm_unchecked, Trans};
use crate::activation::{cast, cast_mut, simd_level, SimdLevel};
use crate::float::Float;

/// `y += W x` for `W` stored by rows (`[y.len()][IN]`, PyTorch's layout), one input vector.
///
/// # Panics
/// If `w` holds fewer than `y.len()` rows (a broken layer invariant).
pub fn matvec_rows<T: Float, const IN: usize>(w: &[[T; IN]], x: &[T; IN], y: &mut [T]) {
    assert!(w.len() >= y.len(), "matvec_rows: fewer rows than outputs");
    let (rows, w) = (y.len(), w[..y.len()].as_flattened());
    if IN == 0 {
        return;
    }
    if IN == 1 {
        // One column, contiguous: a scaled add (a dot product per row would be all overhead).
        for (o, &wv) in y.iter_mut().zip(w) {
            *o += wv * x[0];
        }
        return;
    }
    #[cfg(target_arch = "x86_64")]
    {
        let level = simd_level();
        if level != SimdLevel::Portable {
            if let (Some(w), Some(x), Some(y)) = (cast(w), cast(x), cast_mut(y)) {
                return x86::rows_f32(level, w, IN, x, y);
            }
        }
    }
    gemm_unchecked(
        Trans::No,
        Trans::Yes,
        1,
        rows,
        IN,
        T::ONE,
        x,
        IN,
        w,
        IN,
        T::ONE,
        y,
        rows,
    );
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use core::arch::x86_64::*;

    use crate::activation::SimdLevel;

    /// `f32` rows at `level` (not `Portable`).
    pub(super) fn rows_f32(level: SimdLevel, w: &[f32], k: usize, x: &[f32], y: &mut [f32]) {
        assert!(w.len() == k * y.len() && x.len() == k && k > 0);
        // SAFETY: `simd_level` reports a level only if the CPU has its features; every load
        // below stays inside `w` (`y.len()` rows of `k`) and `x` (`k`), as asserted.
        unsafe {
            match level {
                SimdLevel::Avx512 => f32_avx512(w, k, x, y),
                _ => f32_avx2(w, k, x, y),
            }
        }
    }

    /// 16 lanes; the last `k % 16` values through a masked load.
    #[target_feature(enable = "avx512f")]
    unsafe fn f32_avx512(w: &[f32], k: usize, x: &[f32], y: &mut [f32]) {
        let (full, xp) = (k / 16 * 16, x.as_ptr());
        let mask: __mmask16 = ((1u32 << (k - full)) - 1) as u16;
        add_row_sums(y, |r| {
            let wr = w.as_ptr().add(r * k);
            let mut a = _mm512_setzero_ps();
            let mut i = 0;
            while i < full {
                a = _mm512_fmadd_ps(_mm512_loadu_ps(wr.add(i)), _mm512_loadu_ps(xp.add(i)), a);
                i += 16;
            }
            if full < k {
                let wv = _mm512_maskz_loadu_ps(mask, wr.add(full));
                a = _mm512_fmadd_ps(wv, _mm512_maskz_loadu_ps(mask, xp.add(full)), a);
            }
            // Halve to 8 lanes.
            let hi = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(a), 1));
            _mm256_add_ps(_mm512_castps512_ps256(a), hi)
        });
    }

    /// 8 lanes; the last `k % 8` values one at a time, their sum added to lane 0.
    #[target_feature(enable = "avx2,fma")]
    unsafe fn f32_avx2(w: &[f32], k: usize, x: &[f32], y: &mut [f32]) {
        let (full, xp) = (k / 8 * 8, x.as_ptr());
        add_row_sums(y, |r| {
            let wr = w.as_ptr().add(r * k);
            let mut a = _mm256_setzero_ps();
            let mut i = 0;
            while i < full {
                a = _mm256_fmadd_ps(_mm256_loadu_ps(wr.add(i)), _mm256_loadu_ps(xp.add(i)), a);
                i += 8;
            }
            let mut t = 0.0f32;
            for i in full..k {
                t = (*wr.add(i)).mul_add(*xp.add(i), t);
            }
            _mm256_add_ps(a, _mm256_setr_ps(t, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0))
        });
    }

    /// `y[r] +=` the sum of the lanes of `row(r)`: four rows at a time, their sums reduced
    /// together; the last `rows % 4` one by one.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn add_row_sums(y: &mut [f32], row: impl Fn(usize) -> __m256) {
        let (blocks, tail) = y.as_chunks_mut::<4>();
        for (b, out) in blocks.iter_mut().enumerate() {
            let r = 4 * b;
            let sums = sum4(row(r), row(r + 1), row(r + 2), row(r + 3));
            let mut new = [0.0f32; 4];
            // SAFETY: `out` and `new` hold four values each.
            unsafe {
                _mm_storeu_ps(
                    new.as_mut_ptr(),
                    _mm_add_ps(_mm_loadu_ps(out.as_ptr()), sums),
                );
            }
            *out = new;
        }
        let done = 4 * blocks.len();
        for (i, o) in tail.iter_mut().enumerate() {
            let v = row(done + i);
            *o += _mm_cvtss_f32(sum4(v, v, v, v));
        }
    }

    /// The four sums of the 8 lanes of `a`, `b`, `c`, `d`, in that order.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn sum4(a: __m256, b: __m256, c: __m256, d: __m256) -> __m128 {
        // Per 128-bit half: [a, b, c, d] partial sums, then the halves added.
        let abcd = _mm256_hadd_ps(_mm256_hadd_ps(a, b), _mm256_hadd_ps(c, d));
        _mm_add_ps(_mm256_castps256_ps128(abcd), _mm256_extractf128_ps(abcd, 1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activation::{available_levels, with_level};

    /// Small integers: every order of summation is exact, so results must be equal.
    fn check<T: Float, const IN: usize>(rows: usize) {
        let w: Vec<[T; IN]> = (0..rows)
            .map(|r| core::array::from_fn(|i| T::from_f64(((r * 31 + i * 7) % 13) as f64 - 6.0)))
            .collect();
        let x: [T; IN] = core::array::from_fn(|i| T::from_f64((i % 5) as f64 * 0.5 - 1.0));
        let mut y: Vec<T> = (0..rows).map(|r| T::from_f64(r as f64)).collect();
        matvec_rows(&w, &x, &mut y);
        for (r, (row, &got)) in w.iter().zip(&y).enumerate() {
            let dot: f64 = row
                .iter()
                .zip(&x)
                .map(|(a, b)| a.to_f64() * b.to_f64())
                .sum();
            assert_eq!(got.to_f64(), r as f64 + dot, "IN {IN}, row {r} of {rows}");
        }
    }

    fn every_shape<T: Float>() {
        for rows in [0, 1, 3, 4, 5, 9, 64] {
            check::<T, 0>(rows);
            check::<T, 1>(rows);
            check::<T, 3>(rows);
            check::<T, 8>(rows);
            check::<T, 16>(rows);
            check::<T, 17>(rows);
            check::<T, 37>(rows);
            check::<T, 64>(rows);
        }
    }

    #[test]
    fn every_width_row_count_and_instruction_set_matches_the_plain_sum() {
        for level in available_levels() {
            with_level(level, || {
                every_shape::<f32>();
                every_shape::<f64>();
            });
        }
    }
}
