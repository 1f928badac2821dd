//! Dense (fully connected) layer `y = f(x W^T + b)`, PyTorch's `nn.Linear` layout
//! (`weight: [OUT, IN]`), with the activation fused into the pass that adds the bias.
//!
//! Backward (the delta recursion): `dz = f'(z) . dy`, `dW = dz^T x`, `db = sum_rows dz`,
//! `dx = dz W`; every product is one GEMM, the transposes are strides.

use super::{boxed_matrix, boxed_vector, ensure_len, sum_rows, GradVisitor, Layer};
use crate::activation::Activation;
use crate::float::Float;
use crate::gemm::{gemm_unchecked, matvec_rows, Trans};
use crate::init::Init;
use crate::param::ParamKind;
use crate::rng::KilnRng;
use crate::train_ctx::TrainCtx;
use crate::Result;

/// Fully connected layer from `IN` to `OUT` features with an optional bias and a fused
/// activation (use [`Activation::Identity`] for none).
#[derive(Debug, Clone)]
pub struct Dense<T: Float, const IN: usize, const OUT: usize> {
    /// `[OUT, IN]`, as `nn.Linear.weight`.
    pub weight: Box<[[T; IN]; OUT]>,
    /// `[OUT]`, absent for `bias = false`.
    pub bias: Option<Box<[T; OUT]>>,
    /// The activation fused into the forward pass.
    pub act: Activation,
}

/// What backward needs beyond the layer's input and output: the pre-activation, only for
/// activations whose derivative cannot be computed from the output.
#[derive(Debug, Default, Clone)]
pub struct DenseCache<T> {
    z: Vec<T>,
}

impl<T: Float, const IN: usize, const OUT: usize> Dense<T, IN, OUT> {
    /// A layer initialised by `init` (weights; fan-in `IN`, fan-out `OUT`) with zero biases.
    pub fn new(bias: bool, act: Activation, init: Init, rng: &mut KilnRng) -> Result<Self> {
        let mut layer = Self::zeros(bias, act);
        init.fill(layer.weight.as_flattened_mut(), IN, OUT, rng)?;
        Ok(layer)
    }

    fn zeros(bias: bool, act: Activation) -> Self {
        Dense {
            weight: boxed_matrix(),
            bias: bias.then(boxed_vector),
            act,
        }
    }

    /// `z = x W^T (+ b)` then the activation, over `batch` rows; `z` kept when asked.
    fn forward_into(&self, x: &[T], y: &mut [T], batch: usize, keep_z: Option<&mut Vec<T>>) {
        debug_assert_eq!(x.len(), batch * IN);
        debug_assert_eq!(y.len(), batch * OUT);
        if batch == 1 {
            // One sample: dot products over the weight rows, no GEMM set-up.
            let x = <&[T; IN]>::try_from(x).expect("one sample of IN values");
            y.fill(T::ZERO);
            matvec_rows(&self.weight[..], x, y);
        } else {
            let w = self.weight.as_flattened();
            gemm_unchecked(
                Trans::No,
                Trans::Yes,
                batch,
                OUT,
                IN,
                T::ONE,
                x,
                IN,
                w,
                IN,
                T::ZERO,
                y,
                OUT,
            );
        }
        match keep_z {
            Some(z) => {
                if let Some(b) = &self.bias {
                    Activation::Identity.forward_bias(y, &b[..]);
                }
                ensure_len(z, y.len());
                z.copy_from_slice(y);
                self.act.forward(y);
            }
            None => match &self.bias {
                Some(b) => self.act.forward_bias(y, &b[..]),
                None => self.act.forward(y),
            },
        }
    }
}

impl<T: Float, const IN: usize, const OUT: usize> Layer<T> for Dense<T, IN, OUT> {
    const IN: usize = IN;
    const OUT: usize = OUT;
    type Cache = DenseCache<T>;

    fn cache_bytes(c: &Self::Cache) -> usize {
        crate::layers::vec_bytes(&c.z)
    }

