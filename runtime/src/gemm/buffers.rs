//! Per-thread packing buffers that only grow: the first product of the largest size allocates
//! them, every later call on the same thread reuses them, so steady-state GEMM never allocates.

use core::cell::RefCell;

/// One cache line; the unit the buffers are allocated in, so packed panels start 64-byte
/// aligned.
#[derive(Clone, Copy)]
#[repr(C, align(64))]
struct Line([u8; 64]);

/// A grow-only, 64-byte-aligned scratch area.
struct Scratch {
    lines: Vec<Line>,
}

impl Scratch {
    const fn new() -> Self {
        Scratch { lines: Vec::new() }
    }

    /// A pointer to at least `bytes` bytes, reallocating only if the area is too small.
    fn reserve(&mut self, bytes: usize) -> *mut u8 {
        let need = bytes.div_ceil(64);
        if self.lines.len() < need {
            // Drop the old area first so peak memory is the new size only.
            self.lines = Vec::new();
            self.lines.resize(need, Line([0; 64]));
        }
        self.lines.as_mut_ptr().cast()
    }
}

/// The two packing areas of one thread: `A` blocks and `B` blocks.
struct PackBuffers {
    a: Scratch,
    b: Scratch,
}

std::thread_local! {
    static BUFFERS: RefCell<PackBuffers> = const {
        RefCell::new(PackBuffers { a: Scratch::new(), b: Scratch::new() })
    };
}

/// Run `f` with this thread's packing buffers grown to `a_elems` and `b_elems` elements of
/// `T` (64-byte aligned, contents unspecified).
///
/// If the thread-local buffers are unavailable (already borrowed, or the thread is being torn
/// down) temporary buffers are used instead: still correct, just not allocation-free.
pub(crate) fn with_pack_buffers<T, R>(
    a_elems: usize,
    b_elems: usize,
    f: impl FnOnce(*mut T, *mut T) -> R,
) -> R {
    let a_bytes = a_elems * core::mem::size_of::<T>();
    let b_bytes = b_elems * core::mem::size_of::<T>();
    let mut f = Some(f);
    let done = BUFFERS.try_with(|cell| {
        let mut bufs = cell.try_borrow_mut().ok()?;
        let pa = bufs.a.reserve(a_bytes).cast::<T>();
        let pb = bufs.b.reserve(b_bytes).cast::<T>();
        let f = f.take()?;
        Some(f(pa, pb))
    });
    match (done, f) {
        (Ok(Some(r)), _) => r,
        (_, Some(f)) => {
            let mut a = Scratch::new();
            let mut b = Scratch::new();
            f(a.reserve(a_bytes).cast(), b.reserve(b_bytes).cast())
        }
        (_, None) => unreachable!("packing closure consumed without a result"),
    }
}
