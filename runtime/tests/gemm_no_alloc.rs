//! A counting global allocator proves that kiln's GEMM allocates nothing per call once a call
//! of the same size has grown the packing buffers (and started the worker pool).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use kiln_runtime::gemm::{gemm_unchecked, Trans};
use kiln_runtime::Float;

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator, only counting calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        // SAFETY: same contract as ours.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations made by 5 rounds of every transpose form of an `m x k` by `k x n` product,
/// after one warm-up call of each.
fn allocations_after_warm_up<T: Float>(m: usize, k: usize, n: usize) -> usize {
    let a: Vec<T> = (0..m * k)
        .map(|i| T::from_f64((i % 7) as f64 - 3.0))
        .collect();
    let b: Vec<T> = (0..k * n)
        .map(|i| T::from_f64((i % 5) as f64 - 2.0))
        .collect();
    let mut c = vec![T::ZERO; m * n];
    let forms = [
        (Trans::No, Trans::No),
        (Trans::Yes, Trans::No),
        (Trans::No, Trans::Yes),
        (Trans::Yes, Trans::Yes),
    ];
    let mut run = |ta: Trans, tb: Trans| {
        let lda = if ta == Trans::No { k } else { m };
        let ldb = if tb == Trans::No { n } else { k };
        gemm_unchecked(
            ta,
            tb,
            m,
            n,
            k,
            T::ONE,
            &a,
            lda,
            &b,
            ldb,
            T::ZERO,
            &mut c,
            n,
        );
        std::hint::black_box(&mut c);
    };
    for &(ta, tb) in &forms {
        run(ta, tb);
    }
    let before = ALLOCATIONS.load(Ordering::SeqCst);
    for _ in 0..5 {
        for &(ta, tb) in &forms {
            run(ta, tb);
        }
    }
    ALLOCATIONS.load(Ordering::SeqCst) - before
}

// One test function so no other test thread allocates while we count.
#[test]
fn gemm_allocates_nothing_after_warm_up() {
    // m x k x n: a batch-1 MLP layer, a batch-64 MNIST layer, a large threaded product.
    for (m, k, n) in [(1, 16, 64), (64, 784, 256), (512, 512, 512)] {
        let n32 = allocations_after_warm_up::<f32>(m, k, n);
        assert_eq!(n32, 0, "f32 {m}x{k}x{n}: {n32} allocations after warm-up");
        let n64 = allocations_after_warm_up::<f64>(m, k, n);
        assert_eq!(n64, 0, "f64 {m}x{k}x{n}: {n64} allocations after warm-up");
    }
}
