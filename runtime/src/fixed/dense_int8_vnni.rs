//! The int8 dense layer's products with AVX-512 VNNI (`vpdpwssd`: 32 products of 16-bit
//! pairs added into 16 int32 sums in one instruction), on x86-64 CPUs that have it, picked at
//! run time where std is on. The same integers as the portable kernel, so the outputs agree
//! bit for bit.

#[cfg(all(feature = "std", target_arch = "x86_64"))]
mod x86 {
    use core::arch::x86_64::*;

    use super::super::Requant;

    /// 16-bit lanes per 512-bit vector.
    const LANES: usize = 32;

    /// Rows whose sums one transposing reduction finishes at once (int32 lanes per vector).
    const ROWS: usize = 16;

    /// Whether this CPU runs [`dense`].
    pub fn available() -> bool {
        std::is_x86_feature_detected!("avx512f")
            && std::is_x86_feature_detected!("avx512bw")
            && std::is_x86_feature_detected!("avx512vl")
            && std::is_x86_feature_detected!("avx512vnni")
    }

    /// `y = requant(W (x - input_zero) + b)`; call only where [`available`].
    ///
    /// # Safety
    /// The CPU must have AVX-512F, AVX-512BW, AVX-512VL and AVX-512 VNNI.
    #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vnni,avx2,fma")]
    pub unsafe fn dense<const I: usize, const O: usize>(
        w: &[[i8; I]; O],
        out: &Requant<O>,
        x: &[i8; I],
        y: &mut [i8; O],
    ) {
        let xz = super::super::dense_int8::centred(x, out.input_zero);
        let mut acc = [0i32; O];
        let blocks = O / ROWS * ROWS;
        for o in (0..blocks).step_by(ROWS) {
            let sums = block_sums(&w[o..o + ROWS], &xz);
            // SAFETY: `o + ROWS <= O`: the store stays inside `acc`.
            unsafe { _mm512_storeu_si512(acc.as_mut_ptr().add(o).cast(), sums) };
        }
        for o in blocks..O {
            let mut sum = _mm512_setzero_si512();
            for_chunks::<I>(|k, m| sum = madd(sum, &w[o], &xz, k, m));
            acc[o] = _mm512_reduce_add_epi32(sum);
        }
        out.outputs(&acc, y);
    }

    /// Calls `f(k, mask)` for every chunk of `LANES` values from `k` (the last under a mask).
    #[inline(always)]
    fn for_chunks<const I: usize>(mut f: impl FnMut(usize, __mmask32)) {
        let mut k = 0;
        while k + LANES <= I {
            f(k, u32::MAX);
            k += LANES;
        }
        if k < I {
            f(k, (1u32 << (I - k)) - 1);
        }
    }

    /// `sum + w[k..] xz[k..]` (pairs of products in each int32 lane) for the chunk at `k`.
    #[inline(always)]
    fn madd<const I: usize>(
        sum: __m512i,
        w: &[i8; I],
        xz: &[i16; I],
        k: usize,
        m: __mmask32,
    ) -> __m512i {
        // SAFETY: the mask leaves only values inside the arrays (`k < I`; all 32 lanes only
        // when `k + 32 <= I`); the instructions are enabled in every caller.
        unsafe {
            let wv = _mm256_maskz_loadu_epi8(m, w.as_ptr().add(k));
            let xv = _mm512_maskz_loadu_epi16(m, xz.as_ptr().add(k));
            _mm512_dpwssd_epi32(sum, _mm512_cvtepi8_epi16(wv), xv)
        }
    }

    /// The 16 rows' sums `w[r] xz`, in order, in one vector.
    #[inline(always)]
    fn block_sums<const I: usize>(w: &[[i8; I]], xz: &[i16; I]) -> __m512i {
        // SAFETY: the instructions are enabled in every caller.
        let mut s = unsafe { [_mm512_setzero_si512(); ROWS] };
        for_chunks::<I>(|k, m| {
            for (s, row) in s.iter_mut().zip(w) {
                *s = madd(*s, row, xz, k, m);
            }
        });
        reduce_rows(&s)
    }

    /// `[sum of s[0]'s lanes, .., sum of s[15]'s]`: pairs of rows interleaved and added
    /// within 128-bit lanes (32-bit, then 64-bit), then the four 128-bit lanes folded.
    #[inline(always)]
    fn reduce_rows(s: &[__m512i; ROWS]) -> __m512i {
        // SAFETY: the instructions are enabled in every caller.
        unsafe {
            let pair =
                |a, b| _mm512_add_epi32(_mm512_unpacklo_epi32(a, b), _mm512_unpackhi_epi32(a, b));
            let t: [__m512i; 8] = core::array::from_fn(|j| pair(s[2 * j], s[2 * j + 1]));
            let quad =
                |a, b| _mm512_add_epi32(_mm512_unpacklo_epi64(a, b), _mm512_unpackhi_epi64(a, b));
            // u[j]: in each 128-bit lane, that lane's partial sums of rows 4j..4j+4.
            let u: [__m512i; 4] = core::array::from_fn(|j| quad(t[2 * j], t[2 * j + 1]));
            let fold = |a, b| {
                _mm512_add_epi32(
                    _mm512_shuffle_i32x4::<0b10_00_10_00>(a, b),
                    _mm512_shuffle_i32x4::<0b11_01_11_01>(a, b),
                )
            };
            fold(fold(u[0], u[1]), fold(u[2], u[3]))
        }
    }
}

#[cfg(all(feature = "std", target_arch = "x86_64"))]
pub(crate) use x86::{available, dense};

#[cfg(all(test, feature = "std", target_arch = "x86_64"))]
mod tests {
    use super::super::{DenseInt8, Requant};
    use crate::quant::QuantizedMultiplier;

    fn check<const I: usize, const O: usize>(seed: usize) {
        let v = |k: usize| (((k * 7919 + seed * 104_729) % 255) as i32 - 127) as i8;
        let mut layer = DenseInt8::<I, O>::ZERO;
        for (o, row) in layer.weight.iter_mut().enumerate() {
            for (i, w) in row.iter_mut().enumerate() {
                *w = v(o * I + i).max(-127);
            }
        }
        layer.out = Requant {
            bias: core::array::from_fn(|o| 40 * o as i32 - 300),
            multiplier: [QuantizedMultiplier::from_real(0.0021); O],
            input_zero: -7,
            output_zero: 3,
            min: -128,
            max: 127,
        };
        let x: [i8; I] = core::array::from_fn(|i| v(i + 5000));
        let (mut a, mut b) = ([0i8; O], [0i8; O]);
        // SAFETY: only where the CPU has the features.
        unsafe { super::dense(&layer.weight, &layer.out, &x, &mut a) };
        let mut acc = [0i32; O];
        for (acc, row) in acc.iter_mut().zip(&layer.weight) {
            *acc = row
                .iter()
                .zip(&x)
                .map(|(&w, &x)| i32::from(w) * (i32::from(x) + 7))
                .sum();
        }
        layer.out.outputs(&acc, &mut b);
        assert_eq!(a, b, "I = {I}, O = {O}");
    }

    #[test]
    fn vnni_products_equal_the_plain_sums() {
        if !super::available() {
            return;
        }
        check::<1, 3>(1);
        check::<16, 64>(2);
        check::<31, 5>(3);
        check::<32, 7>(4);
        check::<33, 9>(5);
        check::<64, 8>(6);
        check::<100, 11>(7);
    }
}
