//! kiln's own matrix product: BLIS-style packing into thread-local buffers that only grow,
//! register-blocked AVX-512 / AVX2+FMA / portable micro-kernels picked at run time, a direct
//! path for small products and a persistent worker pool for large ones. Transposed operands
//! are read through strides, never copied whole. After warm-up no call allocates.

#[cfg(target_arch = "x86_64")]
#[macro_use]
mod simd_kernel;

mod blocked;
mod buffers;
mod dispatch;
mod halves;
#[cfg(target_arch = "x86_64")]
mod kernel_avx2;
#[cfg(target_arch = "x86_64")]
mod kernel_avx512;
mod kernel_generic;
mod matvec_rows;
mod pack;
mod packed;
mod pool;
mod small;

use core::cell::Cell;

pub(crate) use halves::for_halves;
pub use matvec_rows::matvec_rows;
pub use packed::{gemm_packed_b, PackedB};
pub use pool::{limit_threads, serial};

use crate::error::{KilnError, Result};
use crate::float::Float;

/// Whether an operand is used as stored or transposed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trans {
    /// Use the stored row-major matrix as is.
    No,
    /// Use its transpose (read by strides; nothing is copied).
    Yes,
}

/// Elements a row-major `rows x cols` matrix with leading dimension `ld` spans.
#[inline]
fn span(rows: usize, cols: usize, ld: usize) -> usize {
    if rows == 0 || cols == 0 {
        0
    } else {
        (rows - 1) * ld + cols
    }
}

fn check_operand(
    what: &'static str,
    rows: usize,
    cols: usize,
    ld: usize,
    len: usize,
) -> Result<()> {
    if ld < cols && rows > 1 {
        return Err(KilnError::InvalidHyperParameter {
            what,
            value: ld as f64,
            why: "leading dimension must be at least the number of stored columns",
        });
    }
    let need = span(rows, cols, ld);
    if len < need {
        return Err(KilnError::LengthMismatch {
            what,
            expected: need,
            actual: len,
        });
    }
    Ok(())
}

/// `C = alpha * op(A) op(B) + beta * C`, all row-major.
///
/// `op(A)` is `m x k` (so `A` is stored `m x k`, or `k x m` when transposed) with leading
/// dimension `lda`; likewise `op(B)` is `k x n` and `C` is `m x n` with leading dimension `ldc`.
/// With `beta == 0` the old contents of `C` are ignored (NaNs in it do not propagate).
#[allow(clippy::too_many_arguments)]
pub fn gemm<T: Float>(
    ta: Trans,
    tb: Trans,
    m: usize,
    n: usize,
    k: usize,
    alpha: T,
    a: &[T],
    lda: usize,
    b: &[T],
    ldb: usize,
    beta: T,
    c: &mut [T],
    ldc: usize,
) -> Result<()> {
    let (ar, ac) = if ta == Trans::No { (m, k) } else { (k, m) };
    let (br, bc) = if tb == Trans::No { (k, n) } else { (n, k) };
    check_operand("gemm operand A", ar, ac, lda, a.len())?;
    check_operand("gemm operand B", br, bc, ldb, b.len())?;
    check_operand("gemm output C", m, n, ldc, c.len())?;
    gemm_unchecked(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    Ok(())
}

/// [`gemm`] for callers whose shapes are fixed by construction (generated networks).
///
/// # Panics
/// If a slice is too short for its shape: that is a broken internal invariant.
#[allow(clippy::too_many_arguments)]
#[inline]
pub fn gemm_unchecked<T: Float>(
    ta: Trans,
    tb: Trans,
    m: usize,
    n: usize,
    k: usize,
    alpha: T,
    a: &[T],
    lda: usize,
    b: &[T],
    ldb: usize,
    beta: T,
    c: &mut [T],
    ldc: usize,
) {
    let (ar, ac, rsa, csa) = match ta {
        Trans::No => (m, k, lda as isize, 1),
        Trans::Yes => (k, m, 1, lda as isize),
    };
    let (br, bc, rsb, csb) = match tb {
        Trans::No => (k, n, ldb as isize, 1),
        Trans::Yes => (n, k, 1, ldb as isize),
    };
    assert!(
        a.len() >= span(ar, ac, lda) && b.len() >= span(br, bc, ldb) && c.len() >= span(m, n, ldc),
        "gemm: operand shorter than its shape"
    );
    let p = Strided {
        m,
        n,
        k,
        alpha,
        a: a.as_ptr(),
        rsa,
        csa,
        b: b.as_ptr(),
        rsb,
        csb,
        beta,
        c: c.as_mut_ptr(),
        rsc: ldc as isize,
        csc: 1,
    };
    // SAFETY: the assert above proves every strided access lies inside the slices (an empty
    // operand is only read when its dimensions are non-zero, which the span rules out), and
    // `c` is a unique borrow so it cannot overlap `a` or `b`.
    unsafe { gemm_strided(&p) }
}

/// One product `C = alpha * A B + beta * C` described by raw pointers and element strides
/// (`A[i][p] = a[i * rsa + p * csa]`, likewise `B` (`k x n`) and `C` (`m x n`)).
#[derive(Clone, Copy)]
pub(crate) struct Strided<T> {
    pub(crate) m: usize,
    pub(crate) n: usize,
    pub(crate) k: usize,
    pub(crate) alpha: T,
    pub(crate) a: *const T,
    pub(crate) rsa: isize,
    pub(crate) csa: isize,
    pub(crate) b: *const T,
    pub(crate) rsb: isize,
    pub(crate) csb: isize,
    pub(crate) beta: T,
    pub(crate) c: *mut T,
    pub(crate) rsc: isize,
    pub(crate) csc: isize,
}

/// How a product is computed; forced only by tests and benchmarks.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Path {
    /// Direct loops, no packing (small products).
    Small,
    /// Packed and blocked on the calling thread only.
    Packed,
    /// Packed and blocked, split over the worker pool when the product is large enough.
    Threaded,
}