    fn param_names(&self) -> &'static [&'static str] {
        if self.bias.is_some() {
            &["weight", "bias"]
        } else {
            &["weight"]
        }
    }

    fn zeros_like(&self) -> Self {
        Self::zeros(self.bias.is_some(), self.act)
    }

    fn forward(&self, x: &[T], y: &mut [T], batch: usize, _cache: &mut Self::Cache) {
        self.forward_into(x, y, batch, None);
    }

    fn forward_pre_activation(
        &self,
        x: &[T],
        y: &mut [T],
        batch: usize,
        _cache: &mut Self::Cache,
        z: &mut Vec<T>,
    ) -> bool {
        let fused = self.act != Activation::Identity;
        self.forward_into(x, y, batch, fused.then_some(z));
        fused
    }

    fn forward_train(
        &mut self,
        x: &[T],
        y: &mut [T],
        batch: usize,
        cache: &mut Self::Cache,
        _rng: &mut TrainCtx,
    ) -> Result<()> {
        let keep = self.act.needs_input().then_some(&mut cache.z);
        self.forward_into(x, y, batch, keep);
        Ok(())
    }

    fn backward(
        &self,
        x: &[T],
        y: &[T],
        dy: &mut [T],
        dx: Option<&mut [T]>,
        batch: usize,
        cache: &mut Self::Cache,
        grads: &mut Self,
    ) {
        // dz = f'(z) . dy, in place.
        self.act.backward(&cache.z, y, dy);
        let dz = &*dy;
        // dW [OUT, IN] = dz^T [OUT, batch] x [batch, IN]
        let gw = grads.weight.as_flattened_mut();
        gemm_unchecked(
            Trans::Yes,
            Trans::No,
            OUT,
            IN,
            batch,
            T::ONE,
            dz,
            OUT,
            x,
            IN,
            T::ZERO,
            gw,
            IN,
        );
        if let Some(gb) = &mut grads.bias {
            sum_rows(dz, OUT, &mut gb[..]);
        }
        // dx [batch, IN] = dz [batch, OUT] W [OUT, IN]
        if let Some(dx) = dx {
            let w = self.weight.as_flattened();
            gemm_unchecked(
                Trans::No,
                Trans::No,
                batch,
                IN,
                OUT,
                T::ONE,
                dz,
                OUT,
                w,
                IN,
                T::ZERO,
                dx,
                IN,
            );
        }
    }

    fn visit_params(&self, f: &mut dyn FnMut(usize, ParamKind, &[T])) {
        f(0, ParamKind::Weight, self.weight.as_flattened());
        if let Some(b) = &self.bias {
            f(1, ParamKind::Bias, &b[..]);
        }
    }

    fn visit_params_mut(&mut self, f: &mut dyn FnMut(usize, ParamKind, &mut [T])) {
        f(0, ParamKind::Weight, self.weight.as_flattened_mut());
        if let Some(b) = &mut self.bias {
            f(1, ParamKind::Bias, &mut b[..]);
        }
    }

    fn visit_with_grads(&mut self, grads: &Self, f: &mut GradVisitor<'_, T>) {
        f(
            0,
            ParamKind::Weight,
            self.weight.as_flattened_mut(),
            grads.weight.as_flattened(),
        );
        if let (Some(b), Some(gb)) = (&mut self.bias, &grads.bias) {
            f(1, ParamKind::Bias, &mut b[..], &gb[..]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{check_layer, probe_input};
    use super::*;

    fn layer(bias: bool, act: Activation) -> Dense<f64, 3, 2> {
        let mut l = Dense::<f64, 3, 2>::zeros(bias, act);
        l.weight
            .as_flattened_mut()
            .copy_from_slice(&[0.1, -0.2, 0.3, 0.4, 0.5, -0.6]);
        if let Some(b) = &mut l.bias {
            b.copy_from_slice(&[0.05, -0.05]);
        }
        l
    }

    #[test]
    fn forward_matches_hand_computation() {
        let l = layer(true, Activation::Identity);
        let x = [1.0, 2.0, 3.0, -1.0, 0.0, 1.0];
        let mut y = [0.0; 4];
        l.forward(&x, &mut y, 2, &mut DenseCache::default());
        // row 0: [0.1-0.4+0.9, 0.4+1.0-1.8] + b ; row 1: [-0.1+0.3, -0.4-0.6] + b
        let want = [0.65, -0.45, 0.25, -1.05];
        for (a, b) in y.iter().zip(want) {
            assert!((a - b).abs() < 1e-12, "{y:?}");
        }
        let l = layer(false, Activation::Relu);
        l.forward(&x, &mut y, 2, &mut DenseCache::default());
        let want = [0.6, 0.0, 0.2, 0.0];
        for (a, b) in y.iter().zip(want) {
            assert!((a - b).abs() < 1e-12, "{y:?}");
        }
    }

    #[test]
    fn backward_matches_finite_differences() {
        for act in [Activation::Identity, Activation::Tanh, Activation::Sigmoid] {
            for bias in [true, false] {
                let mut l = layer(bias, act);
                let err = check_layer(&mut l, &probe_input(3 * 4), 4, 1);
                assert!(err < 1e-7, "{act:?} bias={bias}: {err}");
            }
        }
    }
}
