//! One-hot inputs (a character or token per row, the usual input of a language model),
//! detected at run time: the input projection `X W^T` becomes a gather of weight columns and
//! its weight gradient `dG^T X` a scatter-add of gradient rows, instead of two GEMMs that
//! mostly multiply by zeros. Exact: only rows holding a single 1 and zeros elsewhere qualify.

use crate::float::Float;
use crate::gemm::{gemm_unchecked, Trans};
use crate::layers::ensure_len;

/// The ids of the last input seen (if it was one-hot) and scratch for `W^T`.
#[derive(Debug, Clone, Default)]
pub(crate) struct OneHot<T> {
    /// Column of the 1 in each row; meaningful only while `active`.
    ids: Vec<u32>,
    /// The last input given to [`OneHot::detect`] was one-hot.
    active: bool,
    /// `W^T` (`[width, gates]`) for the gather; `dW^T` during the weight gradient.
    wt: Vec<T>,
}

impl<T: Float> OneHot<T> {
    /// Whether every row of `x` (`[rows, width]`) is one-hot, recording the ids if so.
    pub(crate) fn detect(&mut self, x: &[T], width: usize) -> bool {
        self.active = false;
        if width == 0 || width > u32::MAX as usize {
            return false;
        }
        self.ids.clear();
        for row in x.chunks_exact(width) {
            let mut id = None;
            for (j, &v) in row.iter().enumerate() {
                if v == T::ONE && id.is_none() {
                    id = Some(j as u32);
                } else if v != T::ZERO {
                    return false;
                }
            }
            match id {
                Some(id) => self.ids.push(id),
                None => return false,
            }
        }
        self.active = true;
        true
    }

    /// `g += X W^T` for `x` (`[rows, width]`) and `W` (`[gates, width]`): a gather when `x` is
    /// one-hot and wide enough to pay (remembered for [`OneHot::weight_grad_of`]), else a GEMM.
    pub(crate) fn project_inputs(
        &mut self,
        x: &[T],
        w: &[T],
        rows: usize,
        width: usize,
        gates: usize,
        g: &mut [T],
    ) {
        if width >= super::GATHER_FROM_WIDTH && self.detect(&x[..rows * width], width) {
            self.project(w, gates, width, &mut g[..rows * gates]);
        } else {
            gemm_unchecked(
                Trans::No,
                Trans::Yes,
                rows,
                gates,
                width,
                T::ONE,
                x,
                width,
                w,
                width,
                T::ONE,
                g,
                gates,
            );
        }
    }

    /// `dw = dG^T X` (overwritten) for the input of the last [`OneHot::project_inputs`]: a
    /// scatter-add if it was one-hot, else a GEMM.
    pub(crate) fn weight_grad_of(
        &mut self,
        x: &[T],
        dg: &[T],
        rows: usize,
        width: usize,
        gates: usize,
        dw: &mut [T],
    ) {
        if self.active {
            self.weight_grad(dg, gates, width, dw);
        } else {
            gemm_unchecked(
                Trans::Yes,
                Trans::No,
                gates,
                width,
                rows,
                T::ONE,
                dg,
                gates,
                x,
                width,
                T::ZERO,
                dw,
                width,
            );
        }
    }

    /// The last [`OneHot::detect`] found a one-hot input.
    #[cfg(test)]
    pub(crate) fn active(&self) -> bool {
        self.active
    }

    /// `g[r, :] += W[:, id_r]` for every row, `W` being `[gates, width]` row-major: `X W^T`
    /// for the one-hot `X` last detected (`g` is `[rows, gates]`).
    pub(crate) fn project(&mut self, w: &[T], gates: usize, width: usize, g: &mut [T]) {
        super::transpose_into(w, gates, width, &mut self.wt);
        for (row, &id) in g.chunks_exact_mut(gates).zip(&self.ids) {
            let col = &self.wt[id as usize * gates..(id as usize + 1) * gates];
            row.iter_mut().zip(col).for_each(|(o, &v)| *o += v);
        }
    }

    /// `dw = dG^T X` (`[gates, width]`, overwritten) for the one-hot `X` last detected:
    /// each row of `dg` (`[rows, gates]`) is added into row `id` of `dW^T`, then transposed.
    pub(crate) fn weight_grad(&mut self, dg: &[T], gates: usize, width: usize, dw: &mut [T]) {
        ensure_len(&mut self.wt, width * gates);
        let wt = &mut self.wt[..width * gates];
        wt.fill(T::ZERO);
        for (row, &id) in dg.chunks_exact(gates).zip(&self.ids) {
            let acc = &mut wt[id as usize * gates..(id as usize + 1) * gates];
            acc.iter_mut().zip(row).for_each(|(a, &d)| *a += d);
        }
        for (j, out) in dw.chunks_exact_mut(width).take(gates).enumerate() {
            for (i, o) in out.iter_mut().enumerate() {
                *o = wt[i * gates + j];
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_hot(ids: &[usize], width: usize) -> Vec<f64> {
        let mut x = vec![0.0; ids.len() * width];
        for (r, &id) in ids.iter().enumerate() {
            x[r * width + id] = 1.0;
        }
        x
    }

    #[test]
    fn detects_only_exact_one_hot_rows() {
        let mut oh = OneHot::<f64>::default();
        assert!(oh.detect(&one_hot(&[2, 0, 3], 4), 4));
        assert!(oh.active());
        for bad in [
            vec![0.0, 1.0, 1.0, 0.0],
            vec![0.0, 0.0, 0.0, 0.0],
            vec![0.0, 0.5, 0.0, 0.0],
            vec![0.0, 1.0, 0.0, f64::NAN],
            vec![0.0, 1.0, -1e-30, 0.0],
        ] {
            let mut x = one_hot(&[1, 2], 4);
            x.extend(&bad);
            assert!(!oh.detect(&x, 4), "{bad:?}");
            assert!(!oh.active());
        }
    }

    /// Gather and scatter equal the dense products they replace.
    #[test]
    fn gather_and_scatter_equal_the_products() {
        let (gates, width, ids) = (5, 4, [3usize, 0, 3, 1, 2, 2]);
        let w: Vec<f64> = (0..gates * width)
            .map(|i| (i as f64 * 0.37).sin())
            .collect();
        let dg: Vec<f64> = (0..ids.len() * gates)
            .map(|i| (i as f64 * 0.71).cos())
            .collect();
        let x = one_hot(&ids, width);
        let mut oh = OneHot::default();
        assert!(oh.detect(&x, width));
        let mut g = vec![0.5; ids.len() * gates];
        oh.project(&w, gates, width, &mut g);
        for r in 0..ids.len() {
            for k in 0..gates {
                let want = 0.5
                    + (0..width)
                        .map(|j| x[r * width + j] * w[k * width + j])
                        .sum::<f64>();
                assert_eq!(g[r * gates + k], want);
            }
        }
        let mut dw = vec![f64::NAN; gates * width];
        oh.weight_grad(&dg, gates, width, &mut dw);
        for k in 0..gates {
            for j in 0..width {
                let want: f64 = (0..ids.len())
                    .map(|r| dg[r * gates + k] * x[r * width + j])
                    .sum();
                assert!((dw[k * width + j] - want).abs() < 1e-15);
            }
        }
    }
}
