//! Orthogonal initialisation (Saxe et al., 2014) as PyTorch's `nn.init.orthogonal_`: the orthogonal factor
//! of a Gaussian matrix's QR, so that repeated products neither grow nor shrink signals.

use super::qr::{householder_qr, Qr};
use crate::error::{check_hyper, check_len, KilnError, Result};
use crate::float::Float;
use crate::rng::{standard_normal_f64, KilnRng};

/// Fills the row-major `rows x cols` matrix `w` with `gain` times a random matrix with
/// orthonormal rows (if `rows <= cols`) or orthonormal columns (if `rows >= cols`).
///
/// Follows PyTorch's `orthogonal_` step by step: draw a `rows x cols` standard normal matrix
/// (row-major, from [`standard_normal_f64`]); transpose it if `rows < cols` so it is tall;
/// take `Q` of its QR (Householder, in f64); multiply column `j` of `Q` by the
/// sign of `R[j][j]` (which makes the result the unique `Q` with a positive-diagonal `R`, so it
/// is Haar-distributed); transpose back; multiply by `gain`. One difference: a zero `R[j][j]`
/// (probability zero) keeps its column, where PyTorch's `sign(0) = 0` would zero it.
///
/// Errors: `rows` or `cols` zero, `w.len() != rows * cols`, `gain` not positive and finite.
pub fn fill_orthogonal<T: Float>(
    w: &mut [T],
    rows: usize,
    cols: usize,
    gain: f64,
    rng: &mut KilnRng,
) -> Result<()> {
    if rows == 0 {
        return Err(KilnError::EmptyShape {
            what: "orthogonal weight rows",
        });
    }
    if cols == 0 {
        return Err(KilnError::EmptyShape {
            what: "orthogonal weight columns",
        });
    }
    check_len("orthogonal weight (rows * cols)", rows * cols, w.len())?;
    check_hyper("gain", gain, gain > 0.0, "must be positive and finite")?;
    let a: Vec<f64> = (0..rows * cols).map(|_| standard_normal_f64(rng)).collect();
    let q = orthogonalize(a, rows, cols);
    for (x, &v) in w.iter_mut().zip(&q) {
        *x = T::from_f64(gain * v);
    }
    Ok(())
}

/// The deterministic part of [`fill_orthogonal`]: the sign-corrected orthogonal factor of the
/// row-major `rows x cols` matrix `a`, returned row-major `rows x cols`.
pub(crate) fn orthogonalize(a: Vec<f64>, rows: usize, cols: usize) -> Vec<f64> {
    let wide = rows < cols;
    let (m, n) = if wide { (cols, rows) } else { (rows, cols) };
    let tall = if wide { transpose(&a, rows, cols) } else { a };
    let Qr { mut q, r } = householder_qr(tall, m, n);
    for j in 0..n {
        if r[j * n + j] < 0.0 {
            for i in 0..m {
                q[i * n + j] = -q[i * n + j];
            }
        }
    }
    if wide {
        transpose(&q, m, n)
    } else {
        q
    }
}

/// Transpose of a row-major `rows x cols` matrix.
fn transpose(a: &[f64], rows: usize, cols: usize) -> Vec<f64> {
    let mut t = vec![0.0; a.len()];
    for i in 0..rows {
        for j in 0..cols {
            t[j * rows + i] = a[i * cols + j];
        }
    }
    t
}
