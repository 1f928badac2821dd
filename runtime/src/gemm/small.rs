//! The small-product path: direct loops with register accumulators, no packing and no
//! threads. For products like a batch-1 MLP layer (`m = 1`) packing would cost more than the
//! arithmetic. The loops are written so the compiler vectorises them; they are compiled once
//! per instruction set (see the wrappers at the end).

use super::Strided;
use crate::float::Float;

/// `a * b + c`, fused when the caller is compiled with FMA (else a separate multiply and add,
/// since a software fused multiply-add would be far slower).
#[inline(always)]
fn madd<T: Float, const FMA: bool>(a: T, b: T, c: T) -> T {
    if FMA {
        a.mul_add_hw(b, c)
    } else {
        a * b + c
    }
}

/// `c = alpha * acc + beta * c`, never reading `c` when `beta == 0`.
///
/// # Safety
/// `c` must be valid for reads and writes.
#[inline(always)]
unsafe fn update<T: Float>(c: *mut T, acc: T, alpha: T, beta: T) {
    // SAFETY: caller contract.
    unsafe {
        *c = if beta == T::ZERO {
            alpha * acc
        } else {
            beta * *c + alpha * acc
        };
    }
}

/// Row `i` of `C`, columns `j..j + W`, when `B`'s rows are contiguous (`csb == 1`): `W`
/// accumulators kept in registers while `k` rows of `B` stream past.
///
/// # Safety
/// As [`small`], with `j + W <= n` and `csb == 1`.
#[inline(always)]
unsafe fn row_chunk<T: Float, const FMA: bool, const W: usize>(p: &Strided<T>, i: usize, j: usize) {
    let mut acc = [T::ZERO; W];
    // SAFETY: row i, columns j..j + W, depth 0..k are inside the operands (caller contract).
    unsafe {
        let arow = p.a.offset(i as isize * p.rsa);
        let mut brow = p.b.add(j);
        for q in 0..p.k {
            let s = *arow.offset(q as isize * p.csa);
            for (l, x) in acc.iter_mut().enumerate() {
                *x = madd::<T, FMA>(s, *brow.add(l), *x);
            }
            brow = brow.offset(p.rsb);
        }
        let crow = p.c.offset(i as isize * p.rsc + j as isize * p.csc);
        for (l, &x) in acc.iter().enumerate() {
            update(crow.offset(l as isize * p.csc), x, p.alpha, p.beta);
        }
    }
}

/// `J` dot products of row `i` of `A` (contiguous, `csa == 1`) with columns `j..j + J` of `B`
/// (each contiguous, `rsb == 1`), in `L` lanes each so the compiler can vectorise.
///
/// # Safety
/// As [`small`], with `j + J <= n`, `csa == 1` and `rsb == 1`.
#[inline(always)]
unsafe fn dot_chunk<T: Float, const FMA: bool, const L: usize, const J: usize>(
    p: &Strided<T>,
    i: usize,
    j: usize,
) {
    let k = p.k;
    let mut acc = [[T::ZERO; L]; J];
    let mut out = [T::ZERO; J];
    // SAFETY: row i of A, columns j..j + J of B, depth 0..k are inside the operands.
    unsafe {
        let arow = p.a.offset(i as isize * p.rsa);
        let bcol = |jj: usize| p.b.offset((j + jj) as isize * p.csb);
        let mut q = 0;
        while q + L <= k {
            for (jj, lanes) in acc.iter_mut().enumerate() {
                let b = bcol(jj).add(q);
                for (l, x) in lanes.iter_mut().enumerate() {
                    *x = madd::<T, FMA>(*arow.add(q + l), *b.add(l), *x);
                }
            }
            q += L;
        }
        for (o, lanes) in out.iter_mut().zip(&acc) {
            // Pairwise sum of the lanes.
            let mut w = *lanes;
            let mut half = L / 2;
            while half > 0 {
                for l in 0..half {
                    w[l] += w[l + half];
                }
                half /= 2;
            }
            *o = w[0];
        }
        while q < k {
            let a = *arow.add(q);
            for (jj, o) in out.iter_mut().enumerate() {
                *o = madd::<T, FMA>(a, *bcol(jj).add(q), *o);
            }
            q += 1;
        }
        let crow = p.c.offset(i as isize * p.rsc);
        for (jj, &o) in out.iter().enumerate() {
            update(crow.offset((j + jj) as isize * p.csc), o, p.alpha, p.beta);
        }
    }
}

