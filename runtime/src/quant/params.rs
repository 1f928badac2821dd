//! Scales and zero points: an activation tensor's from its calibrated range (asymmetric, the
//! zero exactly representable), a weight row's from its largest magnitude (symmetric).

/// `real = scale * (q - zero_point)` for `q` in -128..=127.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct QuantParams {
    /// The real value of one step.
    pub scale: f32,
    /// The integer that stands for the real 0.
    pub zero_point: i32,
}

const QMIN: i32 = -128;
const QMAX: i32 = 127;

impl QuantParams {
    /// TFLite's (gemmlowp's) choice for an asymmetric int8 tensor covering `[min, max]`: the
    /// range is widened to include 0, scaled onto 255 steps, and the zero point taken from the
    /// end with the smaller rounding error, then rounded and clamped so that 0 is exact. An
    /// empty range (`min == max == 0`) gets scale 1; NaN bounds count as 0.
    pub fn from_range(min: f32, max: f32) -> Self {
        let lo = if min < 0.0 { min as f64 } else { 0.0 };
        let hi = if max > 0.0 { max as f64 } else { 0.0 };
        if hi - lo <= 0.0 || !(hi - lo).is_finite() {
            return QuantParams {
                scale: 1.0,
                zero_point: 0,
            };
        }
        let scale = (hi - lo) / (QMAX - QMIN) as f64;
        let from_min = QMIN as f64 - lo / scale;
        let from_max = QMAX as f64 - hi / scale;
        let err_min = (QMIN as f64).abs() + (lo / scale).abs();
        let err_max = (QMAX as f64).abs() + (hi / scale).abs();
        let zp = if err_min < err_max {
            from_min
        } else {
            from_max
        };
        let zero_point = if zp < QMIN as f64 {
            QMIN
        } else if zp > QMAX as f64 {
            QMAX
        } else {
            libm::round(zp) as i32
        };
        QuantParams {
            scale: scale as f32,
            zero_point,
        }
    }

    /// `clamp(round(x / scale) + zero_point)`, ties away from zero, in f32 as TFLite does.
    pub fn quantize(self, x: f32) -> i8 {
        let q = libm::roundf(x / self.scale) as i32 + self.zero_point;
        q.clamp(QMIN, QMAX) as i8
    }

    /// `scale * (q - zero_point)`.
    pub fn dequantize(self, q: i8) -> f32 {
        self.scale * (q as i32 - self.zero_point) as f32
    }
}

/// One output channel's weights quantized symmetrically: `scale = max |w| / 127` (1 for an
/// all-zero row), `q = clamp(round(w / scale), -127, 127)`. Returns the scale.
pub fn quantize_weights(w: &[f32], q: &mut [i8]) -> f32 {
    let max = w
        .iter()
        .fold(0.0f32, |m, &v| if v.abs() > m { v.abs() } else { m });
    let scale = if max > 0.0 { max / 127.0 } else { 1.0 };
    for (q, &v) in q.iter_mut().zip(w) {
        *q = (libm::roundf(v / scale) as i32).clamp(-127, 127) as i8;
    }
    scale
}

/// A bias in int32 units of `input_scale * weight_scale` (TFLite's bias scale), rounded with
/// ties away from zero and saturated. `b` is f64 so that a sum of float biases (an LSTM's
/// two) is rounded once.
pub fn quantize_bias(b: f64, input_scale: f32, weight_scale: f32) -> i32 {
    let q = libm::round(b / (input_scale as f64 * weight_scale as f64));
    if q.is_nan() {
        0
    } else {
        q.clamp(i32::MIN as f64, i32::MAX as f64) as i32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_is_exact_and_the_range_is_covered() {
        let p = QuantParams::from_range(-1.0, 3.0);
        assert_eq!(p.dequantize(p.quantize(0.0)), 0.0);
        assert!((p.dequantize(p.quantize(3.0)) - 3.0).abs() <= p.scale);
        assert!((p.dequantize(p.quantize(-1.0)) + 1.0).abs() <= p.scale);
        // A range above zero is widened to include it: zero point at the bottom.
        assert_eq!(QuantParams::from_range(2.0, 6.0).zero_point, -128);
        assert_eq!(QuantParams::from_range(0.0, 0.0).scale, 1.0);
    }

    #[test]
    fn weights_are_symmetric_per_row() {
        let mut q = [0i8; 4];
        let s = quantize_weights(&[0.5, -1.0, 0.25, 0.0], &mut q);
        assert_eq!(s, 1.0 / 127.0);
        assert_eq!(q, [64, -127, 32, 0]);
    }
}
