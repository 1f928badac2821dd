//! The BLIS-style blocked driver: loops over `NC` column blocks of `B`, `KC`-deep slices and
//! `MC` row blocks of `A`, packs each, and sweeps the micro-kernel over the register tiles.
//! Large products are split by columns (or rows) of `C` over the worker pool.

use super::buffers::with_pack_buffers;
use super::pack::{pack_a, pack_b};
use super::packed::PackedRef;
use super::{pool, Kernel, Strided};
use crate::float::Float;

/// Multiply-adds each thread needs before splitting pays for a worker's wake-up and the
/// duplicated packing (measured: two threads win clearly from about 96 x 96 x 96 on, and
/// are a gamble at 64 x 64 x 64 when the other core is busy).
const MACS_PER_THREAD: usize = 64 * 64 * 64;

/// Largest packed `A` a thread keeps for all its column blocks (bytes): up to this, reading
/// the kept panels back beats packing them again for every block of `NC` columns (T6's
/// 256-row products: packing A fell from 8.5% to 2.9% of the step).
const KEEP_A_BYTES: usize = 8 << 20;

/// Split `len` into `blocks` near-equal blocks of at most `max`, rounded up to `align`.
pub(crate) fn balanced_block(len: usize, max: usize, align: usize) -> usize {
    let blocks = len.div_ceil(max);
    len.div_ceil(blocks)
        .next_multiple_of(align)
        .min(max.max(align))
}

/// Threads worth using for a product of `macs` multiply-adds.
pub(crate) fn threads_for(macs: usize) -> usize {
    pool::max_threads().min(macs / MACS_PER_THREAD).max(1)
}

/// Compute `p` with `kernel`, on up to `max_threads` threads (fewer if `C` has fewer
/// register tiles along the split dimension).
///
/// # Safety
/// The contract of [`super::gemm_strided`], with `m, n, k > 0`, and `kernel` must be
/// supported by this CPU.
pub(crate) unsafe fn run<T: Float>(kernel: &'static Kernel<T>, p: &Strided<T>, max_threads: usize) {
    // C^T = op(B)^T op(A)^T: when C is narrower than a register tile but tall (say 64 x 10
    // against a 8 x 32 tile), computing the transpose pads far less. Only worth it when C
    // is small, since the transposed tiles are stored element by element.
    let padded = |rows: usize, cols: usize| {
        rows.next_multiple_of(kernel.mr) * cols.next_multiple_of(kernel.nr)
    };
    if p.n < kernel.nr && 2 * padded(p.n, p.m) <= padded(p.m, p.n) {
        let t = Strided {
            m: p.n,
            n: p.m,
            a: p.b,
            rsa: p.csb,
            csa: p.rsb,
            b: p.a,
            rsb: p.csa,
            csb: p.rsa,
            rsc: p.csc,
            csc: p.rsc,
            ..*p
        };
        // SAFETY: the same elements, addressed through swapped strides.
        return unsafe { run_oriented(kernel, &t, None, max_threads) };
    }
    // SAFETY: forwarded contract.
    unsafe { run_oriented(kernel, p, None, max_threads) }
}

/// [`run`] with `B` already packed (`p.b` unused).
///
/// # Safety
/// As [`run`] for `A` and `C`; `packed` must hold `p.k x p.n` packed for `kernel`.
pub(crate) unsafe fn run_packed_b<T: Float>(
    kernel: &'static Kernel<T>,
    p: &Strided<T>,
    packed: PackedRef<T>,
    max_threads: usize,
) {
    // SAFETY: forwarded contract.
    unsafe { run_oriented(kernel, p, Some(packed), max_threads) }
}

