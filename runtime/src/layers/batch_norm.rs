//! Batch normalisation over features (PyTorch's `nn.BatchNorm1d` on `[batch, F]`).
//!
//! Train: normalise with the batch mean and the biased (1/m) variance (as PyTorch does, and
//! as in Ioffe and Szegedy, 2015),
//! update the running estimates with momentum 0.1 on the new value and the unbiased variance.
//! Eval: normalise with the running estimates. Backward runs through the batch statistics:
//! `dx = gamma / (m sigma) (m dy - sum dy - x^ sum(dy x^))`.

use super::batch_stats::{counted, global_sums, sum_across, sum_with_count};
use super::{boxed_vector, ensure_len, GradVisitor, Layer};
use crate::error::check_hyper;
use crate::float::Float;
use crate::param::ParamKind;
use crate::train_ctx::{Shard, TrainCtx};
use crate::Result;

/// Batch norm over `F` features with learnable scale (`weight`) and shift (`bias`).
#[derive(Debug, Clone)]
pub struct BatchNorm<T: Float, const F: usize> {
    /// Learned scale (gamma), one per feature, applied after normalising (starts at 1).
    pub weight: Box<[T; F]>,
    /// Learned shift (beta), one per feature, added after scaling (starts at 0).
    pub bias: Box<[T; F]>,
    /// Running estimate of each feature's mean, updated in training and used in evaluation.
    pub running_mean: Box<[T; F]>,
    /// Running estimate of each feature's unbiased variance, updated in training and used in
    /// evaluation.
    pub running_var: Box<[T; F]>,
    /// Training forward passes so far (PyTorch's `num_batches_tracked`; kept, counted and
    /// saved, not used: the running statistics use `momentum`).
    pub num_batches_tracked: [T; 1],
    /// Weight of the new batch's statistics in the running estimates,
    /// `running = (1 - momentum) running + momentum batch` (PyTorch's default 0.1).
    pub momentum: f64,
    /// Small positive constant added to the variance before its square root, so the
    /// division never hits zero (PyTorch's default `1e-5`).
    pub eps: f64,
}

/// Normalised inputs and per-feature `1/sigma` of the last training batch.
#[derive(Debug, Default, Clone)]
pub struct BatchNormCache<T> {
    xhat: Vec<T>,
    inv_std: Vec<T>,
    /// Samples the statistics were taken over (the global batch in data-parallel training).
    count: usize,
    /// The replica's shard in data-parallel training, whose sums backward joins too.
    shard: Option<Shard>,
}

impl<T: Float, const F: usize> BatchNorm<T, F> {
    /// PyTorch's defaults: `weight = 1`, `bias = 0`, running mean 0 and variance 1.
    pub fn new(momentum: f64, eps: f64) -> Result<Self> {
        check_hyper(
            "batch norm momentum",
            momentum,
            (0.0..=1.0).contains(&momentum),
            "must be in [0, 1]",
        )?;
        check_hyper("batch norm eps", eps, eps > 0.0, "must be positive")?;
        let mut bn = Self::zeros(momentum, eps);
        bn.weight.fill(T::ONE);
        bn.running_var.fill(T::ONE);
        Ok(bn)
    }

    fn zeros(momentum: f64, eps: f64) -> Self {
        BatchNorm {
            weight: boxed_vector(),
            bias: boxed_vector(),
            running_mean: boxed_vector(),
            running_var: boxed_vector(),
            num_batches_tracked: [T::ZERO],
            momentum,
            eps,
        }
    }
}

impl<T: Float, const F: usize> Layer<T> for BatchNorm<T, F> {
    const IN: usize = F;
    const OUT: usize = F;
    type Cache = BatchNormCache<T>;

    fn cache_bytes(c: &Self::Cache) -> usize {
        crate::layers::vec_bytes(&c.xhat) + crate::layers::vec_bytes(&c.inv_std)
    }

