//! A gated linear unit written as a user layer: `y = a * sigmoid(g)` with `[a, g] = W x + b`,
//! PyTorch's `nn.Sequential(nn.Linear(IN, 2 * OUT), nn.GLU())` (Dauphin et al., 2017,
//! "Language Modeling with Gated Convolutional Networks"). Its tensors are named and shaped as
//! that `nn.Linear`'s: `weight: [2 * OUT, IN]`, `bias: [2 * OUT]`.

use kiln::runtime::layers::{CustomLayer, GradVisitor, Layer};
use kiln::runtime::network::TensorSpec;
use kiln::runtime::param::ParamKind;
use kiln::runtime::rng::{uniform, KilnRng};
use kiln::runtime::train_ctx::TrainCtx;
use kiln::runtime::Float;

/// `IN` inputs, `OUT` gated outputs per sample.
#[derive(Debug, Clone)]
pub struct GatedLinear<T: Float, const IN: usize, const OUT: usize> {
    /// `[2 * OUT, IN]` row-major: the value rows, then the gate rows.
    pub weight: Box<[T]>,
    /// `[2 * OUT]`.
    pub bias: Box<[T]>,
}

impl<T: Float, const IN: usize, const OUT: usize> GatedLinear<T, IN, OUT> {
    fn zeros() -> Self {
        GatedLinear {
            weight: vec![T::ZERO; 2 * OUT * IN].into(),
            bias: vec![T::ZERO; 2 * OUT].into(),
        }
    }

    /// `z = W x + b` for one sample: `[2 * OUT]`.
    fn affine(&self, x: &[T], z: &mut [T]) {
        for (k, zk) in z.iter_mut().enumerate() {
            let row = &self.weight[k * IN..(k + 1) * IN];
            *zk = row
                .iter()
                .zip(x)
                .fold(self.bias[k], |s, (&w, &v)| s + w * v);
        }
    }
}

fn sigmoid<T: Float>(v: T) -> T {
    T::ONE / (T::ONE + (-v).exp())
}

impl<T: Float, const IN: usize, const OUT: usize> Layer<T> for GatedLinear<T, IN, OUT> {
    const IN: usize = IN;
    const OUT: usize = OUT;
    /// `z = W x + b` of every sample of the last pass, `[batch, 2 * OUT]`.
    type Cache = Vec<T>;

    fn param_names(&self) -> &'static [&'static str] {
        &["weight", "bias"]
    }

    fn zeros_like(&self) -> Self {
        Self::zeros()
    }

    // forward: x [batch, IN] -> z [batch, 2 OUT] -> y [batch, OUT]
    fn forward(&self, x: &[T], y: &mut [T], batch: usize, z: &mut Vec<T>) {
        z.resize(batch * 2 * OUT, T::ZERO);
        for ((x, z), y) in x
            .chunks_exact(IN)
            .zip(z.chunks_exact_mut(2 * OUT))
            .zip(y.chunks_exact_mut(OUT))
        {
            self.affine(x, z);
            for (o, yo) in y.iter_mut().enumerate() {
                *yo = z[o] * sigmoid(z[OUT + o]);
            }
        }
    }

    fn forward_train(
        &mut self,
        x: &[T],
        y: &mut [T],
        batch: usize,
        z: &mut Vec<T>,
        _rng: &mut TrainCtx,
    ) -> kiln::runtime::Result<()> {
        self.forward(x, y, batch, z);
        Ok(())
    }

    // backward: dy [batch, OUT] -> dz [2 OUT] per sample -> dW += dz x^T, db += dz, dx = W^T dz
    fn backward(
        &self,
        x: &[T],
        _y: &[T],
        dy: &mut [T],
        mut dx: Option<&mut [T]>,
        _batch: usize,
        z: &mut Vec<T>,
        grads: &mut Self,
    ) {
        grads.weight.fill(T::ZERO);
        grads.bias.fill(T::ZERO);
        let mut dz = vec![T::ZERO; 2 * OUT];
        for (i, ((x, z), dy)) in x
            .chunks_exact(IN)
            .zip(z.chunks_exact(2 * OUT))
            .zip(dy.chunks_exact(OUT))
            .enumerate()
        {
            for o in 0..OUT {
                let s = sigmoid(z[OUT + o]);
                dz[o] = dy[o] * s;
                dz[OUT + o] = dy[o] * z[o] * s * (T::ONE - s);
            }
            for (k, &d) in dz.iter().enumerate() {
                grads.bias[k] += d;
                for (w, &v) in grads.weight[k * IN..(k + 1) * IN].iter_mut().zip(x) {
                    *w += d * v;
                }
            }
            if let Some(dx) = dx.as_deref_mut() {
                let dx = &mut dx[i * IN..(i + 1) * IN];
                dx.fill(T::ZERO);
                for (k, &d) in dz.iter().enumerate() {
                    for (g, &w) in dx.iter_mut().zip(&self.weight[k * IN..(k + 1) * IN]) {
                        *g += d * w;
                    }
                }
            }
        }
    }

    fn visit_params(&self, f: &mut dyn FnMut(usize, ParamKind, &[T])) {
        f(0, ParamKind::Weight, &self.weight);
        f(1, ParamKind::Bias, &self.bias);
    }

    fn visit_params_mut(&mut self, f: &mut dyn FnMut(usize, ParamKind, &mut [T])) {
        f(0, ParamKind::Weight, &mut self.weight);
        f(1, ParamKind::Bias, &mut self.bias);
    }

    fn visit_with_grads(&mut self, g: &Self, f: &mut GradVisitor<'_, T>) {
        f(0, ParamKind::Weight, &mut self.weight, &g.weight);
        f(1, ParamKind::Bias, &mut self.bias, &g.bias);
    }
}

impl<T: Float, const IN: usize, const OUT: usize> CustomLayer<T> for GatedLinear<T, IN, OUT> {
    const TENSORS: &'static [TensorSpec] = &[
        TensorSpec {
            name: "weight",
            shape: &[2 * OUT, IN],
            buffer: false,
        },
        TensorSpec {
            name: "bias",
            shape: &[2 * OUT],
            buffer: false,
        },
    ];

    /// PyTorch's `nn.Linear` initialisation: uniform in `±1/sqrt(IN)`.
    fn init(rng: &mut KilnRng) -> Self {
        let bound = 1.0 / (IN as f64).sqrt();
        let mut layer = Self::zeros();
        for v in layer.weight.iter_mut().chain(layer.bias.iter_mut()) {
            *v = T::from_f64(uniform(rng, -bound, bound));
        }
        layer
    }
}
