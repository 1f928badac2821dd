//! Named parameter tensors with their gradients: the one interface between a model (generated
//! by `network!` or built by hand) and the optimisers, so neither needs glue code for the other.

use crate::float::Float;

/// What role a parameter plays. Optimisers decay every parameter by default, as PyTorch does;
/// `decay_only(ParamKind::Weight)` gives the notes' objective, which never decays biases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ParamKind {
    /// A weight matrix or kernel.
    Weight,
    /// An additive bias.
    Bias,
    /// A normalisation layer's scale (gamma).
    Scale,
    /// A normalisation layer's shift (beta).
    Shift,
    /// A learnable activation slope (PReLU).
    Slope,
}

/// One parameter tensor, flattened, with its gradient of the same length.
#[derive(Debug)]
pub struct Param<'a, T> {
    /// PyTorch-style dotted name, e.g. `layers.0.weight`.
    pub name: &'a str,
    pub kind: ParamKind,
    pub value: &'a mut [T],
    pub grad: &'a [T],
}

/// A set of parameters an optimiser can visit, always in the same order.
pub trait ParamSet<T: Float> {
    /// Calls `f` once per parameter tensor, in a fixed order.
    fn visit(&mut self, f: &mut dyn FnMut(Param<'_, T>));
}

impl<T: Float> ParamSet<T> for [Param<'_, T>] {
    fn visit(&mut self, f: &mut dyn FnMut(Param<'_, T>)) {
        for p in self.iter_mut() {
            f(Param {
                name: p.name,
                kind: p.kind,
                value: &mut *p.value,
                grad: p.grad,
            });
        }
    }
}

impl<T: Float, const N: usize> ParamSet<T> for [Param<'_, T>; N] {
    fn visit(&mut self, f: &mut dyn FnMut(Param<'_, T>)) {
        self.as_mut_slice().visit(f)
    }
}

impl<T: Float> ParamSet<T> for Vec<Param<'_, T>> {
    fn visit(&mut self, f: &mut dyn FnMut(Param<'_, T>)) {
        self.as_mut_slice().visit(f)
    }
}

/// A set of gradients that can be visited mutably (for clipping, zeroing and scaling).
pub trait GradSet<T: Float> {
    /// Calls `f` once per gradient tensor, in the same order as the matching [`ParamSet`].
    fn visit_grads(&mut self, f: &mut dyn FnMut(&str, &mut [T]));
}

impl<T: Float> GradSet<T> for [(&str, &mut [T])] {
    fn visit_grads(&mut self, f: &mut dyn FnMut(&str, &mut [T])) {
        for (name, g) in self.iter_mut() {
            f(name, g);
        }
    }
}

/// The global L2 norm of every gradient in the set, accumulated in f64.
pub fn global_norm<T: Float>(grads: &mut dyn GradSet<T>) -> f64 {
    let mut sum = 0.0f64;
    grads.visit_grads(&mut |_, g| {
        sum += g.iter().map(|&x| x.to_f64() * x.to_f64()).sum::<f64>();
    });
    sum.sqrt()
}
