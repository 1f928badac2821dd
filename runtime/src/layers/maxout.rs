//! Maxout (Goodfellow et al., 2013): `K` affine pieces per output, the output is their maximum. Stored as one
//! `[OUT*K, IN]` weight (rows `o*K .. o*K+K` are output `o`'s pieces), like a PyTorch
//! `Linear(IN, OUT*K)` followed by a max over groups of `K` consecutive features.
//! Backward routes each output's gradient to its winning piece, then is a dense backward.

use super::{ensure_len, sum_rows, GradVisitor, Layer};
use crate::float::Float;
use crate::gemm::{gemm_unchecked, Trans};
use crate::init::Init;
use crate::param::ParamKind;
use crate::rng::KilnRng;
use crate::train_ctx::TrainCtx;
use crate::Result;

/// Maxout from `IN` to `OUT` features with `K` pieces each.
#[derive(Debug, Clone)]
pub struct Maxout<T: Float, const IN: usize, const OUT: usize, const K: usize> {
    /// `[OUT, K, IN]` = `[OUT*K, IN]` row-major.
    pub weight: Box<[[[T; IN]; K]; OUT]>,
    /// `[OUT, K]` = `[OUT*K]`.
    pub bias: Box<[[T; K]; OUT]>,
}

/// Piece values and the winning piece of every output.
#[derive(Debug, Default, Clone)]
pub struct MaxoutCache<T> {
    z: Vec<T>,
    arg: Vec<u32>,
}

impl<T: Float, const IN: usize, const OUT: usize, const K: usize> Maxout<T, IN, OUT, K> {
    /// Weights from `init` (fan-in `IN`, fan-out `OUT*K`), zero biases.
    pub fn new(init: Init, rng: &mut KilnRng) -> Result<Self> {
        let mut m = Self::zeros();
        init.fill(
            m.weight.as_flattened_mut().as_flattened_mut(),
            IN,
            OUT * K,
            rng,
        )?;
        Ok(m)
    }

    fn zeros() -> Self {
        let w: Box<[[[T; IN]; K]]> = vec![[[T::ZERO; IN]; K]; OUT].into_boxed_slice();
        let b: Box<[[T; K]]> = vec![[T::ZERO; K]; OUT].into_boxed_slice();
        match (w.try_into(), b.try_into()) {
            (Ok(weight), Ok(bias)) => Maxout { weight, bias },
            _ => unreachable!("vectors of OUT rows convert to [_; OUT]"),
        }
    }

    /// `z = x W^T + b` into `z` (`[batch, OUT*K]`), then the max of each group into `y`.
    fn run(&self, x: &[T], y: &mut [T], batch: usize, z: &mut Vec<T>, arg: Option<&mut Vec<u32>>) {
        let n = OUT * K;
        ensure_len(z, batch * n);
        let w = self.weight.as_flattened().as_flattened();
        gemm_unchecked(
            Trans::No,
            Trans::Yes,
            batch,
            n,
            IN,
            T::ONE,
            x,
            IN,
            w,
            IN,
            T::ZERO,
            z,
            n,
        );
        let b = self.bias.as_flattened();
        for zr in z.chunks_exact_mut(n) {
            for (v, &bb) in zr.iter_mut().zip(b) {
                *v += bb;
            }
        }
        let mut arg = arg;
        if let Some(a) = arg.as_deref_mut() {
            a.clear();
            a.resize(batch * OUT, 0);
        }
        for (i, (yr, zr)) in y.chunks_exact_mut(OUT).zip(z.chunks_exact(n)).enumerate() {
            for o in 0..OUT {
                let piece = &zr[o * K..o * K + K];
                let mut best = 0;
                for k in 1..K {
                    if piece[k] > piece[best] {
                        best = k;
                    }
                }
                yr[o] = piece[best];
                if let Some(a) = arg.as_deref_mut() {
                    a[i * OUT + o] = best as u32;
                }
            }
        }
    }
}