/// Any strides: one scalar dot product per element of `C`.
///
/// # Safety
/// As [`small`].
#[inline(always)]
unsafe fn strided_element<T: Float, const FMA: bool>(p: &Strided<T>, i: usize, j: usize) {
    let mut s = T::ZERO;
    // SAFETY: (i, j) is inside C and depth 0..k inside A and B (caller contract).
    unsafe {
        let a = p.a.offset(i as isize * p.rsa);
        let b = p.b.offset(j as isize * p.csb);
        for q in 0..p.k as isize {
            s = madd::<T, FMA>(*a.offset(q * p.csa), *b.offset(q * p.rsb), s);
        }
        update(
            p.c.offset(i as isize * p.rsc + j as isize * p.csc),
            s,
            p.alpha,
            p.beta,
        );
    }
}

/// The whole small product. `W` is the width (elements) of a row chunk, `D` the lanes per dot
/// product.
///
/// # Safety
/// The contract of [`super::gemm_strided`], with `m, n, k > 0`.
#[inline(always)]
unsafe fn small<T: Float, const FMA: bool, const W: usize, const D: usize>(p: &Strided<T>) {
    // SAFETY (all blocks below): every chunk stays inside 0..m x 0..n (caller contract).
    if p.csb == 1 {
        for i in 0..p.m {
            let mut j = 0;
            while j + W <= p.n {
                unsafe { row_chunk::<T, FMA, W>(p, i, j) };
                j += W;
            }
            while j + 8 <= p.n {
                unsafe { row_chunk::<T, FMA, 8>(p, i, j) };
                j += 8;
            }
            while j < p.n {
                unsafe { row_chunk::<T, FMA, 1>(p, i, j) };
                j += 1;
            }
        }
    } else if p.rsb == 1 && p.csa == 1 {
        for i in 0..p.m {
            let mut j = 0;
            while j + 4 <= p.n {
                unsafe { dot_chunk::<T, FMA, D, 4>(p, i, j) };
                j += 4;
            }
            while j < p.n {
                unsafe { dot_chunk::<T, FMA, D, 1>(p, i, j) };
                j += 1;
            }
        }
    } else {
        for i in 0..p.m {
            for j in 0..p.n {
                unsafe { strided_element::<T, FMA>(p, i, j) };
            }
        }
    }
}

/// Chunk widths for the element size: a row chunk fills four 256-bit registers, a block of
/// four dot products eight.
macro_rules! by_width {
    ($t:ty, $fma:expr, $p:expr) => {
        if core::mem::size_of::<$t>() == 4 {
            small::<$t, $fma, 32, 16>($p)
        } else {
            small::<$t, $fma, 16, 8>($p)
        }
    };
}

/// The small path for any CPU.
///
/// # Safety
/// The contract of [`super::gemm_strided`], with `m, n, k > 0`.
pub(crate) unsafe fn small_generic<T: Float>(p: &Strided<T>) {
    // SAFETY: caller contract.
    unsafe { by_width!(T, false, p) }
}

/// The small path vectorised for AVX2 + FMA.
///
/// # Safety
/// The contract of [`super::gemm_strided`], with `m, n, k > 0`, on a CPU with AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
pub(crate) unsafe fn small_avx2<T: Float>(p: &Strided<T>) {
    // SAFETY: caller contract.
    unsafe { by_width!(T, true, p) }
}
