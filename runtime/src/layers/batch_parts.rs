//! Splitting a batch into contiguous sample ranges that run in parallel on the GEMM worker
//! pool, for layers whose per-sample work (im2col, small products) is too small for the
//! GEMM's own threading to pay off; [`Disjoint`] hands each part its own output range.

use core::marker::PhantomData;
use core::ops::Range;

/// A mutable slice that parts running on different threads take disjoint ranges of.
pub(crate) struct Disjoint<'a, T> {
    ptr: *mut T,
    len: usize,
    _borrow: PhantomData<&'a mut [T]>,
}

// SAFETY: a `Disjoint` only gives out ranges through the unsafe `range`, whose callers
// guarantee that concurrently used ranges do not overlap; `T: Send` lets them move threads.
unsafe impl<T: Send> Sync for Disjoint<'_, T> {}

impl<'a, T> Disjoint<'a, T> {
    /// Wraps `s` for the duration of its borrow.
    pub(crate) fn new(s: &'a mut [T]) -> Self {
        Disjoint {
            ptr: s.as_mut_ptr(),
            len: s.len(),
            _borrow: PhantomData,
        }
    }

    /// The elements `r` of the wrapped slice.
    ///
    /// # Safety
    /// Ranges in use at the same time (on any thread) must not overlap.
    #[allow(clippy::mut_from_ref)]
    pub(crate) unsafe fn range(&self, r: Range<usize>) -> &mut [T] {
        assert!(
            r.start <= r.end && r.end <= self.len,
            "disjoint range out of bounds"
        );
        // SAFETY: in bounds (asserted) of a slice borrowed mutably for 'a; exclusivity is the
        // caller's contract.
        unsafe { core::slice::from_raw_parts_mut(self.ptr.add(r.start), r.end - r.start) }
    }
}

pub(crate) use crate::replica::part_range;

/// Runs `f(part, samples)` over `parts` ranges covering `0..batch` in parallel, or, when
/// `parts < 2` or the pool is busy, once as part 0 over the whole batch. Returns the number
/// of parts that ran.
pub(crate) fn run_parts(
    batch: usize,
    parts: usize,
    f: &(dyn Fn(usize, Range<usize>) + Sync),
) -> usize {
    if parts >= 2 && crate::gemm::try_parallel_fn(parts, &|p| f(p, part_range(batch, parts, p))) {
        return parts;
    }
    f(0, 0..batch);
    1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_write_disjoint_ranges() {
        let mut out = vec![0usize; 9];
        let d = Disjoint::new(&mut out);
        let ran = run_parts(9, 2, &|p, r| {
            // SAFETY: part ranges are disjoint.
            for v in unsafe { d.range(r) } {
                *v = p + 1;
            }
        });
        assert!(out.iter().all(|&v| v >= 1 && v <= ran));
        assert_eq!(
            out.iter().filter(|&&v| v == 1).count(),
            if ran == 2 { 5 } else { 9 }
        );
    }
}