    fn param_names(&self) -> &'static [&'static str] {
        &["weight", "bias"]
    }

    fn buffer_names(&self) -> &'static [&'static str] {
        &["running_mean", "running_var", "num_batches_tracked"]
    }

    fn zeros_like(&self) -> Self {
        Self::zeros(self.momentum, self.eps)
    }

    fn forward(&self, x: &[T], y: &mut [T], _batch: usize, _cache: &mut Self::Cache) {
        let eps = T::from_f64(self.eps);
        // Fold the running statistics into one scale and shift per feature.
        let mut scale = [T::ZERO; F];
        let mut shift = [T::ZERO; F];
        for j in 0..F {
            scale[j] = self.weight[j] / (self.running_var[j] + eps).sqrt();
            shift[j] = self.bias[j] - self.running_mean[j] * scale[j];
        }
        for (yr, xr) in y.chunks_exact_mut(F).zip(x.chunks_exact(F)) {
            for j in 0..F {
                yr[j] = xr[j] * scale[j] + shift[j];
            }
        }
    }

    fn forward_train(
        &mut self,
        x: &[T],
        y: &mut [T],
        batch: usize,
        cache: &mut Self::Cache,
        ctx: &mut TrainCtx,
    ) -> Result<()> {
        let shard = ctx.shard();
        let mut mean = [T::ZERO; F];
        for xr in x.chunks_exact(F) {
            for j in 0..F {
                mean[j] += xr[j];
            }
        }
        let count = sum_with_count(shard, &mut mean, batch);
        let m = counted(
            count,
            "batch size for batch norm in training",
            "needs at least 2 samples to estimate a variance (use eval mode for single samples)",
        )?;
        self.num_batches_tracked[0] += T::ONE;
        for v in mean.iter_mut() {
            *v /= m;
        }
        let mut var = [T::ZERO; F];
        for xr in x.chunks_exact(F) {
            for j in 0..F {
                let d = xr[j] - mean[j];
                var[j] += d * d;
            }
        }
        sum_across(shard, &mut var);
        for v in var.iter_mut() {
            *v /= m;
        }
        cache.count = count;
        cache.shard = shard.cloned();
        ensure_len(&mut cache.inv_std, F);
        ensure_len(&mut cache.xhat, x.len());
        let eps = T::from_f64(self.eps);
        for (s, &v) in cache.inv_std.iter_mut().zip(&var) {
            *s = T::ONE / (v + eps).sqrt();
        }
        for ((yr, xr), hr) in y
            .chunks_exact_mut(F)
            .zip(x.chunks_exact(F))
            .zip(cache.xhat.chunks_exact_mut(F))
        {
            for j in 0..F {
                hr[j] = (xr[j] - mean[j]) * cache.inv_std[j];
                yr[j] = hr[j] * self.weight[j] + self.bias[j];
            }
        }
        let mom = T::from_f64(self.momentum);
        let unbias = m / (m - T::ONE);
        for j in 0..F {
            self.running_mean[j] = (T::ONE - mom) * self.running_mean[j] + mom * mean[j];
            self.running_var[j] = (T::ONE - mom) * self.running_var[j] + mom * var[j] * unbias;
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
        let (gw, gb) = (&mut grads.weight, &mut grads.bias);
        gw.fill(T::ZERO);
        gb.fill(T::ZERO);
        for (dr, hr) in dy.chunks_exact(F).zip(cache.xhat.chunks_exact(F)) {
            for j in 0..F {
                gw[j] += dr[j] * hr[j];
                gb[j] += dr[j];
            }
        }
        if let Some(dx) = dx {
            let m = T::from_usize(cache.count);
            let mut joined = Vec::new();
            let (gw, gb) = global_sums(cache.shard.as_ref(), &gw[..], &gb[..], &mut joined);
            for ((xr, dr), hr) in dx
                .chunks_exact_mut(F)
                .zip(dy.chunks_exact(F))
                .zip(cache.xhat.chunks_exact(F))
            {
                for j in 0..F {
                    let k = self.weight[j] * cache.inv_std[j] / m;
                    xr[j] = k * (m * dr[j] - gb[j] - hr[j] * gw[j]);
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

    fn visit_buffers_mut(&mut self, f: &mut dyn FnMut(usize, &mut [T])) {
        f(0, &mut self.running_mean[..]);
        f(1, &mut self.running_var[..]);
        f(2, &mut self.num_batches_tracked[..]);
    }

    fn visit_buffers(&self, f: &mut dyn FnMut(usize, &[T])) {
        f(0, &self.running_mean[..]);
        f(1, &self.running_var[..]);
        f(2, &self.num_batches_tracked[..]);
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{check_layer, probe_input};
    use super::*;

    #[test]
    fn normalises_and_tracks_running_statistics() {
        let mut bn = BatchNorm::<f64, 2>::new(0.1, 1e-5).unwrap();
        let x = [1.0, 10.0, 3.0, 20.0];
        let mut y = [0.0; 4];
        let mut c = BatchNormCache::default();
        bn.forward_train(
            &x,
            &mut y,
            2,
            &mut c,
            &mut crate::train_ctx::TrainCtx::new(0),
        )
        .unwrap();
        // mean [2, 15], biased var [1, 25] -> normalised +-1 (up to eps)
        let s0 = 1.0 / (1.0f64 + 1e-5).sqrt();
        let s1 = 5.0 / (25.0f64 + 1e-5).sqrt();
        for (a, b) in y.iter().zip([-s0, -s1, s0, s1]) {
            assert!((a - b).abs() < 1e-12, "{y:?}");
        }
        // running: 0.9*0 + 0.1*mean ; 0.9*1 + 0.1*unbiased var [2, 50]
        assert!(
            (bn.running_mean[0] - 0.2).abs() < 1e-12 && (bn.running_mean[1] - 1.5).abs() < 1e-12
        );
        assert!((bn.running_var[0] - 1.1).abs() < 1e-12 && (bn.running_var[1] - 5.9).abs() < 1e-12);
        let mut e = [0.0; 4];
        bn.forward(&x, &mut e, 2, &mut c);
        assert!(
            (e[0] - (1.0 - 0.2) / (1.1f64 + 1e-5).sqrt()).abs() < 1e-12,
            "eval uses running stats"
        );
        assert!(bn
            .forward_train(
                &x[..2],
                &mut y[..2],
                1,
                &mut c,
                &mut crate::train_ctx::TrainCtx::new(0)
            )
            .is_err());
    }

    #[test]
    fn backward_matches_finite_differences() {
        let mut bn = BatchNorm::<f64, 3>::new(0.1, 1e-5).unwrap();
        bn.weight.copy_from_slice(&[0.5, -1.5, 2.0]);
        bn.bias.copy_from_slice(&[0.1, 0.2, -0.3]);
        let err = check_layer(&mut bn, &probe_input(3 * 5), 5, 0);
        assert!(err < 1e-6, "{err}");
    }
}
