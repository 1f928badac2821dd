//! The plain fills every scheme is built on: a constant, uniform draws, normal draws, each
//! computed in f64 from [`crate::rng`] and rounded to `T` (so f32 and f64 weights from the
//! same seed agree up to rounding).

use crate::float::Float;
use crate::rng::{standard_normal_f64, unit_f64, KilnRng};

/// Sets every element to `value` (consumes no randomness).
pub(crate) fn fill_constant<T: Float>(w: &mut [T], value: f64) {
    w.fill(T::from_f64(value));
}

/// Independent uniform draws on `[low, high)`, one `u64` each, in order.
pub(crate) fn fill_uniform<T: Float>(w: &mut [T], low: f64, high: f64, rng: &mut KilnRng) {
    for x in w {
        *x = T::from_f64(low + (high - low) * unit_f64(rng));
    }
}

/// Independent normal draws `mean + std * z`, two `u64`s each, in order.
pub(crate) fn fill_normal<T: Float>(w: &mut [T], mean: f64, std: f64, rng: &mut KilnRng) {
    for x in w {
        *x = T::from_f64(mean + std * standard_normal_f64(rng));
    }
}
