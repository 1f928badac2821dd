//! Maxout, batch 1: `K` affine pieces per output, the output their maximum. The weight keeps
//! PyTorch's `[OUT*K, IN]` layout (`ROWS = OUT*K`; output `o`'s pieces are rows
//! `o*K .. o*K+K`), as the heap-backed layer and its checkpoints do.

use crate::float::Float;

/// Maxout from `IN` to `OUT` features with `K` pieces each (`ROWS = OUT * K`).
#[derive(Clone, Debug)]
pub struct Maxout<T, const IN: usize, const OUT: usize, const K: usize, const ROWS: usize> {
    /// `[OUT*K, IN]`, row-major.
    pub weight: [[T; IN]; ROWS],
    /// `[OUT*K]`.
    pub bias: [T; ROWS],
}

impl<T: Float, const IN: usize, const OUT: usize, const K: usize, const ROWS: usize>
    Maxout<T, IN, OUT, K, ROWS>
{
    /// All zeros.
    pub const ZERO: Self = Maxout {
        weight: [[T::ZERO; IN]; ROWS],
        bias: [T::ZERO; ROWS],
    };

    /// `y[o] = max_k (W[o*K+k] . x + b[o*K+k])`.
    pub fn forward(&self, x: &[T], y: &mut [T]) {
        let x: &[T; IN] = super::arr(x, "maxout input");
        let y: &mut [T; OUT] = super::arr_mut(y, "maxout output");
        let rows = self.weight.chunks_exact(K).zip(self.bias.chunks_exact(K));
        for (out, (w, b)) in y.iter_mut().zip(rows) {
            let piece = |(row, &bias): (&[T; IN], &T)| {
                row.iter()
                    .zip(x)
                    .fold(bias, |acc, (&wi, &xi)| acc + wi * xi)
            };
            let mut pieces = w.iter().zip(b).map(piece);
            let first = pieces.next().unwrap_or(T::ZERO);
            *out = pieces.fold(first, |m, v| if v > m { v } else { m });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixed::testutil::{close, values};
    use crate::layers::{Layer, Maxout as HeapMaxout};

    #[test]
    fn matches_the_heap_backed_layer() {
        let init = crate::init::Init::Normal {
            mean: 0.0,
            std: 1.0,
        };
        let mut heap = HeapMaxout::<f64, 5, 3, 4>::new(init, &mut crate::rng::seeded(3)).unwrap();
        let w = values(60, 1);
        let b = values(12, 2);
        heap.weight
            .as_flattened_mut()
            .as_flattened_mut()
            .copy_from_slice(&w);
        heap.bias.as_flattened_mut().copy_from_slice(&b);
        let mut fixed = Maxout::<f64, 5, 3, 4, 12>::ZERO;
        fixed.weight.as_flattened_mut().copy_from_slice(&w);
        fixed.bias.copy_from_slice(&b);
        let x = values(5, 3);
        let mut want = [0.0; 3];
        heap.forward(&x, &mut want, 1, &mut Default::default());
        let mut got = [0.0; 3];
        fixed.forward(&x, &mut got);
        close(&got, &want, 1e-14);
    }
}
