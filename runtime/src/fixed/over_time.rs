//! Reductions over time in the embedded form's streaming `step`: each step outputs the
//! reduction of the sequence so far (the last step, the running mean or the running maximum),
//! so the layers after it give, at every step, the output the network would give if the
//! sequence ended there, as the heap-backed network's `step` does.

use crate::float::Float;

/// The running reduction of `F` features and the steps seen (in `T`, so the scratch's size is
/// a whole number of values).
#[derive(Clone, Debug)]
pub struct OverTimeState<T, const F: usize> {
    /// The reduction so far.
    pub run: [T; F],
    /// Steps seen since the sequence began.
    pub seen: T,
}

impl<T: Float, const F: usize> OverTimeState<T, F> {
    /// A sequence that has not begun.
    pub const ZERO: Self = OverTimeState {
        run: [T::ZERO; F],
        seen: T::ZERO,
    };

    /// `last_step`: the step's features.
    pub fn last(&mut self, x: &[T], y: &mut [T]) {
        self.update(x, y, |_, v, _| v);
    }

    /// `mean_over_time`: the running mean, `r += (x - r) / n`.
    pub fn mean(&mut self, x: &[T], y: &mut [T]) {
        self.update(x, y, |r, v, n| r + (v - r) / n);
    }

    /// `max_over_time`: the running maximum.
    pub fn max(&mut self, x: &[T], y: &mut [T]) {
        self.update(x, y, |r, v, n| if n == T::ONE || v > r { v } else { r });
    }

    fn update(&mut self, x: &[T], y: &mut [T], f: impl Fn(T, T, T) -> T) {
        let n = self.seen + T::ONE;
        for (r, &v) in self.run.iter_mut().zip(x) {
            *r = f(*r, v, n);
        }
        self.seen = n;
        y.copy_from_slice(&self.run);
    }
}
