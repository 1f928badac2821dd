//! Matrix products through `matrixmultiply` (both cores on large products), including the
//! transposed forms the backward pass needs, expressed as strides rather than copies.

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
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        // matrixmultiply handles k == 0 as "scale C by beta"; keep beta == 0 NaN-free.
        for row in c.chunks_mut(ldc.max(1)).take(m) {
            for x in &mut row[..n] {
                *x = if beta == T::ZERO { T::ZERO } else { *x * beta };
            }
        }
        return;
    }
    // SAFETY: the assert above proves every strided access lies inside the slices, and `c`
    // is a unique borrow so it cannot overlap `a` or `b`.
    unsafe {
        T::gemm_raw(
            m,
            k,
            n,
            alpha,
            a.as_ptr(),
            rsa,
            csa,
            b.as_ptr(),
            rsb,
            csb,
            beta,
            c.as_mut_ptr(),
            ldc as isize,
            1,
        )
    }
}

/// `C = A B` for dense row-major `A: m x k`, `B: k x n`, `C: m x n`.
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
}
