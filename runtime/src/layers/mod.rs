//! Layers as generated networks use them: each layer kind is a struct whose sizes are const
//! generics, with its forward, its training forward and its backward side by side in one file.
//!
//! Conventions: activations are row-major `[batch, width]` slices; `backward` receives dL/dy
//! (and may overwrite it as scratch), *overwrites* the layer's parameter gradients in `grads`
//! (a layer of the same type, used as the gradient mirror) and, when asked, writes dL/dx.

use crate::float::Float;
use crate::param::ParamKind;
use crate::train_ctx::TrainCtx;
use crate::Result;

pub mod activation;
pub mod batch_norm;
pub mod batch_norm2d;
pub(crate) mod batch_parts;
mod batch_stats;
pub mod compose;
pub mod conv2d;
pub mod custom;
pub mod dense;
pub mod dropout;
pub mod embedding;
pub mod layer_norm;
pub mod maxout;
pub mod pool2d;
pub mod prelu;
mod scratch_pool;
pub use scratch_pool::scratch_bytes;
pub mod softmax;

#[cfg(test)]
#[rustfmt::skip]
mod conv_reference;

pub use activation::Act;

/// Bytes of the elements of `v` (its length, not its spare capacity).
pub fn vec_bytes<X>(v: &[X]) -> usize {
    core::mem::size_of_val(v)
}
pub use batch_norm::BatchNorm;
pub use batch_norm2d::BatchNorm2d;
pub use compose::{Chain, Concat, Identity, Residual};
pub use conv2d::Conv2d;
pub use custom::CustomLayer;
pub use dense::Dense;
pub use dropout::Dropout;
pub use embedding::{Embedding, OneHot};
pub use layer_norm::LayerNorm;
pub use maxout::Maxout;
pub use pool2d::{AvgPool2d, GlobalAvgPool, MaxPool2d};
pub use prelu::PRelu;
pub use softmax::Softmax;

/// Visits a parameter tensor (index into the layer's names, kind, value) with its gradient.
pub type GradVisitor<'a, T> = dyn FnMut(usize, ParamKind, &mut [T], &[T]) + 'a;

/// One layer of a generated network. `IN` and `OUT` are per-sample widths.
///
/// Batches are row-major `[batch, width]`. Generated networks drive their layers through this
/// trait; a layer can also be used on its own:
///
/// ```
/// use kiln_runtime::activation::Activation;
/// use kiln_runtime::init::Init;
/// use kiln_runtime::layers::{Dense, Layer};
/// use kiln_runtime::rng::seeded;
/// use kiln_runtime::train_ctx::TrainCtx;
///
/// // 2 -> 1 with a bias and no activation: y = w . x + b.
/// let mut layer =
///     Dense::<f64, 2, 1>::new(true, Activation::Identity, Init::Zeros, &mut seeded(0)).unwrap();
/// layer.weight[0] = [1.0, 2.0];
/// layer.bias = Some(Box::new([0.5]));
///
/// // A batch of two samples.
/// let x = [1.0, 1.0, -1.0, 0.5];
/// let mut y = [0.0; 2];
/// let mut cache = Default::default();
/// layer.forward(&x, &mut y, 2, &mut cache);
/// assert_eq!(y, [3.5, 0.5]);
///
/// // Training: the forward keeps what backward needs, backward gives every gradient.
/// layer.forward_train(&x, &mut y, 2, &mut cache, &mut TrainCtx::new(0)).unwrap();
/// let mut dy = [1.0, -1.0]; // dL/dy of the two samples
/// let mut dx = [0.0; 4];
/// let mut grads = layer.zeros_like();
/// layer.backward(&x, &y, &mut dy, Some(&mut dx), 2, &mut cache, &mut grads);
/// assert_eq!(grads.weight[0], [2.0, 0.5]); // sum over samples of dy x
/// assert_eq!(grads.bias.as_deref(), Some(&[0.0])); // sum of dy
/// assert_eq!(dx, [1.0, 2.0, -1.0, -2.0]); // dy w per sample
/// assert_eq!(layer.param_names(), ["weight", "bias"]);
/// ```
pub trait Layer<T: Float>: Send + Sync + Sized {
    /// Per-sample input width.
    const IN: usize;
    /// Per-sample output width.
    const OUT: usize;
    /// True only for [`Identity`]: a residual block then adds its input itself to the main
    /// branch's output, with no copy kept for the shortcut.
    const IS_IDENTITY: bool = false;
    /// What the training forward keeps for backward, and scratch for inference (batch-sized
    /// buffers grown on first use, then reused: no allocation per call after warm-up).
    type Cache: Default + Send + Sync;

