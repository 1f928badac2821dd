//! Batch normalisation per channel of `[C, H, W]` maps (PyTorch's `nn.BatchNorm2d`); `HW` is
//! `H * W`, so a sample is `C` contiguous planes of `HW` values.
//!
//! The conventions of [`super::batch_norm`] with statistics over batch x H x W (`m = batch HW`
//! values per channel): train normalises with the batch mean and the biased (1/m) variance and
//! updates the running estimates with momentum 0.1 on the new value and the unbiased variance;
//! eval normalises with the running estimates. Backward per channel:
//! `dx = gamma / (m sigma) (m dy - sum dy - x^ sum(dy x^))`.

use super::batch_stats::{counted, global_sums, sum_across, sum_with_count};
use super::{boxed_vector, ensure_len, GradVisitor, Layer};
use crate::error::check_hyper;
use crate::float::Float;
use crate::param::ParamKind;
use crate::train_ctx::{Shard, TrainCtx};
use crate::Result;

/// Batch norm over `C` channels of `HW` pixels with learnable per-channel scale (`weight`) and
/// shift (`bias`).
#[derive(Debug, Clone)]
pub struct BatchNorm2d<T: Float, const C: usize, const HW: usize> {
    /// Learned scale (gamma), one per channel, applied after normalising (starts at 1).
    pub weight: Box<[T; C]>,
    /// Learned shift (beta), one per channel, added after scaling (starts at 0).
    pub bias: Box<[T; C]>,
    /// Running estimate of each channel's mean, updated in training and used in evaluation.
    pub running_mean: Box<[T; C]>,
    /// Running estimate of each channel's unbiased variance, updated in training and used in
    /// evaluation.
    pub running_var: Box<[T; C]>,
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

/// Per-channel mean and `1/sigma` of the last training batch: backward recomputes the
/// normalised inputs from its input rather than keeping a batch-sized copy of them.
#[derive(Debug, Default, Clone)]
pub struct BatchNorm2dCache<T> {
    mean: Vec<T>,
    inv_std: Vec<T>,
    /// Values per channel the statistics were taken over (batch x H x W; the global batch's
    /// in data-parallel training).
    count: usize,
    /// The replica's shard in data-parallel training, whose sums backward joins too.
    shard: Option<Shard>,
}

impl<T: Float, const C: usize, const HW: usize> BatchNorm2d<T, C, HW> {
    const SHAPE: () = assert!(C > 0 && HW > 0, "batch norm 2d: empty shape");

