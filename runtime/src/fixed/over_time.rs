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
        self.update(x, y, keep_last);
    }

    /// `mean_over_time`: the running mean.
    pub fn mean(&mut self, x: &[T], y: &mut [T]) {
        self.update(x, y, running_mean);
    }

    /// `max_over_time`: the running maximum.
    pub fn max(&mut self, x: &[T], y: &mut [T]) {
        self.update(x, y, running_max);
    }

    fn update(&mut self, x: &[T], y: &mut [T], f: fn(T, T, T) -> T) {
        advance(&mut self.run, &mut self.seen, x, f);
        y.copy_from_slice(&self.run);
    }
}

/// One step `x` into a running reduction: `run` is the reduction so far, `seen` the steps
/// seen, `f(r, v, n)` the new value from the old, the step's and the step count `n` (from 1).
/// The embedded form's state and the heap-backed `step` both advance through it.
pub fn advance<T: Float>(run: &mut [T], seen: &mut T, x: &[T], f: fn(T, T, T) -> T) {
    let n = *seen + T::ONE;
    for (r, &v) in run.iter_mut().zip(x) {
        *r = f(*r, v, n);
    }
    *seen = n;
}

/// `last_step`'s running value: the latest step.
pub fn keep_last<T: Float>(_r: T, v: T, _n: T) -> T {
    v
}

/// `mean_over_time`'s running value: `r + (v - r) / n`.
pub fn running_mean<T: Float>(r: T, v: T, n: T) -> T {
    r + (v - r) / n
}

/// `max_over_time`'s running value: the first step, then the larger.
pub fn running_max<T: Float>(r: T, v: T, n: T) -> T {
    if n == T::ONE || v > r {
        v
    } else {
        r
    }
}
