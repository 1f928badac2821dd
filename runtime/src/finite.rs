//! The scan for NaN and infinity behind the training guard and gradient clipping: it runs
//! over every gradient and parameter at every guarded step, so it is a vectorised pass
//! (`x * 0` is 0 for a finite `x` and NaN otherwise) rather than a test per element.

use core::sync::atomic::{AtomicBool, Ordering};

use crate::activation::multiversion;
use crate::float::Float;
use crate::gemm::for_halves;

/// Lanes of the running sum (a whole number of vectors of either type on every target).
const LANES: usize = 16;

/// The index of the first NaN or infinite value of `v`, if any.
pub fn first_non_finite<T: Float>(v: &[T]) -> Option<usize> {
    let bad = AtomicBool::new(false);
    // Large slices in two halves on two threads.
    for_halves(v.len(), &|r| {
        if !sum_is_finite(&v[r]) {
            bad.store(true, Ordering::Relaxed);
        }
    });
    if bad.load(Ordering::Relaxed) {
        v.iter().position(|x| !x.is_finite())
    } else {
        None
    }
}

multiversion! {
    /// Whether every value of `v` is finite: the lanes of `x * 0` summed.
    fn sum_is_finite<T: Float>(v: &[T]) -> bool {
        let (chunks, tail) = v.as_chunks::<LANES>();
        let mut acc = [T::ZERO; LANES];
        for c in chunks {
            for l in 0..LANES {
                acc[l] += c[l] * T::ZERO;
            }
        }
        acc.iter().chain(tail).all(|x| x.is_finite())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activation::{available_levels, with_level};

    #[test]
    fn finds_the_first_nan_or_infinity_at_every_position_and_level() {
        for level in available_levels() {
            with_level(level, || {
                for n in [
                    0,
                    1,
                    15,
                    16,
                    17,
                    255,
                    256,
                    257,
                    1000,
                    1 << 15,
                    (1 << 15) + 3,
                ] {
                    let clean = vec![1.5f32; n];
                    assert_eq!(first_non_finite(&clean), None, "n {n}");
                    for at in [0, n / 2, n.saturating_sub(1)]
                        .into_iter()
                        .filter(|&a| a < n)
                    {
                        for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
                            let mut v = clean.clone();
                            v[at] = bad;
                            v[n - 1] = if at == n - 1 { bad } else { f32::NAN };
                            assert_eq!(first_non_finite(&v), Some(at), "n {n} at {at} {bad}");
                        }
                    }
                    let big = vec![f64::MAX; n];
                    assert_eq!(first_non_finite(&big), None, "f64::MAX is finite");
                }
            });
        }
    }
}
