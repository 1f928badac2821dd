//! Pooling of int8 maps (input and output share scale and zero point, as in TFLite): max of
//! the window, or its mean rounded to nearest with ties away from zero. Windows count only
//! the positions inside the map.

use super::pool2d::windows;

/// Max pooling of `[C, H, W]` with a `KH x KW` window and stride `(SH, SW)`, no padding.
pub fn max_pool2d_int8<
    const C: usize,
    const H: usize,
    const W: usize,
    const KH: usize,
    const KW: usize,
    const SH: usize,
    const SW: usize,
    const OH: usize,
    const OW: usize,
>(
    x: &[i8],
    y: &mut [i8],
) {
    windows::<i8, i8, C, H, W, KH, KW, SH, SW, 0, 0, OH, OW>(x, y, i8::MIN, i8::max, |m| m);
}

/// Average pooling of `[C, H, W]` like [`max_pool2d_int8`]: TFLite's rounding of the sum.
pub fn avg_pool2d_int8<
    const C: usize,
    const H: usize,
    const W: usize,
    const KH: usize,
    const KW: usize,
    const SH: usize,
    const SW: usize,
    const OH: usize,
    const OW: usize,
>(
    x: &[i8],
    y: &mut [i8],
) {
    let sum = |(s, n): (i32, i32), v: i8| (s + v as i32, n + 1);
    windows::<i8, (i32, i32), C, H, W, KH, KW, SH, SW, 0, 0, OH, OW>(x, y, (0, 0), sum, mean);
}

/// The rounded mean of `n` values summing to `sum`, ties away from zero, saturated to int8.
fn mean((sum, n): (i32, i32)) -> i8 {
    let n = n.max(1);
    let m = if sum > 0 {
        (sum + n / 2) / n
    } else {
        (sum - n / 2) / n
    };
    m.clamp(-128, 127) as i8
}
