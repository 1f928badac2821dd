//! Element-wise optimiser updates of large tensors split over both threads of the GEMM pool:
//! an update streams several buffers per parameter and is memory-bound, and the pool's
//! worker would otherwise sit idle while the caller updates the weights.

use core::ops::Range;

use crate::gemm::{max_threads, try_parallel_fn};

/// Elements from which a tensor's update is split in two (below, a worker's wake-up costs
/// more than it saves).
const SPLIT_FROM: usize = 1 << 15;

/// Calls `f(range)` for ranges covering `0..len`: two halves on two threads when `len` is
/// large and the pool is free, else `0..len` on this thread. `f` must only touch its range.
pub(crate) fn for_halves(len: usize, f: &(dyn Fn(Range<usize>) + Sync)) {
    if len >= SPLIT_FROM && max_threads() >= 2 {
        // Halves on a 64-byte boundary, so the two threads never share a cache line.
        let mid = (len / 2).next_multiple_of(16).min(len);
        let part = |p: usize| f(if p == 0 { 0..mid } else { mid..len });
        if try_parallel_fn(2, &part) {
            return;
        }
    }
    f(0..len)
}

/// A mutable slice handed to the parts of [`for_halves`], each taking a disjoint range.
pub(crate) struct Shared<T> {
    ptr: *mut T,
    len: usize,
}

// SAFETY: `Shared` only hands out disjoint ranges (caller contract of `range`), so sending or
// sharing it between threads is sound when `T` itself is `Send`.
unsafe impl<T: Send> Send for Shared<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Sync for Shared<T> {}

impl<T> Shared<T> {
    pub(crate) fn new(s: &mut [T]) -> Self {
        Shared {
            ptr: s.as_mut_ptr(),
            len: s.len(),
        }
    }

    /// The elements `r` of the slice.
    ///
    /// # Safety
    /// No two live results may overlap, and the slice given to [`Shared::new`] must outlive
    /// them and not be used otherwise meanwhile.
    #[allow(clippy::mut_from_ref)]
    pub(crate) unsafe fn range(&self, r: Range<usize>) -> &mut [T] {
        assert!(
            r.start <= r.end && r.end <= self.len,
            "range inside the slice"
        );
        // SAFETY: in bounds (asserted); exclusivity is the caller's contract.
        unsafe { core::slice::from_raw_parts_mut(self.ptr.add(r.start), r.end - r.start) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halves_cover_every_element_once() {
        for len in [
            0,
            1,
            100,
            SPLIT_FROM - 1,
            SPLIT_FROM,
            SPLIT_FROM + 17,
            3 * SPLIT_FROM,
        ] {
            let mut v = vec![0u32; len];
            let s = Shared::new(&mut v);
            // SAFETY: `for_halves` passes disjoint ranges.
            for_halves(len, &|r| {
                unsafe { s.range(r) }.iter_mut().for_each(|x| *x += 1)
            });
            assert!(v.iter().all(|&x| x == 1), "{len}");
        }
    }
}
