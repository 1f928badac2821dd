//! PReLU: leaky ReLU with learnable slopes, `x` for `x > 0`, `a_c x` otherwise.
//!
//! Layout: `x` is row-major `[outer, channels, inner]` with one slope per channel
//! (`slopes.len() == channels`), or any length with one shared slope (`slopes.len() == 1`).
//! Dense layers use `[n, features]` (`inner = 1`); images use `[n, c, h*w]` (`inner = h*w`),
//! as PyTorch's `nn.PReLU(num_parameters = c)`. At `x = 0` the input gradient uses the slope
//! and the slope gradient gets 0, as PyTorch's autograd (it tests `x > 0`).

use crate::error::{check_len, KilnError, Result};
use crate::float::Float;

/// Checks the layout and returns the number of channels.
fn check_layout(len: usize, slopes: usize, inner: usize) -> Result<usize> {
    if slopes == 0 {
        return Err(KilnError::EmptyShape {
            what: "PReLU slopes",
        });
    }
    if inner == 0 {
        return Err(KilnError::EmptyShape {
            what: "PReLU inner (spatial) size",
        });
    }
    if slopes > 1 {
        let block = slopes * inner;
        check_len(
            "PReLU input (whole [channels, inner] blocks)",
            len.div_ceil(block) * block,
            len,
        )?;
    }
    Ok(slopes)
}

multiversion! {
    fn forward_kernel<T: Float>(x: &mut [T], slopes: &[T], inner: usize) {
        let c = slopes.len();
        if c == 1 {
            let a = slopes[0];
            for v in x.iter_mut() {
                *v = if *v > T::ZERO { *v } else { a * *v };
            }
        } else if inner == 1 {
            for row in x.chunks_exact_mut(c) {
                for (v, &a) in row.iter_mut().zip(slopes) {
                    *v = if *v > T::ZERO { *v } else { a * *v };
                }
            }
        } else {
            for (i, plane) in x.chunks_exact_mut(inner).enumerate() {
                let a = slopes[i % c];
                for v in plane.iter_mut() {
                    *v = if *v > T::ZERO { *v } else { a * *v };
                }
            }
        }
    }
}

multiversion! {
    fn backward_kernel<T: Float>(x: &[T], slopes: &[T], inner: usize, d: &mut [T], d_slopes: &mut [T]) {
        let c = slopes.len();
        // Runs of `inner` elements share a channel; with one slope every element does.
        let run = if c == 1 { x.len().max(1) } else { inner };
        for (i, (xs, ds)) in x.chunks(run).zip(d.chunks_mut(run)).enumerate() {
            let ch = if c == 1 { 0 } else { i % c };
            let a = slopes[ch];
            let mut acc = T::ZERO;
            for (&xv, g) in xs.iter().zip(ds.iter_mut()) {
                let positive = xv > T::ZERO;
                if !positive {
                    acc += xv * *g;
                    *g *= a;
                }
            }
            d_slopes[ch] += acc;
        }
    }
}

/// `x = prelu(x)` in place; layout in the module docs. Errors: empty `slopes`, `inner == 0`,
/// or (per-channel slopes) a length that is not a whole number of `[channels, inner]` blocks.
pub fn prelu_forward<T: Float>(x: &mut [T], slopes: &[T], inner: usize) -> Result<()> {
    check_layout(x.len(), slopes.len(), inner)?;
    forward_kernel(x, slopes, inner);
    Ok(())
}