    /// PyTorch's defaults: `weight = 1`, `bias = 0`, running mean 0 and variance 1
    /// (`momentum = 0.1`, `eps = 1e-5` are PyTorch's hyper-parameter defaults).
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
        #[allow(clippy::let_unit_value)]
        let () = Self::SHAPE;
        BatchNorm2d {
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

impl<T: Float, const C: usize, const HW: usize> Layer<T> for BatchNorm2d<T, C, HW> {
    const IN: usize = C * HW;
    const OUT: usize = C * HW;
    type Cache = BatchNorm2dCache<T>;

    fn cache_bytes(c: &Self::Cache) -> usize {
        crate::layers::vec_bytes(&c.mean) + crate::layers::vec_bytes(&c.inv_std)
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

    fn backward_reads_output(&self) -> bool {
        false
    }

    fn forward(&self, x: &[T], y: &mut [T], batch: usize, _cache: &mut Self::Cache) {
        let eps = T::from_f64(self.eps);
        for (xs, ys) in x
            .chunks_exact(C * HW)
            .zip(y.chunks_exact_mut(C * HW))
            .take(batch)
        {
            for (c, (xp, yp)) in xs.chunks_exact(HW).zip(ys.chunks_exact_mut(HW)).enumerate() {
                // The running statistics folded into one scale and shift per channel.
                let scale = self.weight[c] / (self.running_var[c] + eps).sqrt();
                let shift = self.bias[c] - self.running_mean[c] * scale;
                for (o, &v) in yp.iter_mut().zip(xp) {
                    *o = v * scale + shift;
                }
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
        // The channel's planes of every sample.
        let planes = |c: usize| {
            x.chunks_exact(C * HW)
                .take(batch)
                .map(move |s| &s[c * HW..(c + 1) * HW])
        };
        // Two passes (mean, then squared deviations) over each channel's planes.
        let mut mean = [T::ZERO; C];
        for (c, mc) in mean.iter_mut().enumerate() {
            for p in planes(c) {
                *mc += p.iter().copied().sum::<T>();
            }
        }
        let count = sum_with_count(shard, &mut mean, batch * HW);
        let m = counted(
            count,
            "values per channel for batch norm 2d in training (batch x H x W)",
            "needs at least 2 to estimate a variance (use eval mode)",
        )?;
        self.num_batches_tracked[0] += T::ONE;
        let mut var = [T::ZERO; C];
        for (c, (mc, vc)) in mean.iter_mut().zip(&mut var).enumerate() {
            *mc /= m;
            for p in planes(c) {
                *vc += p.iter().map(|&v| (v - *mc) * (v - *mc)).sum::<T>();
            }
        }
        sum_across(shard, &mut var);
        ensure_len(&mut cache.inv_std, C);
        ensure_len(&mut cache.mean, C);
        cache.count = count;
        cache.shard = shard.cloned();
        let mom = T::from_f64(self.momentum);
        let eps = T::from_f64(self.eps);
        let unbias = m / (m - T::ONE);
        for c in 0..C {
            let (mean, var) = (mean[c], var[c] / m);
            let inv_std = T::ONE / (var + eps).sqrt();
            cache.inv_std[c] = inv_std;
            cache.mean[c] = mean;
            let (g, b) = (self.weight[c], self.bias[c]);
            for (xs, ys) in x.chunks_exact(C * HW).zip(y.chunks_exact_mut(C * HW)) {
                let range = c * HW..(c + 1) * HW;
                for (o, &v) in ys[range.clone()].iter_mut().zip(&xs[range]) {
                    *o = (v - mean) * inv_std * g + b;
                }
            }
            self.running_mean[c] = (T::ONE - mom) * self.running_mean[c] + mom * mean;
            self.running_var[c] = (T::ONE - mom) * self.running_var[c] + mom * var * unbias;
        }
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
        let (gw, gb) = (&mut grads.weight, &mut grads.bias);
        gw.fill(T::ZERO);
        gb.fill(T::ZERO);
        let (mean, inv_std) = (&cache.mean, &cache.inv_std);
        for (ds, xs) in dy
            .chunks_exact(C * HW)
            .zip(x.chunks_exact(C * HW))
            .take(batch)
        {
            for (c, (dp, xp)) in ds.chunks_exact(HW).zip(xs.chunks_exact(HW)).enumerate() {
                let (mut sw, mut sb) = (T::ZERO, T::ZERO);
                for (&d, &v) in dp.iter().zip(xp) {
                    sw += d * ((v - mean[c]) * inv_std[c]);
                    sb += d;
                }
                gw[c] += sw;
                gb[c] += sb;
            }
        }
        let Some(dx) = dx else { return };
        let m = T::from_usize(cache.count);
        let mut joined = Vec::new();
        let (gw, gb) = global_sums(cache.shard.as_ref(), &gw[..], &gb[..], &mut joined);
        for ((dxs, ds), xs) in dx
            .chunks_exact_mut(C * HW)
            .zip(dy.chunks_exact(C * HW))
            .zip(x.chunks_exact(C * HW))
            .take(batch)
        {
            for (c, ((dxp, dp), xp)) in dxs
                .chunks_exact_mut(HW)
                .zip(ds.chunks_exact(HW))
                .zip(xs.chunks_exact(HW))
                .enumerate()
            {
                let k = self.weight[c] * inv_std[c] / m;
                let (sb, sw) = (gb[c], gw[c]);
                for ((o, &d), &v) in dxp.iter_mut().zip(dp).zip(xp) {
                    let h = (v - mean[c]) * inv_std[c];
                    *o = k * (m * d - sb - h * sw);
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
    use super::super::conv_reference as r;
    use super::super::testutil::{check_layer, probe_input};
    use super::*;

    fn assert_close(got: &[f64], want: &[f64], tol: f64) {
        assert_eq!(got.len(), want.len());
        for (i, (a, b)) in got.iter().zip(want).enumerate() {
            assert!((a - b).abs() <= tol, "index {i}: {a} vs {b}");
        }
    }

    #[test]
    fn normalises_per_channel_over_batch_and_pixels() {
        // Two samples of 2 channels x 2 pixels. Channel 0 sees {1, 3, 1, 3}: mean 2, biased
        // var 1; channel 1 sees {10, 30, 20, 20}: mean 20, biased var 50.
        let mut bn = BatchNorm2d::<f64, 2, 2>::new(0.1, 1e-5).unwrap();
        let x = [1.0, 3.0, 10.0, 30.0, 1.0, 3.0, 20.0, 20.0];
        let mut y = [0.0; 8];
        let mut c = BatchNorm2dCache::default();
        bn.forward_train(
            &x,
            &mut y,
            2,
            &mut c,
            &mut crate::train_ctx::TrainCtx::new(0),
        )
        .unwrap();
        let s0 = 1.0 / (1.0f64 + 1e-5).sqrt();
        let s1 = 10.0 / (50.0f64 + 1e-5).sqrt();
        assert_close(&y, &[-s0, s0, -s1, s1, -s0, s0, 0.0, 0.0], 1e-12);
        // Running: 0.1 * mean; 0.9 + 0.1 * unbiased var (m = 4: 4/3, 200/3).
        assert_close(&bn.running_mean[..], &[0.2, 2.0], 1e-12);
        assert_close(
            &bn.running_var[..],
            &[0.9 + 0.4 / 3.0, 0.9 + 20.0 / 3.0],
            1e-12,
        );
        let mut e = [0.0; 8];
        bn.forward(&x, &mut e, 2, &mut c);
        let want0 = (1.0 - 0.2) / (0.9 + 0.4 / 3.0 + 1e-5f64).sqrt();
        assert!((e[0] - want0).abs() < 1e-12, "eval uses running stats");
        // One value per channel cannot be normalised in training; two (1 sample x 2 px) can.
        let mut one = BatchNorm2d::<f64, 2, 1>::new(0.1, 1e-5).unwrap();
        assert!(one
            .forward_train(
                &x[..2],
                &mut y[..2],
                1,
                &mut c,
                &mut crate::train_ctx::TrainCtx::new(0)
            )
            .is_err());
        assert!(bn
            .forward_train(
                &x[..4],
                &mut y[..4],
                1,
                &mut c,
                &mut crate::train_ctx::TrainCtx::new(0)
            )
            .is_ok());
    }

    #[test]
    fn backward_matches_finite_differences() {
        let mut bn = BatchNorm2d::<f64, 3, 4>::new(0.1, 1e-5).unwrap();
        bn.weight.copy_from_slice(&[0.5, -1.5, 2.0]);
        bn.bias.copy_from_slice(&[0.1, 0.2, -0.3]);
        let err = check_layer(&mut bn, &probe_input(3 * 4 * 3), 3, 0);
        assert!(err < 1e-6, "{err}");
    }

    #[test]
    fn pytorch_parity() {
        let mut bn = BatchNorm2d::<f64, 3, 42>::new(0.1, 1e-5).unwrap();
        bn.weight.copy_from_slice(&r::BN_WEIGHT);
        bn.bias.copy_from_slice(&r::BN_BIAS);
        bn.running_mean.copy_from_slice(&r::BN_RUNNING_MEAN_BEFORE);
        bn.running_var.copy_from_slice(&r::BN_RUNNING_VAR_BEFORE);
        let mut cache = BatchNorm2dCache::default();
        let mut y = vec![0.0; r::X.len()];
        bn.forward_train(
            &r::X,
            &mut y,
            2,
            &mut cache,
            &mut crate::train_ctx::TrainCtx::new(0),
        )
        .unwrap();
        assert_close(&y, &r::BN_Y, 1e-12);
        assert_close(&bn.running_mean[..], &r::BN_RUNNING_MEAN, 1e-12);
        assert_close(&bn.running_var[..], &r::BN_RUNNING_VAR, 1e-12);
        let mut dy = r::BN_G.to_vec();
        let mut dx = vec![f64::NAN; r::X.len()];
        let mut g = bn.zeros_like();
        bn.backward(&r::X, &y, &mut dy, Some(&mut dx), 2, &mut cache, &mut g);
        assert_close(&dx, &r::BN_DX, 1e-12);
        assert_close(&g.weight[..], &r::BN_DW, 1e-12);
        assert_close(&g.bias[..], &r::BN_DB, 1e-12);
        let mut e = vec![0.0; r::X.len()];
        bn.forward(&r::X, &mut e, 2, &mut cache);
        assert_close(&e, &r::BN_EVAL_Y, 1e-12);
    }
}
