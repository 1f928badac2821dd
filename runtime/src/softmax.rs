//! Row-wise softmax and log-softmax over a row-major `[n, width]` block, numerically stable
//! (the row maximum is subtracted before exponentiating), and their backward passes given the
//! output. Reductions use 16 fixed lanes, so they vectorise and give the same bits on every
//! SIMD path.

use core::any::TypeId;

use crate::activation::fast_math::FastFloat;
use crate::activation::{cast, cast_mut, multiversion};
use crate::error::{check_len, KilnError, Result};
use crate::float::Float;

const LANES: usize = 16;

fn check_rows(what: &'static str, len: usize, width: usize) -> Result<()> {
    if width == 0 {
        return Err(KilnError::EmptyShape {
            what: "softmax row width",
        });
    }
    check_len(what, len.div_ceil(width) * width, len)
}

/// Fixed-order pairwise sum of the lanes.
#[inline(always)]
fn lane_sum<L: FastFloat>(mut acc: [L; LANES]) -> L {
    let mut n = LANES;
    while n > 1 {
        n /= 2;
        for i in 0..n {
            acc[i] += acc[i + n];
        }
    }
    acc[0]
}

/// Largest element of a row (NaNs are skipped here; they reach the output through the sum).
#[inline(always)]
fn row_max<L: FastFloat>(row: &[L]) -> L {
    let neg_inf = L::from_f64(f64::NEG_INFINITY);
    let mut acc = [neg_inf; LANES];
    let mut chunks = row.chunks_exact(LANES);
    for c in &mut chunks {
        for i in 0..LANES {
            acc[i] = if c[i] > acc[i] { c[i] } else { acc[i] };
        }
    }
    let mut m = neg_inf;
    for &v in acc.iter().chain(chunks.remainder()) {
        m = if v > m { v } else { m };
    }
    m
}

/// Sum of `f(a_i, b_i)` over two equally long rows, in lanes.
#[inline(always)]
fn lane_dot<L: FastFloat>(a: &[L], b: &[L], f: impl Fn(L, L) -> L) -> L {
    let mut acc = [L::ZERO; LANES];
    let mut ca = a.chunks_exact(LANES);
    let mut cb = b.chunks_exact(LANES);
    for (x, y) in (&mut ca).zip(&mut cb) {
        for i in 0..LANES {
            acc[i] += f(x[i], y[i]);
        }
    }
    let mut s = lane_sum(acc);
    for (&x, &y) in ca.remainder().iter().zip(cb.remainder()) {
        s += f(x, y);
    }
    s
}

multiversion! {
    fn softmax_kernel<L: FastFloat>(x: &mut [L], width: usize) {
        for row in x.chunks_exact_mut(width) {
            let m = row_max(row);
            let mut acc = [L::ZERO; LANES];
            let mut chunks = row.chunks_exact_mut(LANES);
            for c in &mut chunks {
                for i in 0..LANES {
                    let e = (c[i] - m).fast_exp();
                    c[i] = e;
                    acc[i] += e;
                }
            }
            let mut s = lane_sum(acc);
            for v in chunks.into_remainder() {
                let e = (*v - m).fast_exp();
                *v = e;
                s += e;
            }
            for v in row.iter_mut() {
                *v /= s;
            }
        }
    }
}

multiversion! {
    fn log_softmax_kernel<L: FastFloat>(x: &mut [L], width: usize) {
        for row in x.chunks_exact_mut(width) {
            let m = row_max(row);
            let s = lane_dot(row, row, |v, _| (v - m).fast_exp());
            let ln_s = s.ln();
            for v in row.iter_mut() {
                *v = (*v - m) - ln_s;
            }
        }
    }
}

multiversion! {
    fn softmax_backward_kernel<L: FastFloat>(y: &[L], d: &mut [L], width: usize) {
        for (yr, dr) in y.chunks_exact(width).zip(d.chunks_exact_mut(width)) {
            let dot = lane_dot(yr, dr, |a, b| a * b);
            for (g, &p) in dr.iter_mut().zip(yr) {
                *g = p * (*g - dot);
            }
        }
    }
}

multiversion! {
    fn log_softmax_backward_kernel<L: FastFloat>(y: &[L], d: &mut [L], width: usize) {
        for (yr, dr) in y.chunks_exact(width).zip(d.chunks_exact_mut(width)) {
            let total = lane_dot(dr, dr, |a, _| a);
            for (g, &l) in dr.iter_mut().zip(yr) {
                *g -= l.fast_exp() * total;
            }
        }
    }
}

/// Runs an in-place kernel on `x` as `f32`, `f64`, or (another `Float`) through an `f64` copy.
fn in_place<T: Float>(x: &mut [T], k32: impl FnOnce(&mut [f32]), k64: impl FnOnce(&mut [f64])) {
    if let Some(x) = cast_mut::<T, f32>(x) {
        k32(x);
    } else if let Some(x) = cast_mut::<T, f64>(x) {
        k64(x);
    } else {
        let mut tmp: Vec<f64> = x.iter().map(|v| v.to_f64()).collect();
        k64(&mut tmp);
        for (v, t) in x.iter_mut().zip(tmp) {
            *v = T::from_f64(t);
        }
    }
}