std::thread_local! {
    static FORCED_PATH: Cell<Option<Path>> = const { Cell::new(None) };
}

/// Make GEMM calls from this thread take `path` (`None` restores the automatic choice).
#[doc(hidden)]
pub fn force_path(path: Option<Path>) {
    FORCED_PATH.with(|f| f.set(path));
}

#[doc(hidden)]
pub use dispatch::{force_isa, Isa, Kernel};
pub(crate) use pool::{max_threads, try_parallel_fn};

/// The f32 kernel for `isa` (the portable one where the target lacks it).
pub(crate) fn kernel_f32(isa: Isa) -> &'static Kernel<f32> {
    match isa {
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 => &kernel_avx512::F32,
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 => &kernel_avx2::F32,
        _ => &kernel_generic::F32,
    }
}

/// The f64 kernel for `isa` (the portable one where the target lacks it).
pub(crate) fn kernel_f64(isa: Isa) -> &'static Kernel<f64> {
    match isa {
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 => &kernel_avx512::F64,
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 => &kernel_avx2::F64,
        _ => &kernel_generic::F64,
    }
}

/// When `B`'s rows are contiguous (the `x W` and `dz W` forms) the direct path streams them
/// through register accumulators: faster than packing up to about this many rows of `C`...
const SMALL_AXPY_MAX_ROWS: usize = 4;
/// ... or this many multiply-adds (measured on Zen 4: 16 x 16 x 16 is 1.6x faster unpacked).
const SMALL_AXPY_MAX_MACS: usize = 24 * 24 * 24;
/// Otherwise (dot products along `k`, as in `x W^T`) only single rows pay off.
const SMALL_DOT_MAX_ROWS: usize = 2;

/// The automatic choice of [`Path`] for `p`, and the threads it uses.
fn choose_path<T>(p: &Strided<T>) -> (Path, usize) {
    let macs = p.m.saturating_mul(p.n).saturating_mul(p.k);
    let small = if p.csb == 1 && p.csc == 1 {
        p.m <= SMALL_AXPY_MAX_ROWS || macs <= SMALL_AXPY_MAX_MACS
    } else {
        p.m <= SMALL_DOT_MAX_ROWS
    };
    if small {
        (Path::Small, 1)
    } else {
        (Path::Threaded, blocked::threads_for(macs))
    }
}