/// [`run`] once the orientation of the product is settled.
///
/// # Safety
/// As [`run`].
unsafe fn run_oriented<T: Float>(
    kernel: &'static Kernel<T>,
    p: &Strided<T>,
    packed: Option<PackedRef<T>>,
    max_threads: usize,
) {
    let split_n = p.n >= p.m;
    let (dim, align) = if split_n {
        (p.n, kernel.nr)
    } else {
        (p.m, kernel.mr)
    };
    let threads = max_threads.min(dim.div_ceil(align)).max(1);
    if threads > 1 {
        let job = Job {
            kernel,
            p: *p,
            packed,
            split_n,
            chunk: dim.div_ceil(threads).next_multiple_of(align),
        };
        // SAFETY: `job` outlives the call (try_parallel joins every part before returning or
        // unwinding); parts write disjoint column (or row) ranges of C, and the caller's
        // contract covers every address a part touches.
        let ran = unsafe {
            pool::try_parallel(threads, run_part::<T>, (&job as *const Job<T>).cast::<()>())
        };
        if ran {
            return;
        }
    }
    // SAFETY: forwarded contract.
    unsafe { run_single(kernel, p, p, packed) }
}

/// One multi-threaded product and how it is cut into parts.
struct Job<T: 'static> {
    kernel: &'static Kernel<T>,
    p: Strided<T>,
    /// `B` packed beforehand, if it was.
    packed: Option<PackedRef<T>>,
    /// Cut by columns of C (else by rows).
    split_n: bool,
    /// Columns (rows) per part, a multiple of the register tile.
    chunk: usize,
}

/// Compute part `part` of the [`Job`] at `data`.
///
/// # Safety
/// `data` must point to a live `Job<T>` satisfying [`run`]'s contract.
unsafe fn run_part<T: Float>(data: *const (), part: usize) {
    // SAFETY: the caller passes the `Job<T>` it created, alive until all parts are joined.
    let job = unsafe { &*data.cast::<Job<T>>() };
    let full = &job.p;
    let mut sub = *full;
    let start = part * job.chunk;
    let dim = if job.split_n { full.n } else { full.m };
    if start >= dim {
        return;
    }
    let len = job.chunk.min(dim - start);
    let mut packed = job.packed;
    // SAFETY: `start < dim`, so the offset sub-matrix lies inside the full product's operands
    // (a packed B is addressed by column index, not pointer: `col0`).
    unsafe {
        if job.split_n {
            sub.n = len;
            if let Some(pk) = &mut packed {
                pk.col0 += start;
            } else {
                sub.b = full.b.offset(start as isize * full.csb);
            }
            sub.c = full.c.offset(start as isize * full.csc);
        } else {
            sub.m = len;
            sub.a = full.a.offset(start as isize * full.rsa);
            sub.c = full.c.offset(start as isize * full.rsc);
        }
        run_single(job.kernel, &sub, full, packed);
    }
}

