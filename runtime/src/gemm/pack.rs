//! Packing: copy a block of `op(A)` / `op(B)` into the contiguous, zero-padded micro-panel
//! layout the micro-kernels stream through. Transposition is just a different pair of strides.

use crate::float::Float;

/// Pack the `mc x kc` block of `A` at `a` (element `(i, p)` at `a[i * rsa + p * csa]`) into
/// panels of `mr` rows: panel `r` starts at `dst + r * mr * kc` and holds `dst[p * mr + i]`.
/// Rows past `mc` in the last panel are zero.
///
/// # Safety
/// `a` with the strides must address `mc x kc` readable elements; `dst` must have room for
/// `ceil(mc / mr) * mr * kc` elements and not overlap `a`.
pub(crate) unsafe fn pack_a<T: Float>(
    mr: usize,
    mc: usize,
    kc: usize,
    a: *const T,
    rsa: isize,
    csa: isize,
    dst: *mut T,
) {
    let mut i0 = 0;
    let mut d = dst;
    while i0 < mc {
        let rows = mr.min(mc - i0);
        // SAFETY: rows i0..i0 + rows and columns 0..kc are inside the block; the panel's
        // `mr * kc` destination elements are inside `dst` by the caller's size contract.
        unsafe {
            let src = a.offset(i0 as isize * rsa);
            if rsa == 1 {
                // Stored transposed: each column of the panel is contiguous in memory.
                for p in 0..kc {
                    let s = src.offset(p as isize * csa);
                    let dp = d.add(p * mr);
                    for i in 0..rows {
                        *dp.add(i) = *s.add(i);
                    }
                    for i in rows..mr {
                        *dp.add(i) = T::ZERO;
                    }
                }
            } else {
                for i in 0..rows {
                    let s = src.offset(i as isize * rsa);
                    for p in 0..kc {
                        *d.add(p * mr + i) = *s.offset(p as isize * csa);
                    }
                }
                for p in 0..kc {
                    for i in rows..mr {
                        *d.add(p * mr + i) = T::ZERO;
                    }
                }
            }
            d = d.add(mr * kc);
        }
        i0 += mr;
    }
}

/// Pack the `kc x nc` block of `B` at `b` (element `(p, j)` at `b[p * rsb + j * csb]`) into
/// panels of `nr` columns: panel `q` starts at `dst + q * nr * kc` and holds `dst[p * nr + j]`.
/// Columns past `nc` in the last panel are zero.
///
/// # Safety
/// `b` with the strides must address `kc x nc` readable elements; `dst` must have room for
/// `ceil(nc / nr) * nr * kc` elements and not overlap `b`.
pub(crate) unsafe fn pack_b<T: Float>(
    nr: usize,
    kc: usize,
    nc: usize,
    b: *const T,
    rsb: isize,
    csb: isize,
    dst: *mut T,
) {
    let mut j0 = 0;
    let mut d = dst;
    while j0 < nc {
        let cols = nr.min(nc - j0);
        // SAFETY: rows 0..kc and columns j0..j0 + cols are inside the block; the panel's
        // `nr * kc` destination elements are inside `dst` by the caller's size contract.
        unsafe {
            let src = b.offset(j0 as isize * csb);
            if csb == 1 {
                // Stored as is: each row of the panel is a contiguous run.
                for p in 0..kc {
                    let s = src.offset(p as isize * rsb);
                    let dp = d.add(p * nr);
                    if cols == nr {
                        core::ptr::copy_nonoverlapping(s, dp, nr);
                    } else {
                        core::ptr::copy_nonoverlapping(s, dp, cols);
                        for j in cols..nr {
                            *dp.add(j) = T::ZERO;
                        }
                    }
                }
            } else if cols == nr && rsb == 1 {
                pack_b_transposed_full(nr, kc, src, csb, d);
            } else {
                for j in 0..cols {
                    let s = src.offset(j as isize * csb);
                    for p in 0..kc {
                        *d.add(p * nr + j) = *s.offset(p as isize * rsb);
                    }
                }
                for p in 0..kc {
                    for j in cols..nr {
                        *d.add(p * nr + j) = T::ZERO;
                    }
                }
            }
            d = d.add(nr * kc);
        }
        j0 += nr;
    }
}

/// A full `nr`-column panel of a transposed `B` (column `j` contiguous at `src + j * csb`):
/// a transpose, done in 8 x 8 tiles so reads and writes both stay within a few cache lines.
///
/// # Safety
/// As [`pack_b`] for one full panel.
#[inline]
unsafe fn pack_b_transposed_full<T: Float>(
    nr: usize,
    kc: usize,
    src: *const T,
    csb: isize,
    d: *mut T,
) {
    const TILE: usize = 8;
    let mut p0 = 0;
    while p0 < kc {
        let depth = TILE.min(kc - p0);
        let mut j0 = 0;
        while j0 < nr {
            let width = TILE.min(nr - j0);
            // SAFETY: p0 + p < kc and j0 + j < nr stay inside the panel (caller contract).
            unsafe {
                if depth == TILE && width == TILE {
                    let mut t = [[T::ZERO; TILE]; TILE];
                    for (j, row) in t.iter_mut().enumerate() {
                        let s = src.offset((j0 + j) as isize * csb).add(p0);
                        for (p, x) in row.iter_mut().enumerate() {
                            *x = *s.add(p);
                        }
                    }
                    for p in 0..TILE {
                        let dp = d.add((p0 + p) * nr + j0);
                        for (j, row) in t.iter().enumerate() {
                            *dp.add(j) = row[p];
                        }
                    }
                } else {
                    for j in 0..width {
                        let s = src.offset((j0 + j) as isize * csb).add(p0);
                        for p in 0..depth {
                            *d.add((p0 + p) * nr + j0 + j) = *s.add(p);
                        }
                    }
                }
            }
            j0 += TILE;
        }
        p0 += TILE;
    }
}