/// Backward of [`prelu_forward`] given the pre-activation `x`: `d` becomes the input gradient
/// in place (`d *= 1` for `x > 0`, `d *= a_c` otherwise) and `d_slopes[c] += sum x d` over the
/// channel's elements with `x <= 0` (accumulated, so gradients of several calls add up).
pub fn prelu_backward<T: Float>(
    x: &[T],
    slopes: &[T],
    inner: usize,
    d: &mut [T],
    d_slopes: &mut [T],
) -> Result<()> {
    check_layout(x.len(), slopes.len(), inner)?;
    check_len("PReLU output gradient", x.len(), d.len())?;
    check_len("PReLU slope gradient", slopes.len(), d_slopes.len())?;
    backward_kernel(x, slopes, inner, d, d_slopes);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_feature_dense_layout() {
        // [2, 3] with slopes per feature.
        let mut x = [-1.0f64, 2.0, -3.0, 0.0, -2.0, 4.0];
        let slopes = [0.1, 0.2, 0.3];
        prelu_forward(&mut x, &slopes, 1).unwrap();
        assert_eq!(x, [-0.1, 2.0, 0.3 * -3.0, 0.0, -0.4, 4.0]);
    }

    #[test]
    fn backward_by_hand() {
        let x = [-1.0f64, 2.0, -3.0, 0.0, -2.0, 4.0];
        let slopes = [0.1, 0.2, 0.3];
        let mut d = [1.0, 1.0, 2.0, 3.0, 1.0, 1.0];
        let mut ds = [10.0, 0.0, 0.0];
        prelu_backward(&x, &slopes, 1, &mut d, &mut ds).unwrap();
        // x = 0 takes the slope branch: d = 3 * 0.1, and adds 0 * 3 to d_slopes[0].
        assert_eq!(d, [0.1, 1.0, 0.6, 0.30000000000000004, 0.2, 1.0]);
        // Accumulated onto the existing 10.
        assert_eq!(ds, [10.0 - 1.0, -2.0, -6.0]);
    }

    #[test]
    fn shared_slope_and_image_layout() {
        let mut x = [-4.0f32, 1.0, -2.0];
        prelu_forward(&mut x, &[0.25], 1).unwrap();
        assert_eq!(x, [-1.0, 1.0, -0.5]);
        // [n = 1, c = 2, inner = 2]: slope 0.5 for the first plane, 2 for the second.
        let mut img = [-1.0f64, -2.0, -1.0, 3.0];
        prelu_forward(&mut img, &[0.5, 2.0], 2).unwrap();
        assert_eq!(img, [-0.5, -1.0, -2.0, 3.0]);
        let x = [-1.0f64, -2.0, -1.0, 3.0, 5.0, -1.0, -1.0, -1.0];
        let mut d = [1.0; 8];
        let mut ds = [0.0; 2];
        prelu_backward(&x, &[0.5, 2.0], 2, &mut d, &mut ds).unwrap();
        assert_eq!(ds, [-3.0 - 1.0, -1.0 - 2.0]);
        assert_eq!(d, [0.5, 0.5, 2.0, 1.0, 1.0, 0.5, 2.0, 2.0]);
    }

    #[test]
    fn gradients_match_finite_differences() {
        let x: Vec<f64> = (0..24).map(|i| ((i * 7) % 11) as f64 - 5.3).collect();
        let slopes = [0.1, -0.4, 0.7];
        let inner = 4;
        let w: Vec<f64> = (0..24).map(|i| (i as f64 * 0.37).cos()).collect();
        // L = sum w * prelu(x).
        let loss = |x: &[f64], s: &[f64]| {
            let mut y = x.to_vec();
            prelu_forward(&mut y, s, inner).unwrap();
            y.iter().zip(&w).map(|(a, b)| a * b).sum::<f64>()
        };
        let mut d = w.clone();
        let mut ds = [0.0; 3];
        prelu_backward(&x, &slopes, inner, &mut d, &mut ds).unwrap();
        let h = 1e-6;
        for i in 0..x.len() {
            let (mut p, mut m) = (x.clone(), x.clone());
            p[i] += h;
            m[i] -= h;
            let fd = (loss(&p, &slopes) - loss(&m, &slopes)) / (2.0 * h);
            assert!((fd - d[i]).abs() < 1e-8, "dx[{i}]: {} vs {fd}", d[i]);
        }
        for c in 0..3 {
            let (mut p, mut m) = (slopes, slopes);
            p[c] += h;
            m[c] -= h;
            let fd = (loss(&x, &p) - loss(&x, &m)) / (2.0 * h);
            assert!((fd - ds[c]).abs() < 1e-7, "dslope[{c}]: {} vs {fd}", ds[c]);
        }
    }

    #[test]
    fn layout_errors() {
        let mut x = [0.0f32; 5];
        assert!(matches!(
            prelu_forward(&mut x, &[], 1),
            Err(KilnError::EmptyShape { .. })
        ));
        assert!(prelu_forward(&mut x, &[0.1], 0).is_err());
        assert_eq!(
            prelu_forward(&mut x, &[0.1, 0.2], 1),
            Err(KilnError::LengthMismatch {
                what: "PReLU input (whole [channels, inner] blocks)",
                expected: 6,
                actual: 5
            })
        );
        assert!(prelu_forward(&mut x, &[0.1], 7).is_ok());
        let mut d = [0.0f32; 4];
        assert!(prelu_backward(&x, &[0.1], 1, &mut d, &mut [0.0]).is_err());
        let mut d = [0.0f32; 5];
        assert!(prelu_backward(&x, &[0.1], 1, &mut d, &mut [0.0, 0.0]).is_err());
    }
}