    /// Bytes of the batch-sized buffers `cache` holds now (after a pass, what that batch
    /// needed), for estimating a training batch's memory. Custom layers may leave it 0.
    fn cache_bytes(_cache: &Self::Cache) -> usize {
        0
    }

    /// PyTorch names of the trainable tensors, in visit order (`weight`, `bias`, ...).
    fn param_names(&self) -> &'static [&'static str];
    /// PyTorch names of the non-trainable state tensors (`running_mean`, ...), in visit order.
    fn buffer_names(&self) -> &'static [&'static str] {
        &[]
    }
    /// A layer of the same shape and configuration with every tensor zero: the gradient mirror.
    fn zeros_like(&self) -> Self;

    /// Checks input values the layer cannot take (token ids out of range) before a pass;
    /// generated networks call it for their first layer. Most layers take any input.
    fn check_input(&self, _x: &[T]) -> Result<()> {
        Ok(())
    }

    /// For layers that hold recurrent layers (through
    /// [`OverSteps`](crate::recurrent::OverSteps)): the number of time steps in the `batch`
    /// rows of the next passes (time-major), or 0 for streaming one step per call with the
    /// state carried between calls. A no-op for every other layer.
    fn set_steps(_cache: &mut Self::Cache, _steps: usize) {}

    /// For layers that hold recurrent layers: each sequence's length in the next passes
    /// (see [`crate::recurrent::lengths`]; empty when all are full). A no-op for the others.
    fn set_lengths(_cache: &mut Self::Cache, _lengths: &[usize]) {}

    /// Zeroes the carried streaming state of recurrent layers inside (see
    /// [`Layer::set_steps`]); a no-op for every other layer.
    fn reset_state(_cache: &mut Self::Cache) {}

    /// Whether [`Layer::backward`] reads its input `x` (when `false` it may be passed empty).
    /// Composites keep a child's output between the passes only when a neighbour reads it.
    fn backward_reads_input(&self) -> bool {
        true
    }

    /// Whether [`Layer::backward`] reads its output `y` (when `false` it may be passed empty).
    fn backward_reads_output(&self) -> bool {
        true
    }

    /// Inference forward (eval mode) of `batch` rows: `y = f(x)`.
    fn forward(&self, x: &[T], y: &mut [T], batch: usize, cache: &mut Self::Cache);
    /// [`Layer::forward`] that also leaves the values before a fused activation in `z`
    /// (resized), for int8 calibration; returns `false` (and leaves `z`) when none is fused.
    fn forward_pre_activation(
        &self,
        x: &[T],
        y: &mut [T],
        batch: usize,
        cache: &mut Self::Cache,
        _z: &mut Vec<T>,
    ) -> bool {
        self.forward(x, y, batch, cache);
        false
    }
    /// Training forward (train mode): like `forward`, keeping in `cache` what backward needs.
    fn forward_train(
        &mut self,
        x: &[T],
        y: &mut [T],
        batch: usize,
        cache: &mut Self::Cache,
        rng: &mut TrainCtx,
    ) -> Result<()>;
    /// Backward of the last `forward_train`: `dy` is dL/dy (overwritten), gradients of the
    /// parameters are written into `grads`, and dL/dx into `dx` when given.
    #[allow(clippy::too_many_arguments)]
    fn backward(
        &self,
        x: &[T],
        y: &[T],
        dy: &mut [T],
        dx: Option<&mut [T]>,
        batch: usize,
        cache: &mut Self::Cache,
        grads: &mut Self,
    );

    /// Visits the trainable tensors with their index into [`Layer::param_names`].
    fn visit_params(&self, f: &mut dyn FnMut(usize, ParamKind, &[T]));
    /// Visits the trainable tensors mutably.
    fn visit_params_mut(&mut self, f: &mut dyn FnMut(usize, ParamKind, &mut [T]));
    /// Visits each trainable tensor with the matching tensor of `grads`.
    fn visit_with_grads(&mut self, grads: &Self, f: &mut GradVisitor<'_, T>);
    /// Visits the non-trainable state tensors mutably (saved in checkpoints).
    fn visit_buffers_mut(&mut self, _f: &mut dyn FnMut(usize, &mut [T])) {}
    /// Visits the non-trainable state tensors.
    fn visit_buffers(&self, _f: &mut dyn FnMut(usize, &[T])) {}

    /// Number of trainable tensors.
    fn param_count(&self) -> usize {
        self.param_names().len()
    }
}