/// Runs a backward kernel on `(y, d)` like [`in_place`].
fn with_output<T: Float>(
    y: &[T],
    d: &mut [T],
    k32: impl FnOnce(&[f32], &mut [f32]),
    k64: impl FnOnce(&[f64], &mut [f64]),
) {
    if TypeId::of::<T>() == TypeId::of::<f32>() {
        k32(cast(y).expect("T is f32"), cast_mut(d).expect("T is f32"));
    } else if TypeId::of::<T>() == TypeId::of::<f64>() {
        k64(cast(y).expect("T is f64"), cast_mut(d).expect("T is f64"));
    } else {
        let y64: Vec<f64> = y.iter().map(|v| v.to_f64()).collect();
        let mut d64: Vec<f64> = d.iter().map(|v| v.to_f64()).collect();
        k64(&y64, &mut d64);
        for (v, t) in d.iter_mut().zip(d64) {
            *v = T::from_f64(t);
        }
    }
}

/// Softmax of every row of the row-major `[n, width]` block `x`, in place:
/// `y_j = e^(x_j - m) / sum_k e^(x_k - m)` with `m` the row maximum, so large inputs do not
/// overflow. Errors: `width == 0`, or `x.len()` not a multiple of `width`.
pub fn softmax_rows<T: Float>(x: &mut [T], width: usize) -> Result<()> {
    check_rows("softmax input (whole rows)", x.len(), width)?;
    in_place(
        x,
        |x| softmax_kernel(x, width),
        |x| softmax_kernel(x, width),
    );
    Ok(())
}

/// Log-softmax of every row, in place: `x_j - m - ln sum_k e^(x_k - m)`. Errors as
/// [`softmax_rows`].
pub fn log_softmax_rows<T: Float>(x: &mut [T], width: usize) -> Result<()> {
    check_rows("log-softmax input (whole rows)", x.len(), width)?;
    in_place(
        x,
        |x| log_softmax_kernel(x, width),
        |x| log_softmax_kernel(x, width),
    );
    Ok(())
}

/// Softmax backward given the output `y`: `d = y (d - sum_k d_k y_k)` per row, in place.
/// Errors: bad `width` as [`softmax_rows`], or `d` not as long as `y`.
pub fn softmax_backward_rows<T: Float>(y: &[T], d: &mut [T], width: usize) -> Result<()> {
    check_rows("softmax output (whole rows)", y.len(), width)?;
    check_len("softmax output gradient", y.len(), d.len())?;
    with_output(
        y,
        d,
        |y, d| softmax_backward_kernel(y, d, width),
        |y, d| softmax_backward_kernel(y, d, width),
    );
    Ok(())
}