/// The blocked product `p` on this thread. Block (and so buffer) sizes are derived from
/// `full`, the whole product `p` is a part of, so every split of one product needs the same
/// buffer sizes: a warm-up call then covers later calls whichever way they are split.
///
/// # Safety
/// As [`run`], for `p`.
unsafe fn run_single<T: Float>(
    kernel: &Kernel<T>,
    p: &Strided<T>,
    full: &Strided<T>,
    packed: Option<PackedRef<T>>,
) {
    let (mr, nr) = (kernel.mr, kernel.nr);
    // Block sizes come from the whole product, so every part uses the same ones (a packed
    // B was cut with the same rule for the same k).
    let kc_blk = balanced_block(full.k, kernel.kc, 1);
    debug_assert!(packed.is_none_or(|pk| pk.kc_blk == kc_blk && pk.col0 % nr == 0));
    let mc_blk = balanced_block(full.m, kernel.mc, mr);
    let nc_blk = balanced_block(full.n, kernel.nc, nr);
    let b_room = if packed.is_some() { 0 } else { nc_blk * kc_blk };
    // With several column blocks, every block would repack the same rows of A: keep all of
    // this part's A packed instead (slice `pc / kc_blk` at `pc / kc_blk * m_pad * kc_blk`,
    // row block `ic` at `ic * kc` within it) when it is small enough to stay in cache.
    let m_pad = p.m.next_multiple_of(mr);
    let slices = p.k.div_ceil(kc_blk);
    let keep_a =
        p.n > nc_blk && m_pad * kc_blk * slices * core::mem::size_of::<T>() <= KEEP_A_BYTES;
    let a_room = if keep_a {
        m_pad * kc_blk * slices
    } else {
        mc_blk * kc_blk
    };
    with_pack_buffers::<T, ()>(a_room, b_room, |ap_all, bp_own| {
        let mut jc = 0;
        while jc < p.n {
            let nc = nc_blk.min(p.n - jc);
            let mut pc = 0;
            while pc < p.k {
                let kc = kc_blk.min(p.k - pc);
                // Later depth slices accumulate onto the first one's result.
                let beta = if pc == 0 { p.beta } else { T::ONE };
                let bp: *const T = match packed {
                    // SAFETY: slice `pc / kc_blk` holds every panel of op(B) for this depth
                    // block, `kc` deep; panel `(col0 + jc) / nr` starts this column block.
                    Some(pk) => unsafe {
                        pk.data
                            .add((pc / kc_blk) * pk.slice + (pk.col0 + jc) / nr * nr * kc)
                    },
                    None => {
                        // SAFETY: the block (pc.., jc..) of B is inside B; `bp_own` holds
                        // nc_blk * kc_blk >= ceil(nc / nr) * nr * kc elements.
                        unsafe {
                            pack_b(
                                nr,
                                kc,
                                nc,
                                p.b.offset(pc as isize * p.rsb + jc as isize * p.csb),
                                p.rsb,
                                p.csb,
                                bp_own,
                            );
                        }
                        bp_own
                    }
                };
                let mut ic = 0;
                while ic < p.m {
                    let mc = mc_blk.min(p.m - ic);
                    let ap = if keep_a {
                        // SAFETY: inside `a_room` (see `keep_a`): slice `pc / kc_blk`, then
                        // the ceil(ic / mr) full panels of `kc` before this row block.
                        unsafe { ap_all.add(pc / kc_blk * m_pad * kc_blk + ic * kc) }
                    } else {
                        ap_all
                    };
                    if !keep_a || jc == 0 {
                        // SAFETY: as for B; `ap` has room for ceil(mc / mr) * mr * kc
                        // elements (mc_blk * kc_blk, or its place in the kept A).
                        unsafe {
                            pack_a(
                                mr,
                                mc,
                                kc,
                                p.a.offset(ic as isize * p.rsa + pc as isize * p.csa),
                                p.rsa,
                                p.csa,
                                ap,
                            );
                        }
                    }
                    let mut ir = 0;
                    while ir < mc {
                        let mrr = mr.min(mc - ir);
                        let mut jr = 0;
                        while jr < nc {
                            let nrr = nr.min(nc - jr);
                            // SAFETY: the panels are inside the packed buffers; the
                            // mrr x nrr tile at (ic + ir, jc + jr) is inside C; the
                            // kernel's instruction set is supported (caller contract).
                            unsafe {
                                (kernel.micro)(
                                    kc,
                                    p.alpha,
                                    ap.add(ir * kc),
                                    bp.add(jr * kc),
                                    beta,
                                    p.c.offset(
                                        (ic + ir) as isize * p.rsc + (jc + jr) as isize * p.csc,
                                    ),
                                    p.rsc,
                                    p.csc,
                                    mrr,
                                    nrr,
                                );
                            }
                            jr += nr;
                        }
                        ir += mr;
                    }
                    ic += mc;
                }
                pc += kc;
            }
            jc += nc;
        }
    });
}

/// Write an `mr x nr` corner of a row-major tile (leading dimension `ld`) into `C` as
/// `C = alpha * tile + beta * C`; micro-kernels use this for clipped or strided tiles.
///
/// # Safety
/// The `mr x nr` elements of C at `c` with strides `rsc`, `csc` must be writable.
#[allow(clippy::too_many_arguments)]
#[inline]
pub(crate) unsafe fn store_edge<T: Float>(
    tile: &[T],
    ld: usize,
    mr: usize,
    nr: usize,
    alpha: T,
    beta: T,
    c: *mut T,
    rsc: isize,
    csc: isize,
) {
    for i in 0..mr {
        for j in 0..nr {
            let v = alpha * tile[i * ld + j];
            // SAFETY: (i, j) is inside the tile (caller contract).
            unsafe {
                let x = c.offset(i as isize * rsc + j as isize * csc);
                *x = if beta == T::ZERO { v } else { beta * *x + v };
            }
        }
    }
}
