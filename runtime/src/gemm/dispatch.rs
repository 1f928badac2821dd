//! Which instruction set the GEMM kernels use: detected once at run time (cached in an atomic)
//! and overridable per thread so tests can force the portable kernel.

use core::cell::Cell;
use core::sync::atomic::{AtomicU8, Ordering};

/// The instruction-set levels kiln has GEMM kernels for, slowest first.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Isa {
    /// Portable Rust, auto-vectorised for the compile target only.
    Generic,
    /// x86-64 AVX2 + FMA (256-bit).
    Avx2,
    /// x86-64 AVX-512F (512-bit).
    Avx512,
}

/// Everything the blocked driver needs to know about one micro-kernel.
///
/// The micro-kernel computes an `mr x nr` tile of `C = alpha * Ap Bp + beta * C` from packed
/// panels: `Ap` holds `kc` columns of `MR` rows (`Ap[p * MR + i]`), `Bp` holds `kc` rows of `NR`
/// columns (`Bp[p * NR + j]`); `mr <= MR`, `nr <= NR` clip the tile at the matrix edges.
#[doc(hidden)]
pub struct Kernel<T> {
    /// Rows of the register tile.
    pub(crate) mr: usize,
    /// Columns of the register tile.
    pub(crate) nr: usize,
    /// Depth of one packed block (the `B` micro-panel `KC x NR` lives in L1/L2).
    pub(crate) kc: usize,
    /// Rows of `A` packed at once (a multiple of `mr`).
    pub(crate) mc: usize,
    /// Columns of `B` packed at once (the `KC x NC` block lives in L2).
    pub(crate) nc: usize,
    /// The register-blocked micro-kernel.
    pub(crate) micro: MicroKernel<T>,
    /// The unpacked small-product path compiled for this instruction set.
    pub(crate) small: SmallKernel<T>,
}

/// `(kc, alpha, ap, bp, beta, c, rsc, csc, mr, nr)`; see [`Kernel`].
pub(crate) type MicroKernel<T> =
    unsafe fn(usize, T, *const T, *const T, T, *mut T, isize, isize, usize, usize);

/// The strided small-product entry point; see [`super::small`].
pub(crate) type SmallKernel<T> = unsafe fn(&super::Strided<T>);

/// 0 = not yet detected, otherwise `Isa as u8 + 1`.
static DETECTED: AtomicU8 = AtomicU8::new(0);

std::thread_local! {
    static FORCED: Cell<Option<Isa>> = const { Cell::new(None) };
}

fn detect() -> Isa {
    #[cfg(target_arch = "x86_64")]
    {
        let avx2 = std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("fma");
        // The AVX-512 level also runs the AVX2 small-product path.
        if avx2 && std::arch::is_x86_feature_detected!("avx512f") {
            return Isa::Avx512;
        }
        if avx2 {
            return Isa::Avx2;
        }
    }
    Isa::Generic
}

/// The best instruction set this CPU supports (detected on first use).
pub(crate) fn detected() -> Isa {
    match DETECTED.load(Ordering::Relaxed) {
        1 => Isa::Generic,
        2 => Isa::Avx2,
        3 => Isa::Avx512,
        _ => {
            let isa = detect();
            DETECTED.store(isa as u8 + 1, Ordering::Relaxed);
            isa
        }
    }
}

/// The instruction set GEMM calls on this thread use: the detected one unless lowered by
/// [`force_isa`]. Never above what the CPU supports.
pub(crate) fn current() -> Isa {
    let best = detected();
    match FORCED.try_with(Cell::get).ok().flatten() {
        Some(forced) => forced.min(best),
        None => best,
    }
}

/// Make GEMM calls from this thread use at most `isa` (`None` restores detection); for tests
/// and benchmarks. Requests above what the CPU supports are clamped, so this is always safe.
#[doc(hidden)]
pub fn force_isa(isa: Option<Isa>) {
    FORCED.with(|f| f.set(isa));
}
