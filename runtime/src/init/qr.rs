//! A small Householder QR in f64, enough for orthogonal initialisation (no dependency on a
//! linear-algebra crate): `A = Q R` for a tall `m x n` matrix, `m >= n`.

/// The reduced QR factors of a row-major `m x n` matrix: `q` is `m x n` with orthonormal
/// columns, `r` is `n x n` upper triangular, both row-major.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Qr {
    pub q: Vec<f64>,
    pub r: Vec<f64>,
}

/// Householder QR of the row-major `m x n` matrix `a` (`m >= n`, consumed as workspace).
///
/// Reflector `k` maps column `k` below the diagonal onto `alpha e_k` with `alpha` of the sign
/// opposite to the pivot (no cancellation); a zero column is left alone. `Q` is accumulated
/// backwards from the first `n` columns of the identity. About `4 m n^2` flops.
///
/// # Panics
/// If `m < n` or `a.len() != m * n` (internal callers guarantee both).
pub(crate) fn householder_qr(mut a: Vec<f64>, m: usize, n: usize) -> Qr {
    assert!(m >= n && a.len() == m * n, "householder_qr: bad shape");
    // Reflectors: v (length m - k, unnormalised) and 2 / (v . v), or None for identity.
    let mut reflectors: Vec<Option<(Vec<f64>, f64)>> = Vec::with_capacity(n);
    let mut s = vec![0.0f64; n];
    for k in 0..n {
        let norm = libm::sqrt((k..m).map(|i| a[i * n + k] * a[i * n + k]).sum::<f64>());
        if norm == 0.0 {
            reflectors.push(None);
            continue;
        }
        let pivot = a[k * n + k];
        let alpha = if pivot >= 0.0 { -norm } else { norm };
        let mut v: Vec<f64> = (k..m).map(|i| a[i * n + k]).collect();
        v[0] -= alpha;
        let tau = 2.0 / v.iter().map(|x| x * x).sum::<f64>();
        apply_reflector(&mut a, n, k, k, &v, tau, &mut s);
        a[k * n + k] = alpha;
        for i in k + 1..m {
            a[i * n + k] = 0.0;
        }
        reflectors.push(Some((v, tau)));
    }
    let mut r = vec![0.0f64; n * n];
    for i in 0..n {
        r[i * n + i..(i + 1) * n].copy_from_slice(&a[i * n + i..(i + 1) * n]);
    }
    let mut q = vec![0.0f64; m * n];
    for i in 0..n {
        q[i * n + i] = 1.0;
    }
    for (k, refl) in reflectors.iter().enumerate().rev() {
        if let Some((v, tau)) = refl {
            // Columns left of k are still unit vectors with zeros in rows k.., untouched.
            apply_reflector(&mut q, n, k, k, v, *tau, &mut s);
        }
    }
    Qr { q, r }
}

/// `M[row0.., col0..] -= tau v (v^T M[row0.., col0..])` for a row-major matrix with `n`
/// columns, walking rows contiguously. `s` is scratch of length >= `n`.
fn apply_reflector(
    mat: &mut [f64],
    n: usize,
    row0: usize,
    col0: usize,
    v: &[f64],
    tau: f64,
    s: &mut [f64],
) {
    let s = &mut s[col0..n];
    s.fill(0.0);
    for (i, &vi) in v.iter().enumerate() {
        let row = &mat[(row0 + i) * n + col0..(row0 + i + 1) * n];
        for (sj, &x) in s.iter_mut().zip(row) {
            *sj += vi * x;
        }
    }
    for sj in s.iter_mut() {
        *sj *= tau;
    }
    for (i, &vi) in v.iter().enumerate() {
        let row = &mut mat[(row0 + i) * n + col0..(row0 + i + 1) * n];
        for (x, &sj) in row.iter_mut().zip(s.iter()) {
            *x -= vi * sj;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{seeded, standard_normal_f64};

    fn check(a: &[f64], m: usize, n: usize) {
        let Qr { q, r } = householder_qr(a.to_vec(), m, n);
        for i in 0..n {
            for j in 0..i {
                assert_eq!(r[i * n + j], 0.0, "R not upper triangular");
            }
        }
        for i in 0..m {
            for j in 0..n {
                let qr: f64 = (0..n).map(|k| q[i * n + k] * r[k * n + j]).sum();
                assert!((qr - a[i * n + j]).abs() < 1e-12, "QR != A at ({i},{j})");
            }
        }
        for i in 0..n {
            for j in 0..n {
                let d: f64 = (0..m).map(|k| q[k * n + i] * q[k * n + j]).sum();
                let want = if i == j { 1.0 } else { 0.0 };
                assert!((d - want).abs() < 1e-13, "Q^T Q at ({i},{j}) = {d}");
            }
        }
    }

    #[test]
    fn hand_computed_2x2() {
        // A = [[3, 1], [4, 2]]: first column has norm 5, pivot 3 >= 0 so alpha = -5;
        // R = [[-5, -2.2], [0, r22]] with |r22| = |det A| / 5 = 0.4.
        let Qr { q, r } = householder_qr(vec![3.0, 1.0, 4.0, 2.0], 2, 2);
        assert!((r[0] + 5.0).abs() < 1e-15 && (r[1] + 2.2).abs() < 1e-15);
        assert!((r[3].abs() - 0.4).abs() < 1e-15);
        assert!((q[0] + 0.6).abs() < 1e-15 && (q[2] + 0.8).abs() < 1e-15);
        check(&[3.0, 1.0, 4.0, 2.0], 2, 2);
    }

    #[test]
    fn random_tall_and_square_and_rank_deficient() {
        let mut rng = seeded(5);
        for (m, n) in [(1, 1), (5, 3), (7, 7), (40, 13)] {
            let a: Vec<f64> = (0..m * n).map(|_| standard_normal_f64(&mut rng)).collect();
            check(&a, m, n);
        }
        // A zero column (rank-deficient): still A = Q R with orthonormal Q.
        check(&[1.0, 0.0, 2.0, 0.0, 2.0, 0.0], 3, 2);
    }
}