/// Log-softmax backward given the output `y` (log-probabilities):
/// `d = d - e^y sum_k d_k` per row, in place. Errors as [`softmax_backward_rows`].
pub fn log_softmax_backward_rows<T: Float>(y: &[T], d: &mut [T], width: usize) -> Result<()> {
    check_rows("log-softmax output (whole rows)", y.len(), width)?;
    check_len("log-softmax output gradient", y.len(), d.len())?;
    with_output(
        y,
        d,
        |y, d| log_softmax_backward_kernel(y, d, width),
        |y, d| log_softmax_backward_kernel(y, d, width),
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activation::{available_levels, with_level, SimdLevel};

    fn sample(n: usize, width: usize) -> Vec<f64> {
        (0..n * width)
            .map(|i| ((i * 37 % 101) as f64 - 50.0) * 0.09)
            .collect()
    }

    #[test]
    fn rows_sum_to_one_and_match_the_definition() {
        for width in [1, 3, 16, 37, 100] {
            let x = sample(4, width);
            let mut y = x.clone();
            softmax_rows(&mut y, width).unwrap();
            for (xr, yr) in x.chunks(width).zip(y.chunks(width)) {
                let s: f64 = yr.iter().sum();
                assert!((s - 1.0).abs() < 1e-14, "width {width}: sum {s}");
                let z: f64 = xr.iter().map(|v| libm::exp(*v)).sum();
                for (a, b) in xr.iter().zip(yr) {
                    assert!((libm::exp(*a) / z - b).abs() < 1e-15);
                }
            }
        }
    }

    #[test]
    fn large_inputs_do_not_overflow() {
        let mut x = [1000.0f64, 1001.0];
        softmax_rows(&mut x, 2).unwrap();
        // 1/(1 + e) and e/(1 + e).
        assert!((x[0] - 0.268_941_421_369_995_1).abs() < 1e-15);
        assert!((x[1] - 0.731_058_578_630_004_9).abs() < 1e-15);
        let mut x = [1000.0f32, 1001.0, -1000.0];
        softmax_rows(&mut x, 3).unwrap();
        assert!((x[0] - 0.268_941_43).abs() < 1e-7 && x[2] == 0.0);
        let mut l = [1000.0f64, 1001.0];
        log_softmax_rows(&mut l, 2).unwrap();
        assert!((l[0] - (-1.313_261_687_518_222_8)).abs() < 1e-15);
        assert!((l[1] - (-0.313_261_687_518_222_8)).abs() < 1e-15);
    }

    #[test]
    fn log_softmax_is_ln_of_softmax() {
        let width = 23;
        let x = sample(3, width);
        let mut p = x.clone();
        softmax_rows(&mut p, width).unwrap();
        let mut l = x.clone();
        log_softmax_rows(&mut l, width).unwrap();
        for (a, b) in p.iter().zip(&l) {
            assert!((libm::log(*a) - b).abs() < 1e-14);
        }
        // f32 against f64.
        let mut l32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
        log_softmax_rows(&mut l32, width).unwrap();
        for (a, b) in l32.iter().zip(&l) {
            assert!((*a as f64 - b).abs() < 2e-6 * b.abs().max(1.0));
        }
    }

    #[test]
    fn backward_matches_finite_differences() {
        let width = 19;
        let x = sample(2, width);
        let w: Vec<f64> = (0..x.len()).map(|i| (i as f64 * 0.61).sin()).collect();
        // L = sum w * f(x) for f = softmax, log-softmax.
        for log in [false, true] {
            let f = |x: &[f64]| {
                let mut y = x.to_vec();
                if log {
                    log_softmax_rows(&mut y, width).unwrap();
                } else {
                    softmax_rows(&mut y, width).unwrap();
                }
                y
            };
            let loss = |x: &[f64]| f(x).iter().zip(&w).map(|(a, b)| a * b).sum::<f64>();
            let y = f(&x);
            let mut d = w.clone();
            if log {
                log_softmax_backward_rows(&y, &mut d, width).unwrap();
            } else {
                softmax_backward_rows(&y, &mut d, width).unwrap();
            }
            let h = 1e-5;
            for i in 0..x.len() {
                let (mut p, mut m) = (x.clone(), x.clone());
                p[i] += h;
                m[i] -= h;
                let fd = (loss(&p) - loss(&m)) / (2.0 * h);
                assert!(
                    (fd - d[i]).abs() < 1e-8,
                    "log={log} d[{i}] {} vs {fd}",
                    d[i]
                );
            }
        }
    }

    #[test]
    fn hand_computed_backward() {
        // y = [0.5, 0.5], d = [1, 0]: sum d y = 0.5, d_in = [0.25, -0.25].
        let mut d = [1.0f32, 0.0];
        softmax_backward_rows(&[0.5, 0.5], &mut d, 2).unwrap();
        assert_eq!(d, [0.25, -0.25]);
        // log-softmax: y = ln 0.5 each, d = [1, 0]: d - 0.5 * 1 = [0.5, -0.5].
        let l = core::f64::consts::LN_2;
        let mut d = [1.0f64, 0.0];
        log_softmax_backward_rows(&[-l, -l], &mut d, 2).unwrap();
        assert!((d[0] - 0.5).abs() < 1e-16 && (d[1] + 0.5).abs() < 1e-16);
    }

    #[test]
    fn nan_and_infinity() {
        let mut x = [1.0f64, f64::NAN, 2.0, 0.0, 1.0, 2.0];
        softmax_rows(&mut x, 3).unwrap();
        assert!(x[..3].iter().all(|v| v.is_nan()));
        assert!(x[3..].iter().all(|v| v.is_finite()));
        let mut x = [f32::NEG_INFINITY, 0.0];
        softmax_rows(&mut x, 2).unwrap();
        assert_eq!(x, [0.0, 1.0]);
    }

    #[test]
    fn shape_errors() {
        let mut x = [0.0f32; 7];
        assert_eq!(
            softmax_rows(&mut x, 3),
            Err(KilnError::LengthMismatch {
                what: "softmax input (whole rows)",
                expected: 9,
                actual: 7
            })
        );
        assert_eq!(
            log_softmax_rows(&mut x, 0),
            Err(KilnError::EmptyShape {
                what: "softmax row width"
            })
        );
        let mut d = [0.0f32; 6];
        assert!(softmax_backward_rows(&x[..6], &mut d[..5], 3).is_err());
        assert!(log_softmax_backward_rows(&x[..6], &mut d, 4).is_err());
        assert!(softmax_rows(&mut [0.0f64; 0], 5).is_ok());
    }

    #[test]
    fn simd_paths_agree_bitwise() {
        let width = 53;
        let x: Vec<f32> = sample(5, width).iter().map(|&v| v as f32).collect();
        let run = || {
            let mut p = x.clone();
            softmax_rows(&mut p, width).unwrap();
            let mut l = x.clone();
            log_softmax_rows(&mut l, width).unwrap();
            let mut d = x.clone();
            softmax_backward_rows(&p, &mut d, width).unwrap();
            let mut e = x.clone();
            log_softmax_backward_rows(&l, &mut e, width).unwrap();
            [p, l, d, e]
                .concat()
                .iter()
                .map(|v| v.to_bits())
                .collect::<Vec<u32>>()
        };
        let reference = with_level(SimdLevel::Portable, run);
        for level in available_levels() {
            assert!(with_level(level, run) == reference, "{level:?}");
        }
    }
}
