//! A right-hand operand packed once and multiplied many times: the recurrent weights of an
//! RNN are used by every time step's product, so packing them per step (the blocked driver's
//! default) would repack the same matrix `steps` times.

use super::blocked::{self, balanced_block};
use super::dispatch::{self, Isa};
use super::pack::pack_b;
use super::{span, Strided, Trans};
use crate::float::Float;

/// `op(B)` (`k x n`) in the micro-kernel's panel layout, for [`gemm_packed_b`]. The buffer
/// only grows, so repacking a matrix of the same shape allocates nothing.
#[derive(Debug, Clone, Default)]
pub struct PackedB<T> {
    data: Vec<T>,
    k: usize,
    n: usize,
    /// Depth of one packed slice (the blocked driver's `kc` for this `k`).
    kc_blk: usize,
    /// Elements of one depth slice: every `nr`-column panel of `op(B)`, `kc_blk` deep.
    slice: usize,
    isa: Option<Isa>,
}

/// Where a part of a product finds its packed `B` (see [`blocked`]).
#[derive(Clone, Copy)]
pub(crate) struct PackedRef<T> {
    pub(crate) data: *const T,
    pub(crate) kc_blk: usize,
    pub(crate) slice: usize,
    /// Column of the full `op(B)` this part's column 0 is.
    pub(crate) col0: usize,
}

impl<T: Float> PackedB<T> {
    /// An empty operand; [`PackedB::pack`] fills it.
    pub fn new() -> Self {
        PackedB {
            data: Vec::new(),
            k: 0,
            n: 0,
            kc_blk: 0,
            slice: 0,
            isa: None,
        }
    }

    /// Packs `op(B)` (`k x n`; `B` stored `k x n`, or `n x k` when transposed, leading
    /// dimension `ldb`) for the instruction set GEMM calls on this thread use.
    ///
    /// # Panics
    /// If `b` is shorter than its shape: a broken internal invariant (as [`super::gemm_unchecked`]).
    pub fn pack(&mut self, tb: Trans, k: usize, n: usize, b: &[T], ldb: usize) {
        let (br, bc, rsb, csb) = match tb {
            Trans::No => (k, n, ldb as isize, 1),
            Trans::Yes => (n, k, 1, ldb as isize),
        };
        assert!(
            b.len() >= span(br, bc, ldb),
            "gemm: packed operand shorter than its shape"
        );
        let isa = dispatch::current();
        let kernel = T::gemm_kernel(isa);
        let nr = kernel.nr;
        let kc_blk = balanced_block(k.max(1), kernel.kc, 1);
        let slice = n.div_ceil(nr) * nr * kc_blk;
        let slices = k.div_ceil(kc_blk);
        if self.data.len() < slices * slice {
            self.data.resize(slices * slice, T::ZERO);
        }
        for s in 0..slices {
            let pc = s * kc_blk;
            let kc = kc_blk.min(k - pc);
            if n == 0 {
                break;
            }
            // SAFETY: the (pc.., 0..n) block of op(B) is inside `b` (asserted above); the
            // slice's destination holds ceil(n / nr) * nr * kc <= `slice` elements.
            unsafe {
                pack_b(
                    nr,
                    kc,
                    n,
                    b.as_ptr().offset(pc as isize * rsb),
                    rsb,
                    csb,
                    self.data.as_mut_ptr().add(s * slice),
                );
            }
        }
        *self = PackedB {
            data: core::mem::take(&mut self.data),
            k,
            n,
            kc_blk,
            slice,
            isa: Some(isa),
        };
    }

    /// Rows of `op(B)` packed.
    pub fn k(&self) -> usize {
        self.k
    }

    /// Columns of `op(B)` packed.
    pub fn n(&self) -> usize {
        self.n
    }
}

