//! `tanh` and the logistic sigmoid applied by the batch-1 kernels to sums still in registers.
//!
//! For `f32` a rational function `x P(x^2) / Q(x^2)` (degrees 4 and 4, fitted for this crate
//! by iteratively reweighted least squares on the relative error over `[0, 9]`) costs ten
//! multiply-adds and one division, a third of the exp-based [`fast_math`] `tanh` that the
//! batched layers use: max rel err 3.2e-7 with FMA, 4.0e-7 without (abs err of sigmoid,
//! `(1 + tanh(x/2)) / 2`, 2e-7). `f64` keeps the [`fast_math`] functions (1 ulp).
//!
//! [`fast_math`]: crate::activation::fast_math

use crate::activation::fast_math::{sigmoid_f64, tanh_f64};
use crate::activation::{cast_mut, map_inline, sigmoid::Sigmoid, tanh::Tanh};
use crate::float::Float;

/// Numerator of the `f32` tanh in `z = x^2`, lowest degree first.
const TANH_P: [f32; 5] = [
    1.0,
    1.338_101_3e-1,
    3.495_572_6e-3,
    2.060_876_4e-5,
    1.335_413_3e-8,
];
/// Denominator of the `f32` tanh in `z = x^2`, lowest degree first.
const TANH_Q: [f32; 5] = [
    1.0,
    4.671_433e-1,
    2.587_692_6e-2,
    3.285_606_5e-4,
    7.776_359_3e-7,
];
/// Beyond this the `f32` tanh is 1 to within rounding: inputs are clamped to it.
const TANH_CLAMP: f32 = 9.0;

/// The tanh coefficients for `sigmoid(x) = 1/2 + x Ps(x^2) / Qs(x^2)`, which is
/// `(1 + tanh(x/2)) / 2` rescaled by powers of two (so with the same roundings) and two
/// operations shorter: `Ps(z) = P(z/4)/4`, `Qs(z) = Q(z/4)`.
const SIGMOID_P: [f32; 5] = quarter_powers(TANH_P, 0.25);
const SIGMOID_Q: [f32; 5] = quarter_powers(TANH_Q, 1.0);

/// `c[k] * scale / 4^k`.
const fn quarter_powers(c: [f32; 5], scale: f32) -> [f32; 5] {
    let mut out = c;
    let mut f = scale;
    let mut k = 0;
    while k < 5 {
        out[k] = c[k] * f;
        f *= 0.25;
        k += 1;
    }
    out
}

/// Clamps with comparisons, so NaN passes through.
#[inline(always)]
fn clamp_keep_nan(x: f32, hi: f32) -> f32 {
    if x > hi {
        hi
    } else if x < -hi {
        -hi
    } else {
        x
    }
}

/// `a * b + c`, fused when `FMA` (only in code compiled for FMA).
#[inline(always)]
fn madd<const FMA: bool>(a: f32, b: f32, c: f32) -> f32 {
    if FMA {
        a.mul_add_hw(b, c)
    } else {
        a * b + c
    }
}

/// Polynomial with coefficients `c` (lowest degree first) at `z`, by Horner's rule.
#[inline(always)]
fn horner<const FMA: bool>(z: f32, c: &[f32; 5]) -> f32 {
    let mut p = c[4];
    for &k in c[..4].iter().rev() {
        p = madd::<FMA>(p, z, k);
    }
    p
}

/// `tanh x` for `f32` by the rational approximation (see the module docs).
#[inline(always)]
pub(crate) fn tanh_f32<const FMA: bool>(x: f32) -> f32 {
    let x = clamp_keep_nan(x, TANH_CLAMP);
    let z = x * x;
    let r = x * horner::<FMA>(z, &TANH_P) / horner::<FMA>(z, &TANH_Q);
    // Near the clamp the rounded ratio may pass 1 by an ulp or two.
    clamp_keep_nan(r, 1.0)
}

/// Logistic sigmoid for `f32` as `(1 + tanh(x/2)) / 2` (see [`SIGMOID_P`]).
#[inline(always)]
pub(crate) fn sigmoid_f32<const FMA: bool>(x: f32) -> f32 {
    let x = clamp_keep_nan(x, 2.0 * TANH_CLAMP);
    let z = x * x;
    let r = x * horner::<FMA>(z, &SIGMOID_P) / horner::<FMA>(z, &SIGMOID_Q);
    0.5 + clamp_keep_nan(r, 0.5)
}

/// The two gate functions per element type, for kernels that apply them unit by unit.
pub(crate) trait Gate: Float {
    fn gate_tanh<const FMA: bool>(self) -> Self;
    fn gate_sigmoid<const FMA: bool>(self) -> Self;
}

impl Gate for f32 {
    #[inline(always)]
    fn gate_tanh<const FMA: bool>(self) -> Self {
        tanh_f32::<FMA>(self)
    }
    #[inline(always)]
    fn gate_sigmoid<const FMA: bool>(self) -> Self {
        sigmoid_f32::<FMA>(self)
    }
}

