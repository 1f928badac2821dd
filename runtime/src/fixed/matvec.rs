//! The product at the heart of every batch-1 kernel: `acc += W x` with `W` stored transposed
//! (`wt[i][o] = W[o][i]`), so each input adds `x[i]` times a contiguous row into all outputs:
//! the work vectorises along the outputs, which stay in registers, with no reductions.
//!
//! Speed: a narrow output (a few vectors or less) would make one long chain of dependent
//! multiply-adds, bound by their latency; the inputs are then dealt round-robin to several
//! independent partial sums ("chains"), added up at the end, so the adds overlap.

use crate::float::Float;

/// Bytes of accumulators a kernel may keep in registers: 8 vectors of `V` bytes (half the
/// register file on AVX-512, all of it with AVX2 or SSE2 once the broadcasts are counted).
const REGISTER_BUDGET: usize = 8;

/// Most partial sums: enough to hide the latency of a multiply-add on current cores (with
/// more, LLVM vectorises across the sums instead of along the outputs).
const MAX_CHAINS: usize = 8;

/// How many partial sums `accumulate` keeps for an `[IN][OUT]` product of `T` with vectors
/// of `V` bytes: as many as fit the register budget, a power of two, at most `IN`.
const fn chains<T, const IN: usize, const OUT: usize, const V: usize>() -> usize {
    let row = OUT * core::mem::size_of::<T>();
    let fit = match (REGISTER_BUDGET * V).checked_div(row) {
        Some(n) => n,
        None => 1,
    };
    let cap = min(min(fit, IN), MAX_CHAINS);
    if cap <= 1 {
        1
    } else {
        1 << (usize::BITS - 1 - cap.leading_zeros())
    }
}

const fn min(a: usize, b: usize) -> usize {
    if a < b {
        a
    } else {
        b
    }
}

/// `acc += W x` (weights transposed) for vectors of `V` bytes; with `FMA` (only in code
/// compiled for FMA) each step is one fused multiply-add.
#[inline(always)]
pub(crate) fn accumulate<
    T: Float,
    const IN: usize,
    const OUT: usize,
    const V: usize,
    const FMA: bool,
>(
    wt: &[[T; OUT]; IN],
    x: &[T; IN],
    acc: &mut [T; OUT],
) {
    match chains::<T, IN, OUT, V>() {
        1 => accumulate_in::<T, IN, OUT, 1, FMA>(wt, x, acc),
        2 => accumulate_in::<T, IN, OUT, 2, FMA>(wt, x, acc),
        4 => accumulate_in::<T, IN, OUT, 4, FMA>(wt, x, acc),
        _ => accumulate_in::<T, IN, OUT, MAX_CHAINS, FMA>(wt, x, acc),
    }
}

/// [`accumulate`] with `P` partial sums: input `i` goes to sum `i % P` (the last `IN % P`
/// inputs to the first), and the sums are added pairwise at the end.
#[inline(always)]
fn accumulate_in<T: Float, const IN: usize, const OUT: usize, const P: usize, const FMA: bool>(
    wt: &[[T; OUT]; IN],
    x: &[T; IN],
    acc: &mut [T; OUT],
) {
    #[inline(always)]
    fn madd<T: Float, const OUT: usize, const FMA: bool>(
        sum: &mut [T; OUT],
        row: &[T; OUT],
        xi: T,
    ) {
        for (s, &w) in sum.iter_mut().zip(row) {
            *s = if FMA {
                w.mul_add_hw(xi, *s)
            } else {
                *s + w * xi
            };
        }
    }

    let mut sums = [[T::ZERO; OUT]; P];
    sums[0] = *acc;
    let (rows, rows_tail) = wt.as_chunks::<P>();
    let (xs, xs_tail) = x.as_chunks::<P>();
    for (rows, xs) in rows.iter().zip(xs) {
        for ((sum, row), &xi) in sums.iter_mut().zip(rows).zip(xs) {
            madd::<T, OUT, FMA>(sum, row, xi);
        }
    }
    for (row, &xi) in rows_tail.iter().zip(xs_tail) {
        madd::<T, OUT, FMA>(&mut sums[0], row, xi);
    }
    let mut half = P / 2;
    while half > 0 {
        let (lo, hi) = sums.split_at_mut(half);
        for (a, b) in lo.iter_mut().zip(hi.iter()) {
            for (a, &b) in a.iter_mut().zip(b) {
                *a += b;
            }
        }
        half /= 2;
    }
    *acc = sums[0];
}

