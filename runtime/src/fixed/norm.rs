//! Normalisation in eval mode, batch 1: batch norm with its running statistics (over features,
//! or per channel of `[C, H*W]` maps) and layer norm over the sample.

use crate::float::Float;

/// Batch norm's tensors; `x` is `[C, S]` (`S = 1` over features, `H*W` over maps).
#[derive(Clone, Debug)]
pub struct BatchNorm<T, const C: usize> {
    /// Learned scale (gamma), one per channel, applied after normalising.
    pub weight: [T; C],
    /// Learned shift (beta), one per channel, added after scaling.
    pub bias: [T; C],
    /// Mean of each channel estimated during training, subtracted at inference.
    pub running_mean: [T; C],
    /// Variance of each channel estimated during training; the input is divided by
    /// `sqrt(running_var + eps)`.
    pub running_var: [T; C],
    /// Small positive constant added to the variance so the division never hits zero
    /// (PyTorch's default is `1e-5`).
    pub eps: T,
}

impl<T: Float, const C: usize> BatchNorm<T, C> {
    /// All zeros (and `eps` zero: the generated code sets the declared one).
    pub const ZERO: Self = BatchNorm {
        weight: [T::ZERO; C],
        bias: [T::ZERO; C],
        running_mean: [T::ZERO; C],
        running_var: [T::ZERO; C],
        eps: T::ZERO,
    };

    /// `y = (x - mean) / sqrt(var + eps) * weight + bias`, folded into one scale and shift.
    pub fn forward(&self, x: &[T], y: &mut [T]) {
        assert!(
            x.len() == y.len() && x.len().is_multiple_of(C),
            "kiln bug: batch norm sizes"
        );
        let s = x.len() / C;
        for c in 0..C {
            let scale = self.weight[c] / (self.running_var[c] + self.eps).sqrt();
            let shift = self.bias[c] - self.running_mean[c] * scale;
            // Features (S = 1) sit side by side; maps keep a channel's S values together.
            let (xs, ys) = if s == 1 {
                (&x[c..c + 1], &mut y[c..c + 1])
            } else {
                (&x[c * s..(c + 1) * s], &mut y[c * s..(c + 1) * s])
            };
            for (o, &v) in ys.iter_mut().zip(xs) {
                *o = v * scale + shift;
            }
        }
    }
}

/// Layer norm's tensors over `N` features.
#[derive(Clone, Debug)]
pub struct LayerNorm<T, const N: usize> {
    /// Learned scale (gamma), one per feature, applied after normalising.
    pub weight: [T; N],
    /// Learned shift (beta), one per feature, added after scaling.
    pub bias: [T; N],
    /// Small positive constant added to the sample's variance so the division never hits
    /// zero (PyTorch's default is `1e-5`).
    pub eps: T,
}

impl<T: Float, const N: usize> LayerNorm<T, N> {
    /// All zeros.
    pub const ZERO: Self = LayerNorm {
        weight: [T::ZERO; N],
        bias: [T::ZERO; N],
        eps: T::ZERO,
    };

    /// `y = (x - mean(x)) / sqrt(var(x) + eps) * weight + bias` (biased variance).
    pub fn forward(&self, x: &[T], y: &mut [T]) {
        assert!(x.len() == N && y.len() == N, "kiln bug: layer norm sizes");
        let n = T::from_usize(N);
        let mean = x.iter().copied().fold(T::ZERO, |a, v| a + v) / n;
        let var = x
            .iter()
            .map(|&v| (v - mean) * (v - mean))
            .fold(T::ZERO, |a, v| a + v)
            / n;
        let inv = T::ONE / (var + self.eps).sqrt();
        for j in 0..N {
            y[j] = (x[j] - mean) * inv * self.weight[j] + self.bias[j];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{close, values};
    use super::*;
    use crate::layers::{self, Layer};

    #[test]
    fn norms_match_the_batched_layers() {
        let mut bn = layers::BatchNorm::<f64, 5>::new(0.1, 1e-5).unwrap();
        bn.visit_params_mut(&mut |i, _, v| v.copy_from_slice(&values(5, i + 1)));
        bn.visit_buffers_mut(&mut |i, v| {
            for (j, x) in v.iter_mut().enumerate() {
                *x = if i == 0 {
                    0.1 * j as f64
                } else {
                    0.5 + 0.3 * j as f64
                };
            }
        });
        let mut f = BatchNorm::<f64, 5>::ZERO;
        f.eps = 1e-5;
        bn.visit_params(&mut |i, _, v| [&mut f.weight, &mut f.bias][i].copy_from_slice(v));
        bn.visit_buffers(&mut |i, v| {
            // Buffer 2 is the training-step counter, which inference does not use.
            if i < 2 {
                [&mut f.running_mean, &mut f.running_var][i].copy_from_slice(v)
            }
        });
        let x = values(5, 7);
        let (mut want, mut got) = ([0.0; 5], [0.0; 5]);
        bn.forward(&x, &mut want, 1, &mut Default::default());
        f.forward(&x, &mut got);
        close(&got, &want, 1e-14);

        let mut bn2 = layers::BatchNorm2d::<f64, 3, 4>::new(0.1, 1e-3).unwrap();
        bn2.visit_params_mut(&mut |i, _, v| v.copy_from_slice(&values(3, i + 2)));
        bn2.visit_buffers_mut(&mut |i, v| {
            if i < 2 {
                v.copy_from_slice(&[0.2, -0.1, 0.3].map(|m| if i == 0 { m } else { 1.0 + m }))
            }
        });
        let mut f2 = BatchNorm::<f64, 3>::ZERO;
        f2.eps = 1e-3;
        bn2.visit_params(&mut |i, _, v| [&mut f2.weight, &mut f2.bias][i].copy_from_slice(v));
        bn2.visit_buffers(&mut |i, v| {
            if i < 2 {
                [&mut f2.running_mean, &mut f2.running_var][i].copy_from_slice(v)
            }
        });
        let x = values(12, 8);
        let (mut want, mut got) = ([0.0; 12], [0.0; 12]);
        bn2.forward(&x, &mut want, 1, &mut Default::default());
        f2.forward(&x, &mut got);
        close(&got, &want, 1e-14);

        let mut ln = layers::LayerNorm::<f64, 6>::new(1e-5).unwrap();
        ln.visit_params_mut(&mut |i, _, v| v.copy_from_slice(&values(6, i + 4)));
        let mut f3 = LayerNorm::<f64, 6>::ZERO;
        f3.eps = 1e-5;
        ln.visit_params(&mut |i, _, v| [&mut f3.weight, &mut f3.bias][i].copy_from_slice(v));
        let x = values(6, 3);
        let (mut want, mut got) = ([0.0; 6], [0.0; 6]);
        ln.forward(&x, &mut want, 1, &mut Default::default());
        f3.forward(&x, &mut got);
        close(&got, &want, 1e-14);
    }
}