/// `C = alpha * A B + beta * C` for arbitrary element strides; the engine behind [`gemm`] and
/// [`Float::gemm_raw`].
///
/// # Safety
/// Every element the strides address for the given shape must lie inside a live allocation,
/// `C`'s elements must be distinct (no zero or overlapping strides) and must not overlap `A`
/// or `B`, and nothing else may access `C` during the call.
pub(crate) unsafe fn gemm_strided<T: Float>(p: &Strided<T>) {
    if p.m == 0 || p.n == 0 {
        return;
    }
    if p.k == 0 {
        // Nothing to multiply: scale C by beta, and keep beta == 0 NaN-free.
        for i in 0..p.m as isize {
            for j in 0..p.n as isize {
                // SAFETY: (i, j) is inside C's shape, so the caller guarantees the address.
                unsafe {
                    let x = p.c.offset(i * p.rsc + j * p.csc);
                    *x = if p.beta == T::ZERO {
                        T::ZERO
                    } else {
                        *x * p.beta
                    };
                }
            }
        }
        return;
    }
    let kernel = T::gemm_kernel(dispatch::current());
    let (path, threads) = match FORCED_PATH.try_with(Cell::get).ok().flatten() {
        // Forced threading splits whatever the size, so tests reach every split shape.
        Some(path) => (path, pool::max_threads()),
        None => choose_path(p),
    };
    // SAFETY: forwarded caller contract; the kernel's instruction set is at most the detected
    // one (`dispatch::current` clamps forced choices).
    unsafe {
        match path {
            Path::Small => (kernel.small)(p),
            Path::Packed => blocked::run(kernel, p, 1),
            Path::Threaded => blocked::run(kernel, p, threads),
        }
    }
}