/// A zero-filled boxed `[[T; C]; R]` built on the heap (no large stack temporary).
pub fn boxed_matrix<T: Float, const R: usize, const C: usize>() -> Box<[[T; C]; R]> {
    let v: Box<[[T; C]]> = vec![[T::ZERO; C]; R].into_boxed_slice();
    match v.try_into() {
        Ok(b) => b,
        Err(_) => unreachable!("a vector of R rows converts to [_; R]"),
    }
}

/// A zero-filled boxed `[T; N]` built on the heap.
pub fn boxed_vector<T: Float, const N: usize>() -> Box<[T; N]> {
    let v: Box<[T]> = vec![T::ZERO; N].into_boxed_slice();
    match v.try_into() {
        Ok(b) => b,
        Err(_) => unreachable!("a vector of N elements converts to [_; N]"),
    }
}

/// Resizes a batch buffer to exactly `n` elements; capacity is kept, so a buffer that has seen
/// the largest batch never reallocates again.
#[inline]
pub fn ensure_len<T: Float>(v: &mut Vec<T>, n: usize) {
    if v.len() != n {
        v.resize(n, T::ZERO);
    }
}

/// Adds the rows of a row-major `[rows, width]` block into `out` (bias gradients).
#[inline]
pub fn sum_rows<T: Float>(block: &[T], width: usize, out: &mut [T]) {
    out.fill(T::ZERO);
    for row in block.chunks_exact(width) {
        for (o, &v) in out.iter_mut().zip(row) {
            *o += v;
        }
    }
}

#[cfg(test)]
pub(crate) mod testutil {
    //! Finite-difference checks shared by the layer tests.
    use super::*;

    /// Central-difference gradient of `L = sum(c .* layer(x))` w.r.t. x and every parameter,
    /// compared with the layer's backward. Returns the max relative error.
    pub fn check_layer<L: Layer<f64>>(layer: &mut L, x: &[f64], batch: usize, seed: u64) -> f64 {
        let out = L::OUT * batch;
        let c: Vec<f64> = (0..out)
            .map(|i| ((i * 7 + 3) % 11) as f64 / 5.0 - 1.0)
            .collect();
        let run = |layer: &mut L, x: &[f64]| -> f64 {
            let mut y = vec![0.0; out];
            let mut cache = L::Cache::default();
            let mut rng = crate::train_ctx::TrainCtx::new(seed);
            layer
                .forward_train(x, &mut y, batch, &mut cache, &mut rng)
                .unwrap();
            y.iter().zip(&c).map(|(a, b)| a * b).sum()
        };
        let mut y = vec![0.0; out];
        let mut cache = L::Cache::default();
        let mut rng = crate::train_ctx::TrainCtx::new(seed);
        layer
            .forward_train(x, &mut y, batch, &mut cache, &mut rng)
            .unwrap();
        let mut dy = c.clone();
        let mut dx = vec![0.0; x.len()];
        let mut grads = layer.zeros_like();
        layer.backward(x, &y, &mut dy, Some(&mut dx), batch, &mut cache, &mut grads);
        let h = 1e-6;
        let mut worst = 0.0f64;
        let mut cmp = |num: f64, ana: f64| {
            let err = (num - ana).abs() / num.abs().max(ana.abs()).max(1e-9);
            let err = if (num - ana).abs() < 1e-9 { 0.0 } else { err };
            worst = worst.max(err);
        };
        let mut xp = x.to_vec();
        for i in 0..x.len() {
            let orig = xp[i];
            xp[i] = orig + h;
            let lp = run(layer, &xp);
            xp[i] = orig - h;
            let lm = run(layer, &xp);
            xp[i] = orig;
            cmp((lp - lm) / (2.0 * h), dx[i]);
        }
        let mut analytic: Vec<Vec<f64>> = Vec::new();
        grads.visit_params(&mut |_, _, g| analytic.push(g.to_vec()));
        for (p, ana) in analytic.iter().enumerate() {
            for i in 0..ana.len() {
                let bump = |layer: &mut L, delta: f64| {
                    layer.visit_params_mut(&mut |j, _, v| {
                        if j == p {
                            v[i] += delta
                        }
                    })
                };
                bump(layer, h);
                let lp = run(layer, x);
                bump(layer, -2.0 * h);
                let lm = run(layer, x);
                bump(layer, h);
                cmp((lp - lm) / (2.0 * h), ana[i]);
            }
        }
        worst
    }

    /// Deterministic inputs away from zero (activation kinks).
    pub fn probe_input(n: usize) -> Vec<f64> {
        (0..n)
            .map(|i| {
                let v = ((i * 37 + 11) % 23) as f64 / 23.0 * 2.0 - 1.0;
                if v.abs() < 0.05 {
                    v + 0.1
                } else {
                    v
                }
            })
            .collect()
    }
}
