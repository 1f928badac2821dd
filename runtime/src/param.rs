//! Named parameter tensors with their gradients: the one interface between a model (generated
//! by `network!` or built by hand) and the optimisers, so neither needs glue code for the other.

use crate::float::Float;

/// What role a parameter plays. Optimisers decay every parameter by default, as PyTorch does;
/// `decay_only(ParamKind::Weight)` gives the textbook L2-regularised objective, which never
/// decays biases.
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
///
/// A slice, array or `Vec` of these is a [`ParamSet`], so hand-written models can be
/// stepped by any [`Optimizer`](crate::optim::Optimizer):
///
/// ```
/// use kiln_runtime::optim::{Optimizer, Sgd};
/// use kiln_runtime::{Param, ParamKind, ParamSet};
///
/// let mut w = vec![1.0f32; 4];
/// let g = vec![2.0f32; 4];
/// let mut set = vec![Param { name: "fc.weight", kind: ParamKind::Weight, value: &mut w, grad: &g }];
///
/// let mut names = Vec::new();
/// set.visit(&mut |p| names.push(p.name.to_string()));
/// assert_eq!(names, ["fc.weight"]);
///
/// Sgd::new(0.5).unwrap().step(&mut set).unwrap();
/// assert_eq!(w, [0.0; 4]);
/// ```
#[derive(Debug)]
pub struct Param<'a, T> {
    /// PyTorch-style dotted name, e.g. `layers.0.weight`.
    pub name: &'a str,
    /// What the tensor is for; lets an optimiser decay weights but not biases.
    pub kind: ParamKind,
    /// The values, flattened row-major; the optimiser updates them in place.
    pub value: &'a mut [T],
    /// The loss's gradient with respect to `value`, element by element (same length).
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
