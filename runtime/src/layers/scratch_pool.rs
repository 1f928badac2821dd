//! Per-thread pool of batch-sized scratch buffers: the convolutions' im2col areas and the
//! composite layers' gradients between their children. Layers run one at a time, so buffers
//! lent for the length of one call and given back serve every layer of every network, instead
//! of each layer keeping its own copy for the whole step. After warm-up nothing is allocated.

use core::any::Any;
use core::cell::RefCell;

use crate::float::Float;
use crate::layers::ensure_len;

std::thread_local! {
    static POOL: RefCell<Vec<Box<dyn Any>>> = const { RefCell::new(Vec::new()) };
}

/// The pooled buffer of element type `T` that best fits `len`: the smallest holding at least
/// `len` elements, else the largest (to be grown); a new one when the pool has none.
// The box is the pool's `dyn Any` slot itself: kept, so lending allocates nothing.
#[allow(clippy::box_collection)]
fn take<T: Float>(len: usize) -> Box<Vec<T>> {
    let found = POOL.try_with(|pool| {
        let mut pool = pool.try_borrow_mut().ok()?;
        let size = |b: &Box<dyn Any>| b.downcast_ref::<Vec<T>>().map(Vec::len);
        let fits = |n: usize| (n < len, if n < len { usize::MAX - n } else { n });
        let i = (0..pool.len())
            .filter_map(|i| size(&pool[i]).map(|n| (fits(n), i)))
            .min()?
            .1;
        pool.swap_remove(i).downcast().ok()
    });
    let mut buf: Box<Vec<T>> = found.ok().flatten().unwrap_or_default();
    if buf.len() < len {
        // Drop the old area first, so the peak is the new size only.
        *buf = Vec::new();
        buf.resize(len, T::ZERO);
    }
    buf
}

/// Returns `buf` to this thread's pool (dropped if the pool is gone or busy).
#[allow(clippy::box_collection)]
fn give<T: Float>(buf: Box<Vec<T>>) {
    let _ = POOL.try_with(|pool| {
        if let Ok(mut pool) = pool.try_borrow_mut() {
            pool.push(buf);
        }
    });
}

/// Bytes of the buffers this thread's pool holds now (none are lent between layer calls):
/// after a training pass over `b` samples, the scratch a batch of `b` needs beside the caches.
pub fn scratch_bytes() -> usize {
    POOL.try_with(|pool| {
        let pool = pool.try_borrow().ok()?;
        let bytes = |b: &Box<dyn Any>| {
            let f32s = b.downcast_ref::<Vec<f32>>().map(|v| v.len() * 4);
            f32s.or_else(|| b.downcast_ref::<Vec<f64>>().map(|v| v.len() * 8))
        };
        Some(pool.iter().filter_map(bytes).sum())
    })
    .ok()
    .flatten()
    .unwrap_or(0)
}

/// Runs `f` with a buffer of `len` elements (contents unspecified) lent by this thread's
/// pool. Nested calls get distinct buffers.
pub(crate) fn with_buffer<T: Float, R>(len: usize, f: impl FnOnce(&mut [T]) -> R) -> R {
    with_buffers([len], |[b]| f(b))
}

/// Runs `f` on `kept` (sized to `len`) when its contents must outlive the call, else on a
/// buffer lent for the call only: a composite's intermediate output that no backward reads.
pub(crate) fn kept_or_lent<T: Float, R>(
    keep: bool,
    kept: &mut Vec<T>,
    len: usize,
    f: impl FnOnce(&mut [T]) -> R,
) -> R {
    if keep {
        ensure_len(kept, len);
        f(kept)
    } else {
        with_buffer(len, f)
    }
}

/// [`with_buffer`] for `N` distinct buffers at once, of `lens[i]` elements each.
pub(crate) fn with_buffers<T: Float, R, const N: usize>(
    lens: [usize; N],
    f: impl FnOnce([&mut [T]; N]) -> R,
) -> R {
    let mut bufs: [Box<Vec<T>>; N] = core::array::from_fn(|i| take(lens[i]));
    let mut i = 0;
    let r = f(bufs.each_mut().map(|b| {
        i += 1;
        &mut b[..lens[i - 1]]
    }));
    for b in bufs {
        give(b);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_calls_get_distinct_buffers_and_reuse_them() {
        let p = with_buffers::<f32, _, 3>([4, 2, 1], |[a, b, c]| {
            assert_eq!((a.len(), b.len(), c.len()), (4, 2, 1));
            a.fill(1.0);
            with_buffer::<f32, _>(3, |x| {
                x.fill(2.0);
                assert_eq!(x.len(), 3);
            });
            assert!(a.iter().all(|&v| v == 1.0));
            a.as_ptr()
        });
        // The smallest buffer holding 4 is the one `a` had: it comes back.
        let q = with_buffer::<f32, _>(4, |a| a.as_ptr());
        assert_eq!(p, q);
        // A different element type never receives an f32 buffer.
        with_buffers::<f64, _, 2>([5, 5], |[a, b]| assert_eq!(a.len() + b.len(), 10));
        // Held now: f32 buffers of 4, 2, 1 and 3 elements (the 4 lent twice), f64 of 5 and 5.
        assert_eq!(scratch_bytes(), (4 + 2 + 1 + 3) * 4 + (5 + 5) * 8);
    }

    #[test]
    fn best_fit_keeps_the_pool_small() {
        // Two buffers in the pool after a nested use: 1000 and 10 elements.
        let (large, small) = with_buffer::<f64, _>(1000, |a| {
            (a.as_ptr(), with_buffer::<f64, _>(10, |b| b.as_ptr()))
        });
        // A small request takes the small one, leaving the large one for a large request,
        // rather than growing the small one.
        with_buffer::<f64, _>(7, |a| {
            assert_eq!((a.as_ptr(), a.len()), (small, 7));
            assert_eq!(with_buffer::<f64, _>(900, |b| b.as_ptr()), large);
        });
    }
}
