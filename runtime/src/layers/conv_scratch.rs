//! Per-thread scratch for the convolution layers' batched im2col buffers: layers run one at
//! a time, so one grow-only set per thread serves every conv layer of every network instead
//! of each layer keeping its own tens of megabytes. After warm-up nothing is allocated.

use core::any::TypeId;
use core::cell::RefCell;

use crate::float::Float;

/// Buffers handed out at once: `cols`, `dcols` and the transposed output or delta.
pub(crate) const SLOTS: usize = 3;

std::thread_local! {
    static F32: RefCell<[Vec<f32>; SLOTS]> = const { RefCell::new([Vec::new(), Vec::new(), Vec::new()]) };
    static F64: RefCell<[Vec<f64>; SLOTS]> = const { RefCell::new([Vec::new(), Vec::new(), Vec::new()]) };
}

/// Grow `v` to at least `n` elements (contents unspecified), dropping the old area first so
/// peak memory is the new size only.
fn grow<T: Float>(v: &mut Vec<T>, n: usize) {
    if v.len() < n {
        *v = Vec::new();
        v.resize(n, T::ZERO);
    }
}

/// Run `f` with this thread's scratch slices of `lens[i]` elements each (contents
/// unspecified). Falls back to fresh buffers when the thread-local ones are unavailable
/// (a nested call, thread teardown, or an element type other than `f32` / `f64`).
pub(crate) fn with_scratch<T: Float, R>(
    lens: [usize; SLOTS],
    f: impl FnOnce(&mut [T], &mut [T], &mut [T]) -> R,
) -> R {
    let mut f = Some(f);
    let mut run = |bufs: &mut [Vec<T>; SLOTS]| {
        for (b, &n) in bufs.iter_mut().zip(&lens) {
            grow(b, n);
        }
        let [a, b, c] = bufs;
        f.take()
            .map(|f| f(&mut a[..lens[0]], &mut b[..lens[1]], &mut c[..lens[2]]))
    };
    let id = TypeId::of::<T>();
    let done = if id == TypeId::of::<f32>() {
        F32.try_with(|cell| {
            let mut guard = cell.try_borrow_mut().ok()?;
            let bufs: *mut [Vec<f32>; SLOTS] = &mut *guard;
            // SAFETY: T is f32 (same TypeId), so this is the identical type behind the pointer,
            // borrowed exclusively through `guard` for the call.
            run(unsafe { &mut *bufs.cast::<[Vec<T>; SLOTS]>() })
        })
        .ok()
        .flatten()
    } else if id == TypeId::of::<f64>() {
        F64.try_with(|cell| {
            let mut guard = cell.try_borrow_mut().ok()?;
            let bufs: *mut [Vec<f64>; SLOTS] = &mut *guard;
            // SAFETY: T is f64 (same TypeId), so this is the identical type behind the pointer,
            // borrowed exclusively through `guard` for the call.
            run(unsafe { &mut *bufs.cast::<[Vec<T>; SLOTS]>() })
        })
        .ok()
        .flatten()
    } else {
        None
    };
    match done {
        Some(r) => r,
        None => run(&mut [Vec::new(), Vec::new(), Vec::new()])
            .unwrap_or_else(|| unreachable!("scratch closure consumed without a result")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reuses_and_nests() {
        let p = with_scratch::<f32, _>([4, 2, 1], |a, b, c| {
            assert_eq!((a.len(), b.len(), c.len()), (4, 2, 1));
            a.fill(1.0);
            // A nested call gets its own buffers rather than aliasing the outer ones.
            with_scratch::<f32, _>([3, 0, 0], |x, _, _| {
                x.fill(2.0);
                assert_eq!(x.len(), 3);
            });
            assert!(a.iter().all(|&v| v == 1.0));
            a.as_ptr()
        });
        let q = with_scratch::<f32, _>([3, 1, 1], |a, _, _| a.as_ptr());
        assert_eq!(p, q, "a smaller request reuses the grown buffer");
        with_scratch::<f64, _>([5, 5, 5], |a, b, c| {
            assert_eq!(a.len() + b.len() + c.len(), 15)
        });
    }
}