/// Defines `$name`, which runs the `#[inline(always)]` kernel `$kernel` compiled for the
/// best instruction set this CPU has (detected at run time with `std`, chosen at compile
/// time without): the kernel takes two last const parameters, the vector width in bytes and
/// whether fused multiply-add is available.
macro_rules! dispatch {
    ($(#[$attr:meta])* $vis:vis fn $name:ident = $kernel:ident
        <$($g:ident: $b:path),* ; $(const $c:ident),*>($($a:ident: $t:ty),* $(,)?)) => {
        $(#[$attr])*
        #[inline]
        $vis fn $name<$($g: $b,)* $(const $c: usize,)*>($($a: $t),*) {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f,avx2,fma")]
                unsafe fn avx512<$($g: $b,)* $(const $c: usize,)*>($($a: $t),*) {
                    $kernel::<$($g,)* $($c,)* 64, true>($($a),*)
                }
                #[target_feature(enable = "avx2,fma")]
                unsafe fn avx2<$($g: $b,)* $(const $c: usize,)*>($($a: $t),*) {
                    $kernel::<$($g,)* $($c,)* 32, true>($($a),*)
                }
                match $crate::activation::simd_level() {
                    // SAFETY: `simd_level` reports a level only if the CPU has its features.
                    $crate::activation::SimdLevel::Avx512 => return unsafe { avx512::<$($g,)* $($c,)*>($($a),*) },
                    // SAFETY: as above.
                    $crate::activation::SimdLevel::Avx2 => return unsafe { avx2::<$($g,)* $($c,)*>($($a),*) },
                    $crate::activation::SimdLevel::Portable => {}
                }
            }
            $kernel::<$($g,)* $($c,)* 16, false>($($a),*)
        }
    };
}
pub(crate) use dispatch;

/// `y = W x (+ b)`, or `y += ...` when `add`, for vectors of `V` bytes.
#[inline(always)]
fn matvec_t_kernel<T: Float, const IN: usize, const OUT: usize, const V: usize, const FMA: bool>(
    wt: &[[T; OUT]; IN],
    b: Option<&[T; OUT]>,
    x: &[T; IN],
    y: &mut [T; OUT],
    add: bool,
) {
    let mut acc = match (add, b) {
        (true, Some(b)) => core::array::from_fn(|o| y[o] + b[o]),
        (true, None) => *y,
        (false, Some(b)) => *b,
        (false, None) => [T::ZERO; OUT],
    };
    accumulate::<T, IN, OUT, V, FMA>(wt, x, &mut acc);
    *y = acc;
}

dispatch! {
    /// `y = W x (+ b)` (or `y += ...` when `add`) with `W` stored transposed.
    pub(crate) fn matvec_t = matvec_t_kernel<T: Float; const IN, const OUT>(
        wt: &[[T; OUT]; IN],
        b: Option<&[T; OUT]>,
        x: &[T; IN],
        y: &mut [T; OUT],
        add: bool,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plain sum in f64, input by input.
    fn reference<const IN: usize, const OUT: usize>(
        wt: &[[f64; OUT]; IN],
        x: &[f64; IN],
    ) -> [f64; OUT] {
        let mut y = [0.0; OUT];
        for (row, &xi) in wt.iter().zip(x) {
            for (y, &w) in y.iter_mut().zip(row) {
                *y += w * xi;
            }
        }
        y
    }

    fn check<const IN: usize, const OUT: usize>() {
        let v = super::super::testutil::values(IN * OUT + IN, IN + OUT);
        let wt: [[f64; OUT]; IN] =
            core::array::from_fn(|i| core::array::from_fn(|o| v[i * OUT + o]));
        let x: [f64; IN] = core::array::from_fn(|i| v[IN * OUT + i]);
        let want = reference(&wt, &x);
        let wt32 = wt.map(|r| r.map(|w| w as f32));
        let x32 = x.map(|w| w as f32);
        for level in crate::activation::available_levels() {
            let mut got = [0.0f64; OUT];
            crate::activation::with_level(level, || matvec_t(&wt, None, &x, &mut got, false));
            super::super::testutil::close(&got, &want, 1e-13);
            let mut got = [0.0f32; OUT];
            crate::activation::with_level(level, || matvec_t(&wt32, None, &x32, &mut got, false));
            for (g, w) in got.iter().zip(&want) {
                assert!(
                    (*g as f64 - w).abs() <= 1e-5 * (1.0 + w.abs()),
                    "{level:?} {IN}x{OUT}: {g} vs {w}"
                );
            }
        }
    }

    #[test]
    fn every_chain_count_and_tail_sums_right() {
        // Wide outputs (one chain), narrow ones (many), and inputs not a multiple of the
        // chain count.
        check::<0, 3>();
        check::<1, 1>();
        check::<3, 1>();
        check::<33, 1>();
        check::<17, 5>();
        check::<64, 8>();
        check::<37, 11>();
        check::<19, 64>();
        check::<5, 129>();
    }

    #[test]
    fn chain_counts() {
        assert_eq!(chains::<f32, 64, 64, 64>(), 2);
        assert_eq!(chains::<f32, 64, 8, 64>(), 8);
        assert_eq!(chains::<f32, 32, 128, 64>(), 1);
        assert_eq!(chains::<f32, 3, 1, 64>(), 2);
        assert_eq!(chains::<f64, 0, 4, 16>(), 1);
        assert_eq!(chains::<f64, 64, 0, 16>(), 1);
    }
}
