//! TEMPORARY stub (replaced by the activation module being written).
use crate::Float;
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Activation {
    Identity,
    Sigmoid,
    Tanh,
    Relu,
    LeakyRelu { slope: f64 },
    Elu { alpha: f64 },
    Softplus,
    HardSigmoid,
    HardSigmoidPyTorch,
    HardTanh,
    Gelu,
    GeluTanh,
    Swish,
}
impl Activation {
    pub fn forward<T: Float>(&self, x: &mut [T]) {
        for v in x {
            *v = self.f(*v);
        }
    }
    pub fn forward_bias<T: Float>(&self, rows: &mut [T], bias: &[T]) {
        for r in rows.chunks_mut(bias.len()) {
            for (v, b) in r.iter_mut().zip(bias) {
                *v = self.f(*v + *b);
            }
        }
    }
    pub fn backward<T: Float>(&self, x: &[T], y: &[T], d: &mut [T]) {
        for i in 0..d.len() {
            let g = match self {
                Activation::Identity => T::ONE,
                Activation::Relu => {
                    if y[i] > T::ZERO {
                        T::ONE
                    } else {
                        T::ZERO
                    }
                }
                Activation::Tanh => T::ONE - y[i] * y[i],
                Activation::Sigmoid => y[i] * (T::ONE - y[i]),
                _ => {
                    let _ = x;
                    T::ONE
                }
            };
            d[i] *= g;
        }
    }
    pub fn needs_input(&self) -> bool {
        false
    }
    pub fn name(&self) -> &'static str {
        "stub"
    }
    fn f<T: Float>(&self, v: T) -> T {
        match self {
            Activation::Relu => v.max(T::ZERO),
            Activation::Tanh => v.tanh(),
            Activation::Sigmoid => T::ONE / (T::ONE + (-v).exp()),
            _ => v,
        }
    }
}
