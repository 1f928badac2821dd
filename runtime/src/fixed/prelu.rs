//! PReLU, batch 1: `y = x` for `x > 0`, `a x` otherwise, with one slope (`C == 1`) or one per
//! channel, a run of `S` values (`S = 1` for flat features, `H * W` for feature maps).

use crate::activation::prelu::prelu_forward;
use crate::float::Float;

/// PReLU's slopes.
#[derive(Clone, Debug)]
pub struct PRelu<T, const C: usize, const S: usize = 1> {
    /// Slope `a` applied to negative inputs: one shared value (`C == 1`) or one per channel.
    pub weight: [T; C],
}

impl<T: Float, const C: usize, const S: usize> PRelu<T, C, S> {
    /// All zeros.
    pub const ZERO: Self = PRelu {
        weight: [T::ZERO; C],
    };

    /// `y = x` where `x > 0`, else `a x` with the slope of the value's channel. `x` and `y`
    /// have the same length, `C * S` values with per-channel slopes; a layout that does not
    /// fit the slopes is a bug in the calling code and panics.
    pub fn forward(&self, x: &[T], y: &mut [T]) {
        y.copy_from_slice(x);
        if prelu_forward(y, &self.weight, S).is_err() {
            panic!("kiln bug: PReLU sizes");
        }
    }
}