/// `C = A B` for dense row-major `A: m x k`, `B: k x n`, `C: m x n`.
///
/// ```
/// use kiln_runtime::matmul;
///
/// let a = [1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0]; // 2 x 3
/// let b = [1.0, 0.0, 0.0, 1.0, 1.0, 1.0]; // 3 x 2
/// let mut c = [0.0; 4]; // 2 x 2
/// matmul(2, 3, 2, &a, &b, &mut c).unwrap();
/// assert_eq!(c, [4.0, 5.0, 10.0, 11.0]);
/// // Lengths that disagree with the shapes are an error, not a panic.
/// assert!(matmul(2, 3, 2, &a[..5], &b, &mut c).is_err());
/// ```
pub fn matmul<T: Float>(m: usize, k: usize, n: usize, a: &[T], b: &[T], c: &mut [T]) -> Result<()> {
    crate::error::check_len("matmul A", m * k, a.len())?;
    crate::error::check_len("matmul B", k * n, b.len())?;
    crate::error::check_len("matmul C", m * n, c.len())?;
    gemm(
        Trans::No,
        Trans::No,
        m,
        n,
        k,
        T::ONE,
        a,
        k,
        b,
        n,
        T::ZERO,
        c,
        n,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(ta: Trans, tb: Trans, m: usize, n: usize, k: usize, a: &[f64], b: &[f64]) -> Vec<f64> {
        let mut c = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                for p in 0..k {
                    let x = if ta == Trans::No {
                        a[i * k + p]
                    } else {
                        a[p * m + i]
                    };
                    let y = if tb == Trans::No {
                        b[p * n + j]
                    } else {
                        b[j * k + p]
                    };
                    c[i * n + j] += x * y;
                }
            }
        }
        c
    }

    #[test]
    fn hand_computed_2x2() {
        let a = [1.0f32, 2.0, 3.0, 4.0];
        let b = [5.0f32, 6.0, 7.0, 8.0];
        let mut c = [0.0f32; 4];
        matmul(2, 2, 2, &a, &b, &mut c).unwrap();
        assert_eq!(c, [19.0, 22.0, 43.0, 50.0]);
        // A^T B = [[1,3],[2,4]] [[5,6],[7,8]]
        gemm(
            Trans::Yes,
            Trans::No,
            2,
            2,
            2,
            1.0,
            &a,
            2,
            &b,
            2,
            0.0,
            &mut c,
            2,
        )
        .unwrap();
        assert_eq!(c, [26.0, 30.0, 38.0, 44.0]);
        // A B^T = [[1,2],[3,4]] [[5,7],[6,8]]
        gemm(
            Trans::No,
            Trans::Yes,
            2,
            2,
            2,
            1.0,
            &a,
            2,
            &b,
            2,
            0.0,
            &mut c,
            2,
        )
        .unwrap();
        assert_eq!(c, [17.0, 23.0, 39.0, 53.0]);
        // alpha and beta: C = 2 A B + 1 C
        let mut c2 = [1.0f64; 4];
        let a64 = [1.0f64, 2.0, 3.0, 4.0];
        let b64 = [5.0f64, 6.0, 7.0, 8.0];
        gemm(
            Trans::No,
            Trans::No,
            2,
            2,
            2,
            2.0,
            &a64,
            2,
            &b64,
            2,
            1.0,
            &mut c2,
            2,
        )
        .unwrap();
        assert_eq!(c2, [39.0, 45.0, 87.0, 101.0]);
    }

    #[test]
    fn all_transpose_forms_match_naive_on_odd_shapes() {
        let (m, n, k) = (7, 5, 13);
        let a: Vec<f64> = (0..m * k).map(|i| ((i * 37 % 11) as f64) - 5.0).collect();
        let b: Vec<f64> = (0..k * n)
            .map(|i| ((i * 17 % 7) as f64) * 0.5 - 1.0)
            .collect();
        for ta in [Trans::No, Trans::Yes] {
            for tb in [Trans::No, Trans::Yes] {
                let lda = if ta == Trans::No { k } else { m };
                let ldb = if tb == Trans::No { n } else { k };
                let mut c = vec![f64::NAN; m * n];
                gemm(ta, tb, m, n, k, 1.0, &a, lda, &b, ldb, 0.0, &mut c, n).unwrap();
                assert_eq!(c, naive(ta, tb, m, n, k, &a, &b), "{ta:?} {tb:?}");
                let a32: Vec<f32> = a.iter().map(|&x| x as f32).collect();
                let b32: Vec<f32> = b.iter().map(|&x| x as f32).collect();
                let mut c32 = vec![0.0f32; m * n];
                gemm(ta, tb, m, n, k, 1.0, &a32, lda, &b32, ldb, 0.0, &mut c32, n).unwrap();
                let want: Vec<f32> = naive(ta, tb, m, n, k, &a, &b)
                    .iter()
                    .map(|&x| x as f32)
                    .collect();
                assert_eq!(c32, want);
            }
        }
    }

    #[test]
    fn large_threaded_product_matches_naive() {
        let (m, n, k) = (300, 260, 270);
        let a: Vec<f64> = (0..m * k).map(|i| ((i % 13) as f64) - 6.0).collect();
        let b: Vec<f64> = (0..k * n).map(|i| ((i % 7) as f64) - 3.0).collect();
        let mut c = vec![0.0; m * n];
        matmul(m, k, n, &a, &b, &mut c).unwrap();
        assert_eq!(c, naive(Trans::No, Trans::No, m, n, k, &a, &b));
    }

    /// Several row, depth and column blocks (A kept packed across the column blocks), on
    /// one thread and on the pool, for every instruction set, with A transposed or not.
    #[test]
    fn many_blocks_with_kept_a_match_naive() {
        let (m, n, k) = (300, 1100, 600);
        let a: Vec<f64> = (0..m * k).map(|i| ((i % 13) as f64) - 6.0).collect();
        let b: Vec<f64> = (0..k * n).map(|i| ((i % 7) as f64) - 3.0).collect();
        for ta in [Trans::No, Trans::Yes] {
            let lda = if ta == Trans::No { k } else { m };
            let want = naive(ta, Trans::No, m, n, k, &a, &b);
            for isa in [Isa::Generic, Isa::Avx2, Isa::Avx512] {
                for path in [Path::Packed, Path::Threaded] {
                    force_isa(Some(isa));
                    force_path(Some(path));
                    let mut c = vec![f64::NAN; m * n];
                    gemm(ta, Trans::No, m, n, k, 1.0, &a, lda, &b, n, 0.0, &mut c, n).unwrap();
                    force_isa(None);
                    force_path(None);
                    assert!(c == want, "{isa:?} {path:?} {ta:?}");
                }
            }
        }
    }

    #[test]
    fn submatrix_by_leading_dimension_and_k_zero() {
        // Multiply the left 2x2 block of a 2x3 matrix by I.
        let a = [1.0f64, 2.0, 9.0, 3.0, 4.0, 9.0];
        let id = [1.0f64, 0.0, 0.0, 1.0];
        let mut c = [0.0f64; 4];
        gemm(
            Trans::No,
            Trans::No,
            2,
            2,
            2,
            1.0,
            &a,
            3,
            &id,
            2,
            0.0,
            &mut c,
            2,
        )
        .unwrap();
        assert_eq!(c, [1.0, 2.0, 3.0, 4.0]);
        let mut c = [f64::NAN; 4];
        gemm(
            Trans::No,
            Trans::No,
            2,
            2,
            0,
            1.0,
            &[],
            0,
            &[],
            2,
            0.0,
            &mut c,
            2,
        )
        .unwrap();
        assert_eq!(c, [0.0; 4]);
    }

    #[test]
    fn short_operands_are_errors_not_panics() {
        let mut c = [0.0f32; 4];
        let e = matmul(2, 2, 2, &[1.0; 3], &[1.0; 4], &mut c).unwrap_err();
        assert_eq!(
            e,
            KilnError::LengthMismatch {
                what: "matmul A",
                expected: 4,
                actual: 3
            }
        );
        let e = gemm(
            Trans::No,
            Trans::No,
            2,
            2,
            2,
            1.0,
            &[1.0f32; 4],
            1,
            &[1.0; 4],
            2,
            0.0,
            &mut c,
            2,
        )
        .unwrap_err();
        assert!(e.to_string().contains("leading dimension"), "{e}");
    }

    /// Deterministic values in [-1, 1).
    fn values(len: usize, seed: u64) -> Vec<f64> {
        let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 11) as f64 / (1u64 << 52) as f64 - 1.0
            })
            .collect()
    }

    /// One checked product: operands stored with leading dimension `cols + pad`, C's padding
    /// (and everything past its span) must come back untouched.
    struct Case {
        ta: Trans,
        tb: Trans,
        m: usize,
        n: usize,
        k: usize,
        pad: usize,
        alpha: f64,
        beta: f64,
        a: Vec<f64>,
        b: Vec<f64>,
        c0: Vec<f64>,
        /// Expected C (whole buffer, padding included) and a per-element error scale.
        want: Vec<f64>,
        scale: Vec<f64>,
    }

    const SENTINEL: f64 = 7.25;

    impl Case {
        #[allow(clippy::too_many_arguments)]
        fn new(
            ta: Trans,
            tb: Trans,
            m: usize,
            n: usize,
            k: usize,
            pad: usize,
            alpha: f64,
            beta: f64,
        ) -> Case {
            let (ar, ac) = if ta == Trans::No { (m, k) } else { (k, m) };
            let (br, bc) = if tb == Trans::No { (k, n) } else { (n, k) };
            let (lda, ldb, ldc) = (ac + pad, bc + pad, n + pad);
            let seed = (m * 1_000_000 + n * 1000 + k) as u64;
            let a = values(ar * lda, seed);
            let b = values(br * ldb, seed + 1);
            let mut c0 = values(m * ldc, seed + 2);
            for (idx, x) in c0.iter_mut().enumerate() {
                if idx % ldc >= n {
                    *x = SENTINEL;
                } else if beta == 0.0 {
                    *x = f64::NAN;
                }
            }
            let at = |i: usize, p: usize| {
                if ta == Trans::No {
                    a[i * lda + p]
                } else {
                    a[p * lda + i]
                }
            };
            let bt = |p: usize, j: usize| {
                if tb == Trans::No {
                    b[p * ldb + j]
                } else {
                    b[j * ldb + p]
                }
            };
            let mut want = c0.clone();
            let mut scale = vec![0.0; c0.len()];
            for i in 0..m {
                for j in 0..n {
                    let (mut sum, mut abs) = (0.0, 0.0);
                    for p in 0..k {
                        sum += at(i, p) * bt(p, j);
                        abs += (at(i, p) * bt(p, j)).abs();
                    }
                    let old = c0[i * ldc + j];
                    let (keep, keep_abs) = if beta == 0.0 {
                        (0.0, 0.0)
                    } else {
                        (beta * old, (beta * old).abs())
                    };
                    want[i * ldc + j] = alpha * sum + keep;
                    scale[i * ldc + j] = alpha.abs() * abs + keep_abs + 1.0;
                }
            }
            Case {
                ta,
                tb,
                m,
                n,
                k,
                pad,
                alpha,
                beta,
                a,
                b,
                c0,
                want,
                scale,
            }
        }

        fn check<T: Float>(&self, what: &str) {
            let conv = |v: &[f64]| v.iter().map(|&x| T::from_f64(x)).collect::<Vec<T>>();
            let (a, b) = (conv(&self.a), conv(&self.b));
            let mut c = conv(&self.c0);
            let (m, n, k, pad) = (self.m, self.n, self.k, self.pad);
            let lda = if self.ta == Trans::No { k } else { m } + pad;
            let ldb = if self.tb == Trans::No { n } else { k } + pad;
            gemm(
                self.ta,
                self.tb,
                m,
                n,
                k,
                T::from_f64(self.alpha),
                &a,
                lda,
                &b,
                ldb,
                T::from_f64(self.beta),
                &mut c,
                n + pad,
            )
            .unwrap();
            let eps = T::EPSILON.to_f64();
            for (idx, (&got, (&want, &scale))) in
                c.iter().zip(self.want.iter().zip(&self.scale)).enumerate()
            {
                let got = got.to_f64();
                let ok = if idx % (n + pad) >= n {
                    got == SENTINEL
                } else {
                    (got - want).abs() <= 4.0 * eps * (k as f64 + 2.0) * scale
                };
                assert!(
                    ok,
                    "{what} {} {:?} {:?} m={m} n={n} k={k} pad={pad} alpha={} beta={}: C[{idx}] = {got}, want {want}",
                    T::NAME, self.ta, self.tb, self.alpha, self.beta
                );
            }
        }
    }

    const TRANS: [(Trans, Trans); 4] = [
        (Trans::No, Trans::No),
        (Trans::Yes, Trans::No),
        (Trans::No, Trans::Yes),
        (Trans::Yes, Trans::Yes),
    ];
    /// Edge sizes for every tile shape (4, 6, 8 rows; 8, 16, 32 columns) and block sizes.
    const DIMS: [usize; 11] = [1, 2, 3, 7, 8, 9, 16, 17, 33, 65, 70];
    const ALPHA_BETA: [(f64, f64); 4] = [(1.0, 0.0), (0.5, -1.5), (-2.0, 1.0), (3.0, 0.0)];

    /// Every Trans combination x shape x alpha/beta, through each path, for both types, with
    /// the kernels of `isa` (clamped to what the CPU has).
    fn sweep(isa: Option<Isa>, paths: &[Option<Path>]) {
        force_isa(isa);
        for (idx, &(ta, tb)) in TRANS.iter().enumerate() {
            for &m in &DIMS {
                for &n in &DIMS {
                    for &k in &DIMS {
                        let (alpha, beta) = ALPHA_BETA[(m + n + k + idx) % 4];
                        let pad = (m + 2 * n + k) % 3;
                        let case = Case::new(ta, tb, m, n, k, pad, alpha, beta);
                        for &path in paths {
                            force_path(path);
                            let what = format!("{isa:?} {path:?}");
                            case.check::<f32>(&what);
                            case.check::<f64>(&what);
                        }
                    }
                }
            }
        }
        force_path(None);
        force_isa(None);
    }

    #[test]
    fn sweep_detected_kernels_small_path() {
        sweep(None, &[Some(Path::Small)]);
    }

    #[test]
    fn sweep_detected_kernels_packed_paths() {
        sweep(None, &[Some(Path::Packed), Some(Path::Threaded), None]);
    }

    #[test]
    fn sweep_avx2_kernels() {
        sweep(Some(Isa::Avx2), &[Some(Path::Small), Some(Path::Packed)]);
    }

    #[test]
    fn sweep_generic_kernels() {
        force_isa(Some(Isa::Generic));
        assert_eq!(<f32 as Float>::gemm_kernel(dispatch::current()).mr, 4);
        sweep(
            Some(Isa::Generic),
            &[Some(Path::Small), Some(Path::Packed), Some(Path::Threaded)],
        );
    }

    #[test]
    fn forced_isa_never_exceeds_the_cpu() {
        force_isa(Some(Isa::Avx512));
        assert!(dispatch::current() <= dispatch::detected());
        force_isa(None);
        assert_eq!(dispatch::current(), dispatch::detected());
    }

    #[test]
    fn large_threaded_products_all_forms() {
        for (m, n, k) in [(300, 260, 270), (1024, 1024, 64), (70, 1100, 600)] {
            for &(ta, tb) in &TRANS {
                let case = Case::new(ta, tb, m, n, k, 1, 1.5, 0.5);
                case.check::<f32>("large");
                case.check::<f64>("large");
            }
        }
    }

    #[test]
    fn concurrent_callers_share_the_pool_safely() {
        let cases: Vec<Case> = (0..4)
            .map(|i| {
                Case::new(
                    TRANS[i].0,
                    TRANS[i].1,
                    200 + i,
                    190,
                    180 + 7 * i,
                    i % 2,
                    1.0,
                    0.0,
                )
            })
            .collect();
        std::thread::scope(|s| {
            for case in &cases {
                s.spawn(move || {
                    for _ in 0..3 {
                        case.check::<f32>("concurrent");
                        case.check::<f64>("concurrent");
                    }
                });
            }
        });
    }

    #[test]
    fn general_strides_through_gemm_raw() {
        // C stored column-major (rsc = 1, csc = m): C^T of the row-major answer.
        let (m, n, k) = (37, 29, 41);
        let case = Case::new(Trans::No, Trans::No, m, n, k, 0, 1.0, 0.0);
        for path in [Some(Path::Small), Some(Path::Packed), None] {
            force_path(path);
            let mut c = vec![f64::NAN; m * n];
            // SAFETY: A (m x k, ld k), B (k x n, ld n) and C (column-major m x n) are in bounds.
            unsafe {
                f64::gemm_raw(
                    m,
                    k,
                    n,
                    1.0,
                    case.a.as_ptr(),
                    k as isize,
                    1,
                    case.b.as_ptr(),
                    n as isize,
                    1,
                    0.0,
                    c.as_mut_ptr(),
                    1,
                    m as isize,
                )
            };
            for i in 0..m {
                for j in 0..n {
                    assert!(
                        (c[j * m + i] - case.want[i * n + j]).abs() < 1e-12,
                        "{path:?} ({i}, {j})"
                    );
                }
            }
        }
        force_path(None);
    }

    #[test]
    fn beta_zero_ignores_nan_and_k_zero_scales() {
        for path in [Some(Path::Small), Some(Path::Packed), None] {
            force_path(path);
            let a = vec![1.0f32; 40 * 40];
            let mut c = vec![f32::NAN; 40 * 40];
            matmul(40, 40, 40, &a, &a, &mut c).unwrap();
            assert!(c.iter().all(|&x| x == 40.0), "{path:?}");
            let mut c = vec![2.0f32; 6];
            gemm(
                Trans::No,
                Trans::No,
                2,
                3,
                0,
                1.0,
                &[],
                0,
                &[],
                3,
                0.5,
                &mut c,
                3,
            )
            .unwrap();
            assert_eq!(c, [1.0; 6]);
        }
        force_path(None);
    }
}
