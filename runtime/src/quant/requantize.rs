//! An int32 accumulator rescaled to the output's int8 scale: the real multiplier
//! `input_scale * weight_scale / output_scale` as a Q31 fixed-point number and a power-of-two
//! shift, applied with gemmlowp's rounding (round to nearest, ties away from zero, saturating).

/// 2^31 and 2^64 as floats (no `powi` without std).
const TWO_31: f64 = 2_147_483_648.0;
const TWO_64: f64 = 18_446_744_073_709_551_616.0;

/// `real ~= multiplier * 2^(shift - 31)`, `multiplier` in `[2^30, 2^31)` (or 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuantizedMultiplier {
    /// The mantissa in Q31.
    pub multiplier: i32,
    /// The power of two: positive shifts left before the multiply, negative shifts right
    /// after it.
    pub shift: i32,
}

impl QuantizedMultiplier {
    /// A multiplier that maps everything to 0.
    pub const ZERO: Self = QuantizedMultiplier {
        multiplier: 0,
        shift: 0,
    };

    /// TFLite's `QuantizeMultiplier`: the mantissa of `real` rounded to 31 bits. Multipliers
    /// too small for a 31-bit right shift (below `2^-32`) become 0, as in TFLite; a negative,
    /// infinite or NaN `real` is 0 too (no valid scale gives one).
    /// A `const fn`, so baked int8 networks get their multipliers at compile time.
    pub const fn from_real(real: f64) -> Self {
        if real.is_nan() || real <= 0.0 || real.is_infinite() {
            return Self::ZERO;
        }
        let (frac, exp) = frexp(real);
        // `frac * 2^31` lies in [2^30, 2^31), where adding 0.5 is exact: rounding to nearest
        // with ties away from zero, as C's `round`.
        let mut q = (frac * TWO_31 + 0.5) as i64;
        let mut shift = exp;
        if q == 1 << 31 {
            q /= 2;
            shift += 1;
        }
        if shift < -31 {
            return Self::ZERO;
        }
        if shift > 30 {
            // Beyond any int32 result: saturate through the largest representable multiplier.
            return QuantizedMultiplier {
                multiplier: i32::MAX,
                shift: 30,
            };
        }
        QuantizedMultiplier {
            multiplier: q as i32,
            shift,
        }
    }

    /// The multiplier of a product layer's output channel: `input_scale * weight_scale /
    /// output_scale`, in f64 as TFLite's per-channel kernels compute it.
    pub const fn from_scales(input_scale: f32, weight_scale: f32, output_scale: f32) -> Self {
        Self::from_real(input_scale as f64 * weight_scale as f64 / output_scale as f64)
    }

    /// TFLite's `MultiplyByQuantizedMultiplier`: `x * real`, rounded as gemmlowp does.
    /// Branch-free, so a loop over channels vectorises.
    #[inline(always)]
    pub fn apply(self, x: i32) -> i32 {
        let left = self.shift.clamp(0, 31);
        let right = (-self.shift).clamp(0, 31);
        // `x * 2^left` saturated to i32 (exact in i64).
        let scaled = ((x as i64) << left).clamp(i32::MIN as i64, i32::MAX as i64) as i32;
        rounding_divide_by_pot(
            saturating_rounding_doubling_high_mul(scaled, self.multiplier),
            right,
        )
    }
}

/// `(a * b * 2) >> 32` rounded to nearest (ties away from zero), saturating the one overflow
/// (`i32::MIN * i32::MIN`).
#[inline(always)]
pub fn saturating_rounding_doubling_high_mul(a: i32, b: i32) -> i32 {
    let ab = a as i64 * b as i64;
    let nudge: i64 = if ab >= 0 { 1 << 30 } else { 1 - (1 << 30) };
    let v = ab + nudge;
    // Division by 2^31 truncating toward zero, as C's: round a negative `v` up first.
    let q = ((v + ((v >> 63) & ((1 << 31) - 1))) >> 31) as i32;
    if a == i32::MIN && b == i32::MIN {
        i32::MAX
    } else {
        q
    }
}

/// `x / 2^exponent` rounded to nearest, ties away from zero (`exponent` in 0..=31).
#[inline(always)]
pub fn rounding_divide_by_pot(x: i32, exponent: i32) -> i32 {
    let mask = ((1i64 << exponent) - 1) as i32;
    let remainder = x & mask;
    let threshold = (mask >> 1) + i32::from(x < 0);
    (x >> exponent) + i32::from(remainder > threshold)
}

/// `x = frac * 2^exp` with `frac` in `[0.5, 1)` (C's `frexp`), for finite positive `x`.
const fn frexp(x: f64) -> (f64, i32) {
    let bits = x.to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i32;
    if exp == 0 {
        // Subnormal: scale into the normal range first.
        let (f, e) = frexp(x * TWO_64);
        return (f, e - 64);
    }
    let frac = f64::from_bits((bits & !(0x7ff << 52)) | (1022 << 52));
    (frac, exp - 1022)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frexp_splits_like_c() {
        assert_eq!(frexp(1.0), (0.5, 1));
        assert_eq!(frexp(0.75), (0.75, 0));
        assert_eq!(frexp(3.0), (0.75, 2));
        let (f, e) = frexp(1e-310);
        assert!((0.5..1.0).contains(&f) && f * 2f64.powi(e + 64) == 1e-310 * 2f64.powi(64));
    }

    #[test]
    fn rounding_is_to_nearest_with_ties_away_from_zero() {
        assert_eq!(rounding_divide_by_pot(5, 1), 3);
        assert_eq!(rounding_divide_by_pot(-5, 1), -3);
        assert_eq!(rounding_divide_by_pot(-4, 1), -2);
        assert_eq!(rounding_divide_by_pot(7, 2), 2);
        assert_eq!(
            saturating_rounding_doubling_high_mul(i32::MIN, i32::MIN),
            i32::MAX
        );
        // 0.5 in Q31 times 100 is 50.
        let half = QuantizedMultiplier::from_real(0.5);
        assert_eq!((half.multiplier, half.shift), (1 << 30, 0));
        assert_eq!(half.apply(100), 50);
        assert_eq!(half.apply(101), 51);
        // gemmlowp's doubling high multiply breaks a negative tie toward zero.
        assert_eq!(half.apply(-101), -50);
        // The shift's rounding breaks ties away from zero: 0.25 = 0.5 * 2^-1.
        let quarter = QuantizedMultiplier::from_real(0.25);
        assert_eq!((quarter.multiplier, quarter.shift), (1 << 30, -1));
        assert_eq!((quarter.apply(6), quarter.apply(-6)), (2, -2));
        assert_eq!(
            QuantizedMultiplier::from_real(0.0),
            QuantizedMultiplier::ZERO
        );
        assert_eq!(
            QuantizedMultiplier::from_real(f64::NAN),
            QuantizedMultiplier::ZERO
        );
    }
}
