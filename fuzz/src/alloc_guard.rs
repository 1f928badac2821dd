//! A global allocator that records the largest single allocation each thread requests, so the
//! driver can flag inputs that make a reader allocate far more than their size justifies.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// The system allocator, noting each thread's largest request.
pub struct PeakTracking;

thread_local! {
    static PEAK: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: every call is forwarded unchanged to `System`; the bookkeeping touches only a
// const-initialised thread-local `Cell`, which neither allocates nor unwinds.
unsafe impl GlobalAlloc for PeakTracking {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(new_size);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

fn note(size: usize) {
    // `try_with` fails only while the thread is being torn down; nothing to record then.
    let _ = PEAK.try_with(|p| p.set(p.get().max(size)));
}

/// Forgets this thread's largest allocation so far.
pub fn reset_peak() {
    PEAK.with(|p| p.set(0));
}

/// The largest single allocation this thread requested since [`reset_peak`].
pub fn peak() -> usize {
    PEAK.with(Cell::get)
}