impl Gate for f64 {
    #[inline(always)]
    fn gate_tanh<const FMA: bool>(self) -> Self {
        tanh_f64(self)
    }
    #[inline(always)]
    fn gate_sigmoid<const FMA: bool>(self) -> Self {
        sigmoid_f64(self)
    }
}

/// `x = tanh(x)` in place, inlined into the caller's instruction set.
#[inline(always)]
pub(crate) fn tanh_inline<T: Float, const FMA: bool>(x: &mut [T]) {
    if let Some(x) = cast_mut::<T, f32>(x) {
        for v in x.iter_mut() {
            *v = tanh_f32::<FMA>(*v);
        }
    } else if let Some(x) = cast_mut::<T, f64>(x) {
        for v in x.iter_mut() {
            *v = tanh_f64(*v);
        }
    } else {
        map_inline(&Tanh, x);
    }
}

/// `x = sigmoid(x)` in place, inlined into the caller's instruction set.
#[inline(always)]
pub(crate) fn sigmoid_inline<T: Float, const FMA: bool>(x: &mut [T]) {
    if let Some(x) = cast_mut::<T, f32>(x) {
        for v in x.iter_mut() {
            *v = sigmoid_f32::<FMA>(*v);
        }
    } else if let Some(x) = cast_mut::<T, f64>(x) {
        for v in x.iter_mut() {
            *v = sigmoid_f64(*v);
        }
    } else {
        map_inline(&Sigmoid, x);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Max relative error of `f` against `reference` over `n + 1` points from `lo` to `hi`.
    fn max_rel(
        f: impl Fn(f32) -> f32,
        reference: impl Fn(f64) -> f64,
        lo: f64,
        hi: f64,
        n: usize,
    ) -> f64 {
        (0..=n)
            .map(|i| {
                let x = (lo + (hi - lo) * i as f64 / n as f64) as f32;
                let want = reference(x as f64);
                let got = f(x) as f64;
                if want == 0.0 {
                    got.abs()
                } else {
                    ((got - want) / want).abs()
                }
            })
            .fold(0.0, f64::max)
    }

    #[test]
    fn tanh_sweeps() {
        // Without FMA (the portable path); the FMA paths run in the kernels' tests.
        let e = max_rel(tanh_f32::<false>, libm::tanh, -12.0, 12.0, 2_400_000);
        assert!(e <= 4.0e-7, "tanh_f32 max rel err {e:e}");
        let tiny = max_rel(tanh_f32::<false>, libm::tanh, 1e-30, 1e-3, 100_000);
        assert!(tiny <= 1.6e-7, "tanh_f32 near 0: {tiny:e}");
        assert_eq!(tanh_f32::<false>(0.0), 0.0);
        assert_eq!(tanh_f32::<false>(1e-30), 1e-30);
        assert_eq!(tanh_f32::<false>(f32::INFINITY), 1.0);
        assert_eq!(tanh_f32::<false>(-1e30), -1.0);
        assert!(tanh_f32::<false>(f32::NAN).is_nan());
        for x in [8.0f32, 8.5, 9.0, 20.0] {
            assert!(tanh_f32::<false>(x) <= 1.0 && tanh_f32::<false>(-x) >= -1.0);
        }
    }

    #[test]
    fn sigmoid_sweeps() {
        let sigmoid = |x: f64| 1.0 / (1.0 + libm::exp(-x));
        let worst = (0..=2_000_000)
            .map(|i| {
                let x = (-40.0 + 80.0 * i as f64 / 2e6) as f32;
                (sigmoid_f32::<false>(x) as f64 - sigmoid(x as f64)).abs()
            })
            .fold(0.0, f64::max);
        assert!(worst <= 2.0e-7, "sigmoid_f32 max abs err {worst:e}");
        assert_eq!(sigmoid_f32::<false>(0.0), 0.5);
        assert_eq!(sigmoid_f32::<false>(100.0), 1.0);
        assert_eq!(sigmoid_f32::<false>(-100.0), 0.0);
        assert!(sigmoid_f32::<false>(f32::NAN).is_nan());
        // The rescaled coefficients round exactly as tanh at x/2 does.
        for i in -40_000..=40_000 {
            let x = i as f32 * 5e-4;
            let via_tanh = 0.5 + 0.5 * tanh_f32::<false>(0.5 * x);
            assert_eq!(sigmoid_f32::<false>(x), via_tanh, "x = {x}");
        }
    }

    #[test]
    fn slices_of_each_type() {
        let mut a = [0.5f32, -2.0];
        tanh_inline::<f32, false>(&mut a);
        let mut b = [0.5f64, -2.0];
        tanh_inline::<f64, false>(&mut b);
        for (a, b) in a.iter().zip(&b) {
            assert!((*a as f64 - b).abs() < 1e-6);
        }
        assert_eq!(b[0], tanh_f64(0.5));
        sigmoid_inline::<f32, false>(&mut a);
        sigmoid_inline::<f64, false>(&mut b);
        for (a, b) in a.iter().zip(&b) {
            assert!((*a as f64 - b).abs() < 1e-6);
        }
    }
}