impl<T: Float, const IN: usize, const OUT: usize, const K: usize> Layer<T>
    for Maxout<T, IN, OUT, K>
{
    const IN: usize = IN;
    const OUT: usize = OUT;
    type Cache = MaxoutCache<T>;

    fn cache_bytes(c: &Self::Cache) -> usize {
        crate::layers::vec_bytes(&c.z) + crate::layers::vec_bytes(&c.arg)
    }

    fn param_names(&self) -> &'static [&'static str] {
        &["weight", "bias"]
    }

    fn zeros_like(&self) -> Self {
        Self::zeros()
    }

    fn forward(&self, x: &[T], y: &mut [T], batch: usize, cache: &mut Self::Cache) {
        self.run(x, y, batch, &mut cache.z, None);
    }

    fn forward_train(
        &mut self,
        x: &[T],
        y: &mut [T],
        batch: usize,
        cache: &mut Self::Cache,
        _rng: &mut TrainCtx,
    ) -> Result<()> {
        self.run(x, y, batch, &mut cache.z, Some(&mut cache.arg));
        Ok(())
    }

    fn backward(
        &self,
        x: &[T],
        _y: &[T],
        dy: &mut [T],
        dx: Option<&mut [T]>,
        batch: usize,
        cache: &mut Self::Cache,
        grads: &mut Self,
    ) {
        let n = OUT * K;
        // Reuse the piece buffer as dz: only the winners get a gradient.
        let dz = &mut cache.z;
        dz.fill(T::ZERO);
        for (i, (dzr, dr)) in dz.chunks_exact_mut(n).zip(dy.chunks_exact(OUT)).enumerate() {
            for o in 0..OUT {
                dzr[o * K + cache.arg[i * OUT + o] as usize] = dr[o];
            }
        }
        let gw = grads.weight.as_flattened_mut().as_flattened_mut();
        gemm_unchecked(
            Trans::Yes,
            Trans::No,
            n,
            IN,
            batch,
            T::ONE,
            dz,
            n,
            x,
            IN,
            T::ZERO,
            gw,
            IN,
        );
        sum_rows(dz, n, grads.bias.as_flattened_mut());
        if let Some(dx) = dx {
            let w = self.weight.as_flattened().as_flattened();
            gemm_unchecked(
                Trans::No,
                Trans::No,
                batch,
                IN,
                n,
                T::ONE,
                dz,
                n,
                w,
                IN,
                T::ZERO,
                dx,
                IN,
            );
        }
    }

    fn visit_params(&self, f: &mut dyn FnMut(usize, ParamKind, &[T])) {
        f(
            0,
            ParamKind::Weight,
            self.weight.as_flattened().as_flattened(),
        );
        f(1, ParamKind::Bias, self.bias.as_flattened());
    }

    fn visit_params_mut(&mut self, f: &mut dyn FnMut(usize, ParamKind, &mut [T])) {
        f(
            0,
            ParamKind::Weight,
            self.weight.as_flattened_mut().as_flattened_mut(),
        );
        f(1, ParamKind::Bias, self.bias.as_flattened_mut());
    }

    fn visit_with_grads(&mut self, g: &Self, f: &mut GradVisitor<'_, T>) {
        f(
            0,
            ParamKind::Weight,
            self.weight.as_flattened_mut().as_flattened_mut(),
            g.weight.as_flattened().as_flattened(),
        );
        f(
            1,
            ParamKind::Bias,
            self.bias.as_flattened_mut(),
            g.bias.as_flattened(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{check_layer, probe_input};
    use super::*;

    #[test]
    fn takes_the_max_piece_and_matches_finite_differences() {
        let mut m = Maxout::<f64, 3, 2, 3>::new(
            Init::XavierUniform { gain: 1.0 },
            &mut crate::rng::seeded(3),
        )
        .unwrap();
        let x = probe_input(3 * 4);
        let mut y = [0.0; 8];
        let mut c = MaxoutCache::default();
        m.forward(&x, &mut y, 4, &mut c);
        let w = m.weight.as_flattened().as_flattened().to_vec();
        for i in 0..4 {
            for o in 0..2 {
                let best = (0..3)
                    .map(|k| {
                        (0..3)
                            .map(|j| x[i * 3 + j] * w[(o * 3 + k) * 3 + j])
                            .sum::<f64>()
                    })
                    .fold(f64::MIN, f64::max);
                assert!((y[i * 2 + o] - best).abs() < 1e-12);
            }
        }
        let err = check_layer(&mut m, &x, 4, 0);
        assert!(err < 1e-7, "{err}");
    }
}
