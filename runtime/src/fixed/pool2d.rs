//! Pooling, batch 1, over `[C, H, W]` maps: max (padding counts as -inf), average (padding
//! counts in the divisor: PyTorch's `count_include_pad=True`) and global average.

use crate::float::Float;

/// Folds the in-bounds input values of each output cell's window into an accumulator `A`
/// from `init`, and writes `finish(acc)` to the cell (float and int8 pools alike).
#[inline(always)]
pub(crate) fn windows<
    X: Copy,
    A: Copy,
    const C: usize,
    const H: usize,
    const W: usize,
    const KH: usize,
    const KW: usize,
    const SH: usize,
    const SW: usize,
    const PH: usize,
    const PW: usize,
    const OH: usize,
    const OW: usize,
>(
    x: &[X],
    y: &mut [X],
    init: A,
    mut fold: impl FnMut(A, X) -> A,
    finish: impl Fn(A) -> X,
) {
    assert!(
        x.len() == C * H * W && y.len() == C * OH * OW,
        "kiln bug: pooling sizes"
    );
    for (plane, out) in x.chunks_exact(H * W).zip(y.chunks_exact_mut(OH * OW)) {
        for oy in 0..OH {
            for ox in 0..OW {
                let mut acc = init;
                for ky in 0..KH {
                    let iy = (oy * SH + ky) as isize - PH as isize;
                    if iy < 0 || iy >= H as isize {
                        continue;
                    }
                    for kx in 0..KW {
                        let ix = (ox * SW + kx) as isize - PW as isize;
                        if ix >= 0 && ix < W as isize {
                            acc = fold(acc, plane[iy as usize * W + ix as usize]);
                        }
                    }
                }
                out[oy * OW + ox] = finish(acc);
            }
        }
    }
}

/// Max pooling with a `KH`x`KW` window, strides `SH`, `SW`, paddings `PH`, `PW`.
pub fn max_pool2d<
    T: Float,
    const C: usize,
    const H: usize,
    const W: usize,
    const KH: usize,
    const KW: usize,
    const SH: usize,
    const SW: usize,
    const PH: usize,
    const PW: usize,
    const OH: usize,
    const OW: usize,
>(
    x: &[T],
    y: &mut [T],
) {
    let ninf = T::from_f64(f64::NEG_INFINITY);
    windows::<T, T, C, H, W, KH, KW, SH, SW, PH, PW, OH, OW>(x, y, ninf, |a, v| a.max(v), |a| a);
}

/// Average pooling; the divisor is always `KH*KW` (padding counts, as in PyTorch's default).
pub fn avg_pool2d<
    T: Float,
    const C: usize,
    const H: usize,
    const W: usize,
    const KH: usize,
    const KW: usize,
    const SH: usize,
    const SW: usize,
    const PH: usize,
    const PW: usize,
    const OH: usize,
    const OW: usize,
>(
    x: &[T],
    y: &mut [T],
) {
    let n = T::from_usize(KH * KW);
    windows::<T, T, C, H, W, KH, KW, SH, SW, PH, PW, OH, OW>(
        x,
        y,
        T::ZERO,
        |a, v| a + v,
        |a| a / n,
    );
}

/// The mean of each of `C` channels of `HW` values.
pub fn global_avg_pool<T: Float, const C: usize, const HW: usize>(x: &[T], y: &mut [T]) {
    assert!(
        x.len() == C * HW && y.len() == C,
        "kiln bug: global pooling sizes"
    );
    let n = T::from_usize(HW);
    for (plane, o) in x.chunks_exact(HW).zip(y.iter_mut()) {
        *o = plane.iter().copied().fold(T::ZERO, |a, v| a + v) / n;
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{close, values};
    use super::*;
    use crate::layers::{AvgPool2d, GlobalAvgPool, Layer, MaxPool2d};

    #[test]
    fn pools_match_the_batched_layers() {
        let x = values(2 * 7 * 6, 4);
        let mut want = [0.0; 2 * 4 * 3];
        let mut got = [0.0; 2 * 4 * 3];
        MaxPool2d::<f64, 2, 7, 6, 3, 3, 2, 2, 1, 1, 4, 3>::new().forward(
            &x,
            &mut want,
            1,
            &mut Default::default(),
        );
        max_pool2d::<f64, 2, 7, 6, 3, 3, 2, 2, 1, 1, 4, 3>(&x, &mut got);
        close(&got, &want, 0.0);
        AvgPool2d::<f64, 2, 7, 6, 3, 3, 2, 2, 1, 1, 4, 3>::new().forward(
            &x,
            &mut want,
            1,
            &mut Default::default(),
        );
        avg_pool2d::<f64, 2, 7, 6, 3, 3, 2, 2, 1, 1, 4, 3>(&x, &mut got);
        close(&got, &want, 1e-14);
        let (mut want, mut got) = ([0.0; 2], [0.0; 2]);
        GlobalAvgPool::<f64, 2, 7, 6>::new().forward(&x, &mut want, 1, &mut Default::default());
        global_avg_pool::<f64, 2, 42>(&x, &mut got);
        close(&got, &want, 1e-14);
    }
}