/// `C = alpha * op(A) B + beta * C` with `B` packed by [`PackedB::pack`]: `op(A)` is `m x k`,
/// `C` is `m x n` with leading dimension `ldc`. Threads and blocking as [`super::gemm`].
///
/// # Panics
/// If an operand is shorter than its shape, or `b` was never packed: broken internal
/// invariants of the caller.
#[allow(clippy::too_many_arguments)]
pub fn gemm_packed_b<T: Float>(
    ta: Trans,
    m: usize,
    alpha: T,
    a: &[T],
    lda: usize,
    b: &PackedB<T>,
    beta: T,
    c: &mut [T],
    ldc: usize,
) {
    let (k, n) = (b.k, b.n);
    let (ar, ac, rsa, csa) = match ta {
        Trans::No => (m, k, lda as isize, 1),
        Trans::Yes => (k, m, 1, lda as isize),
    };
    let isa = b.isa.expect("gemm: PackedB used before pack");
    assert!(
        a.len() >= span(ar, ac, lda) && c.len() >= span(m, n, ldc),
        "gemm: operand shorter than its shape"
    );
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        c.chunks_mut(ldc.max(1)).take(m).for_each(|row| {
            row[..n]
                .iter_mut()
                .for_each(|x| *x = if beta == T::ZERO { T::ZERO } else { *x * beta })
        });
        return;
    }
    let p = Strided {
        m,
        n,
        k,
        alpha,
        a: a.as_ptr(),
        rsa,
        csa,
        b: core::ptr::null(),
        rsb: 0,
        csb: 0,
        beta,
        c: c.as_mut_ptr(),
        rsc: ldc as isize,
        csc: 1,
    };
    let packed = PackedRef {
        data: b.data.as_ptr(),
        kc_blk: b.kc_blk,
        slice: b.slice,
        col0: 0,
    };
    let kernel = T::gemm_kernel(isa);
    let threads = blocked::threads_for(m.saturating_mul(n).saturating_mul(k));
    // SAFETY: the assert proves A and C cover their shapes, `c` is a unique borrow, the
    // packed panels cover k x n for this kernel (same isa as when packed, which was at most
    // the CPU's).
    unsafe { blocked::run_packed_b(kernel, &p, packed, threads) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gemm::gemm_unchecked;

    fn values(n: usize, seed: u64) -> Vec<f64> {
        (0..n)
            .map(|i| (((i as u64 + seed) * 2_654_435_761) % 1000) as f64 / 500.0 - 1.0)
            .collect()
    }

    /// Same result as the unpacked product, for shapes with several depth slices, ragged
    /// panels, both threading splits and both storages of B, on every instruction set.
    #[test]
    fn matches_unpacked_product() {
        let shapes = [
            (1, 1, 1),
            (3, 5, 7),
            (32, 1024, 256),
            (32, 256, 1024),
            (200, 40, 600),
            (9, 33, 513),
        ];
        for isa in [Isa::Generic, Isa::Avx2, Isa::Avx512] {
            crate::gemm::force_isa(Some(isa));
            for &(m, n, k) in &shapes {
                for (ta, tb) in [(Trans::No, Trans::No), (Trans::Yes, Trans::Yes)] {
                    let a = values(m * k, 1);
                    let b = values(k * n, 2);
                    let (lda, ldb) = (
                        if ta == Trans::No { k } else { m },
                        if tb == Trans::No { n } else { k },
                    );
                    let mut want = values(m * n, 3);
                    let mut got = want.clone();
                    gemm_unchecked(ta, tb, m, n, k, 0.5, &a, lda, &b, ldb, 2.0, &mut want, n);
                    let mut pb = PackedB::new();
                    pb.pack(tb, k, n, &b, ldb);
                    // Packed twice: the second pack reuses the buffer.
                    pb.pack(tb, k, n, &b, ldb);
                    gemm_packed_b(ta, m, 0.5, &a, lda, &pb, 2.0, &mut got, n);
                    for (g, w) in got.iter().zip(&want) {
                        assert!(
                            (g - w).abs() <= 1e-9 * (1.0 + w.abs()),
                            "{m}x{n}x{k}: {g} vs {w}"
                        );
                    }
                }
            }
        }
        crate::gemm::force_isa(None);
    }
}
