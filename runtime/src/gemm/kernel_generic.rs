//! The portable micro-kernel: plain Rust on a small register tile, for CPUs without the
//! x86 extensions (and as the reference the SIMD kernels are tested against).

use super::blocked::store_edge;
use super::dispatch::Kernel;
use super::small::small_generic;
use crate::float::Float;

const MR: usize = 4;
const NR: usize = 8;

/// `C[..mr][..nr] = alpha * Ap Bp + beta * C` for packed `4 x kc` and `kc x 8` panels.
///
/// # Safety
/// `ap` / `bp` must hold `kc * 4` / `kc * 8` elements; the `mr x nr` tile of C at `c` with
/// strides `rsc`, `csc` must be writable and not overlap them.
#[allow(clippy::too_many_arguments)]
unsafe fn micro<T: Float>(
    kc: usize,
    alpha: T,
    ap: *const T,
    bp: *const T,
    beta: T,
    c: *mut T,
    rsc: isize,
    csc: isize,
    mr: usize,
    nr: usize,
) {
    let mut acc = [[T::ZERO; NR]; MR];
    for q in 0..kc {
        // SAFETY: q < kc, so both panel rows are inside the packed buffers.
        let (a, b) = unsafe {
            (
                &*ap.add(q * MR).cast::<[T; MR]>(),
                &*bp.add(q * NR).cast::<[T; NR]>(),
            )
        };
        for (row, &ai) in acc.iter_mut().zip(a) {
            for (x, &bj) in row.iter_mut().zip(b) {
                *x += ai * bj;
            }
        }
    }
    let tile = acc.as_flattened();
    // SAFETY: caller contract for the tile of C.
    unsafe { store_edge(tile, NR, mr, nr, alpha, beta, c, rsc, csc) };
}

/// The portable kernel's parameters for element type `T`.
pub(crate) const fn kernel<T: Float>() -> Kernel<T> {
    Kernel {
        mr: MR,
        nr: NR,
        kc: 256,
        mc: 64,
        nc: 512,
        micro: micro::<T>,
        small: small_generic::<T>,
    }
}

pub(crate) static F32: Kernel<f32> = kernel::<f32>();
pub(crate) static F64: Kernel<f64> = kernel::<f64>();
