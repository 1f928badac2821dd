//! A stand-alone activation layer, for activations that cannot be fused into the layer
//! before them (after a normalisation layer, or first in a network).

use super::{GradVisitor, Layer};
use crate::activation::Activation;
use crate::float::Float;
use crate::param::ParamKind;
use crate::train_ctx::TrainCtx;
use crate::Result;

/// `y = f(x)` element-wise over `F` features.
#[derive(Debug, Clone)]
pub struct Act<T: Float, const F: usize> {
    /// The function applied to every feature.
    pub act: Activation,
    _t: core::marker::PhantomData<T>,
}

impl<T: Float, const F: usize> Act<T, F> {
    /// A layer applying `act`; it has no parameters.
    pub fn new(act: Activation) -> Self {
        Act {
            act,
            _t: core::marker::PhantomData,
        }
    }
}

impl<T: Float, const F: usize> Layer<T> for Act<T, F> {
    const IN: usize = F;
    const OUT: usize = F;
    type Cache = ();

    fn param_names(&self) -> &'static [&'static str] {
        &[]
    }

    fn zeros_like(&self) -> Self {
        self.clone()
    }

    fn backward_reads_input(&self) -> bool {
        self.act.needs_input()
    }

    fn backward_reads_output(&self) -> bool {
        self.act.needs_output()
    }

    fn forward(&self, x: &[T], y: &mut [T], _batch: usize, _cache: &mut ()) {
        y.copy_from_slice(x);
        self.act.forward(y);
    }

    fn forward_train(
        &mut self,
        x: &[T],
        y: &mut [T],
        b: usize,
        c: &mut (),
        _r: &mut TrainCtx,
    ) -> Result<()> {
        self.forward(x, y, b, c);
        Ok(())
    }

    fn backward(
        &self,
        x: &[T],
        y: &[T],
        dy: &mut [T],
        dx: Option<&mut [T]>,
        _batch: usize,
        _cache: &mut (),
        _grads: &mut Self,
    ) {
        self.act.backward(x, y, dy);
        if let Some(dx) = dx {
            dx.copy_from_slice(dy);
        }
    }

    fn visit_params(&self, _f: &mut dyn FnMut(usize, ParamKind, &[T])) {}
    fn visit_params_mut(&mut self, _f: &mut dyn FnMut(usize, ParamKind, &mut [T])) {}
    fn visit_with_grads(&mut self, _g: &Self, _f: &mut GradVisitor<'_, T>) {}
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{check_layer, probe_input};
    use super::*;

    #[test]
    fn backward_matches_finite_differences() {
        for act in [Activation::Tanh, Activation::Sigmoid, Activation::Relu] {
            let err = check_layer(&mut Act::<f64, 4>::new(act), &probe_input(12), 3, 0);
            assert!(err < 1e-7, "{act:?}: {err}");
        }
    }
}
