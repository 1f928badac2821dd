//! The register-blocked SIMD micro-kernel, written once as a macro and instantiated per
//! instruction set and element type (`kernel_avx512.rs`, `kernel_avx2.rs`).
//!
//! The tile is `MR` rows by `NV` vectors: each step of `k` loads `NV` vectors of the packed
//! `B` row, broadcasts `MR` elements of the packed `A` column and does `MR * NV` FMAs into
//! accumulators that stay in registers for the whole depth.

/// Define `unsafe fn $name(kc, alpha, ap, bp, beta, c, rsc, csc, mr, nr)` with the
/// [`super::dispatch::MicroKernel`] contract.
macro_rules! simd_micro_kernel {
    (
        name: $name:ident,
        elem: $t:ty,
        features: $feat:literal,
        lanes: $lanes:expr,
        mr: $mr:expr,
        nv: $nv:expr,
        zero: $zero:path,
        set1: $set1:path,
        load: $load:path,
        store: $store:path,
        fmadd: $fmadd:path,
        mul: $mul:path $(,)?
    ) => {
        /// `C[..mr][..nr] = alpha * Ap Bp + beta * C` for packed `MR x kc` and `kc x NR`
        /// panels (`beta == 0` never reads C).
        ///
        /// # Safety
        /// The CPU must support the enabled features; `ap` / `bp` must hold `kc * MR` /
        /// `kc * NR` elements; the `mr x nr` tile of C at `c` with strides `rsc`, `csc` must
        /// be writable and not overlap them.
        #[allow(clippy::too_many_arguments, clippy::needless_range_loop)]
        #[target_feature(enable = $feat)]
        pub(crate) unsafe fn $name(
            kc: usize,
            alpha: $t,
            ap: *const $t,
            bp: *const $t,
            beta: $t,
            c: *mut $t,
            rsc: isize,
            csc: isize,
            mr: usize,
            nr: usize,
        ) {
            const MR: usize = $mr;
            const NV: usize = $nv;
            const NR: usize = $nv * $lanes;
            let mut acc = [[$zero(); NV]; MR];
            // SAFETY: the loop reads kc * MR elements of `ap` and kc * NR of `bp`, and the
            // stores touch only the mr x nr tile of C (caller contract); unaligned loads and
            // stores have no alignment requirement.
            unsafe {
                let mut a = ap;
                let mut b = bp;
                for _ in 0..kc {
                    let mut bv = [$zero(); NV];
                    for v in 0..NV {
                        bv[v] = $load(b.add(v * $lanes));
                    }
                    for i in 0..MR {
                        let ai = $set1(*a.add(i));
                        for v in 0..NV {
                            acc[i][v] = $fmadd(ai, bv[v], acc[i][v]);
                        }
                    }
                    a = a.add(MR);
                    b = b.add(NR);
                }
                if mr == MR && nr == NR && csc == 1 {
                    let va = $set1(alpha);
                    if beta == 0.0 {
                        for i in 0..MR {
                            let row = c.offset(i as isize * rsc);
                            for v in 0..NV {
                                $store(row.add(v * $lanes), $mul(acc[i][v], va));
                            }
                        }
                    } else {
                        let vb = $set1(beta);
                        for i in 0..MR {
                            let row = c.offset(i as isize * rsc);
                            for v in 0..NV {
                                let p = row.add(v * $lanes);
                                $store(p, $fmadd(vb, $load(p), $mul(acc[i][v], va)));
                            }
                        }
                    }
                } else {
                    let mut tile = [0.0 as $t; MR * NR];
                    for i in 0..MR {
                        for v in 0..NV {
                            $store(tile.as_mut_ptr().add(i * NR + v * $lanes), acc[i][v]);
                        }
                    }
                    super::blocked::store_edge(&tile, NR, mr, nr, alpha, beta, c, rsc, csc);
                }
            }
        }
    };
}
