//! Memory-bound element-wise passes over large tensors (optimiser updates, the training
//! guard's scans and restore-point copies) split over both threads of the GEMM pool, whose
//! worker would otherwise sit idle while the caller streams the buffers.

use core::ops::Range;

use super::{max_threads, try_parallel_fn};

/// Elements from which a pass is split in two (below, a worker's wake-up costs
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::batch_parts::Disjoint;

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
            let s = Disjoint::new(&mut v);
            // SAFETY: `for_halves` passes disjoint ranges.
            for_halves(len, &|r| {
                unsafe { s.range(r) }.iter_mut().for_each(|x| *x += 1)
            });
            assert!(v.iter().all(|&x| x == 1), "{len}");
        }
    }
}
