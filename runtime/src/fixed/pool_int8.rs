//! Pooling of int8 maps (input and output share scale and zero point, as in TFLite): max of
//! the window, or its mean rounded to nearest with ties away from zero. Windows count only
//! the positions inside the map.

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
    pool::<H, W, KH, KW, SH, SW, OH, OW>(x, y, C, |vals| {
        vals.fold(i8::MIN as i32, |m, v| m.max(v))
    });
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
    pool::<H, W, KH, KW, SH, SW, OH, OW>(x, y, C, |vals| {
        let (sum, n) = vals.fold((0i32, 0i32), |(s, n), v| (s + v, n + 1));
        let n = n.max(1);
        if sum > 0 {
            (sum + n / 2) / n
        } else {
            (sum - n / 2) / n
        }
    });
}

#[allow(clippy::too_many_arguments)]
fn pool<
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
    c: usize,
    reduce: impl Fn(&mut dyn Iterator<Item = i32>) -> i32,
) {
    assert!(
        x.len() == c * H * W && y.len() == c * OH * OW,
        "kiln bug: int8 pool sizes"
    );
    for (plane, out) in x.chunks_exact(H * W).zip(y.chunks_exact_mut(OH * OW)) {
        for (p, v) in out.iter_mut().enumerate() {
            let (y0, x0) = ((p / OW) * SH, (p % OW) * SW);
            let mut vals = (0..KH)
                .flat_map(|ky| (0..KW).map(move |kx| (y0 + ky, x0 + kx)))
                .filter(|&(iy, ix)| iy < H && ix < W)
                .map(|(iy, ix)| plane[iy * W + ix] as i32);
            *v = reduce(&mut vals).clamp(-128, 127) as i8;
        }
    }
}
