//! Layer normalisation (PyTorch's `nn.LayerNorm(F)`): each sample is normalised over its own
//! features with the biased variance, then scaled and shifted by learnable per-feature tensors.
//! Backward per row: `dx = (1/sigma) (dxh - mean(dxh) - x^ mean(dxh x^))`, `dxh = gamma dy`.

use super::{boxed_vector, ensure_len, GradVisitor, Layer};
use crate::error::check_hyper;
use crate::float::Float;
use crate::param::ParamKind;
use crate::train_ctx::TrainCtx;
use crate::Result;

/// Layer norm over `F` features.
#[derive(Debug, Clone)]
pub struct LayerNorm<T: Float, const F: usize> {
    /// Learned scale (gamma), one per feature, applied after normalising (starts at 1).
    pub weight: Box<[T; F]>,
    /// Learned shift (beta), one per feature, added after scaling (starts at 0).
    pub bias: Box<[T; F]>,
    /// Small positive constant added to each sample's variance before its square root, so
    /// the division never hits zero (PyTorch's default `1e-5`).
    pub eps: f64,
}

/// Normalised inputs and per-row `1/sigma` of the last training batch.
#[derive(Debug, Default, Clone)]
pub struct LayerNormCache<T> {
    xhat: Vec<T>,
    inv_std: Vec<T>,
}

impl<T: Float, const F: usize> LayerNorm<T, F> {
    /// `weight = 1`, `bias = 0`, as PyTorch initialises them.
    pub fn new(eps: f64) -> Result<Self> {
        check_hyper("layer norm eps", eps, eps > 0.0, "must be positive")?;
        let mut ln = Self::zeros(eps);
        ln.weight.fill(T::ONE);
        Ok(ln)
    }

    fn zeros(eps: f64) -> Self {
        LayerNorm {
            weight: boxed_vector(),
            bias: boxed_vector(),
            eps,
        }
    }

    /// Mean and `1/sigma` of one row.
    #[inline]
    fn stats(&self, xr: &[T]) -> (T, T) {
        let n = T::from_usize(F);
        let mean = xr.iter().copied().sum::<T>() / n;
        let var = xr.iter().map(|&v| (v - mean) * (v - mean)).sum::<T>() / n;
        (mean, T::ONE / (var + T::from_f64(self.eps)).sqrt())
    }
}

impl<T: Float, const F: usize> Layer<T> for LayerNorm<T, F> {
    const IN: usize = F;
    const OUT: usize = F;
    type Cache = LayerNormCache<T>;

    fn cache_bytes(c: &Self::Cache) -> usize {
        crate::layers::vec_bytes(&c.xhat) + crate::layers::vec_bytes(&c.inv_std)
    }

    fn param_names(&self) -> &'static [&'static str] {
        &["weight", "bias"]
    }

    fn zeros_like(&self) -> Self {
        Self::zeros(self.eps)
    }

    fn forward(&self, x: &[T], y: &mut [T], _batch: usize, _cache: &mut Self::Cache) {
        for (yr, xr) in y.chunks_exact_mut(F).zip(x.chunks_exact(F)) {
            let (mean, inv) = self.stats(xr);
            for j in 0..F {
                yr[j] = (xr[j] - mean) * inv * self.weight[j] + self.bias[j];
            }
        }
    }

    fn forward_train(
        &mut self,
        x: &[T],
        y: &mut [T],
        batch: usize,
        cache: &mut Self::Cache,
        _rng: &mut TrainCtx,
    ) -> Result<()> {
        ensure_len(&mut cache.xhat, x.len());
        ensure_len(&mut cache.inv_std, batch);
        let rows = y
            .chunks_exact_mut(F)
            .zip(x.chunks_exact(F))
            .zip(cache.xhat.chunks_exact_mut(F));
        for (((yr, xr), hr), inv_out) in rows.zip(cache.inv_std.iter_mut()) {
            let (mean, inv) = self.stats(xr);
            *inv_out = inv;
            for j in 0..F {
                hr[j] = (xr[j] - mean) * inv;
                yr[j] = hr[j] * self.weight[j] + self.bias[j];
            }
        }
        Ok(())
    }

    fn backward(
        &self,
        _x: &[T],
        _y: &[T],
        dy: &mut [T],
        dx: Option<&mut [T]>,
        _batch: usize,
        cache: &mut Self::Cache,
        grads: &mut Self,
    ) {
        grads.weight.fill(T::ZERO);
        grads.bias.fill(T::ZERO);
        for (dr, hr) in dy.chunks_exact(F).zip(cache.xhat.chunks_exact(F)) {
            for j in 0..F {
                grads.weight[j] += dr[j] * hr[j];
                grads.bias[j] += dr[j];
            }
        }
        if let Some(dx) = dx {
            let n = T::from_usize(F);
            let rows = dx
                .chunks_exact_mut(F)
                .zip(dy.chunks_exact(F))
                .zip(cache.xhat.chunks_exact(F));
            for (((xr, dr), hr), &inv) in rows.zip(cache.inv_std.iter()) {
                let mut s1 = T::ZERO;
                let mut s2 = T::ZERO;
                for j in 0..F {
                    let g = dr[j] * self.weight[j];
                    s1 += g;
                    s2 += g * hr[j];
                }
                let (m1, m2) = (s1 / n, s2 / n);
                for j in 0..F {
                    xr[j] = inv * (dr[j] * self.weight[j] - m1 - hr[j] * m2);
                }
            }
        }
    }

    fn visit_params(&self, f: &mut dyn FnMut(usize, ParamKind, &[T])) {
        f(0, ParamKind::Scale, &self.weight[..]);
        f(1, ParamKind::Shift, &self.bias[..]);
    }

    fn visit_params_mut(&mut self, f: &mut dyn FnMut(usize, ParamKind, &mut [T])) {
        f(0, ParamKind::Scale, &mut self.weight[..]);
        f(1, ParamKind::Shift, &mut self.bias[..]);
    }

    fn visit_with_grads(&mut self, g: &Self, f: &mut GradVisitor<'_, T>) {
        f(0, ParamKind::Scale, &mut self.weight[..], &g.weight[..]);
        f(1, ParamKind::Shift, &mut self.bias[..], &g.bias[..]);
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{check_layer, probe_input};
    use super::*;

    #[test]
    fn normalises_each_row() {
        let ln = LayerNorm::<f64, 4>::new(1e-5).unwrap();
        let x = [1.0, 2.0, 3.0, 4.0, -2.0, 0.0, 0.0, 2.0];
        let mut y = [0.0; 8];
        ln.forward(&x, &mut y, 2, &mut LayerNormCache::default());
        // row 0: mean 2.5, var 1.25
        let s = (1.25f64 + 1e-5).sqrt();
        assert!(
            (y[0] + 1.5 / s).abs() < 1e-12 && (y[3] - 1.5 / s).abs() < 1e-12,
            "{y:?}"
        );
        assert!((y[4..].iter().sum::<f64>()).abs() < 1e-12);
    }

    #[test]
    fn backward_matches_finite_differences() {
        let mut ln = LayerNorm::<f64, 4>::new(1e-5).unwrap();
        ln.weight.copy_from_slice(&[0.5, -1.5, 2.0, 1.0]);
        ln.bias.copy_from_slice(&[0.1, 0.2, -0.3, 0.0]);
        let err = check_layer(&mut ln, &probe_input(12), 3, 0);
        assert!(err < 1e-6, "{err}");
    }
}
