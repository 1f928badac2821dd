//! `softmax` and `log_softmax` as layers, over the `F` features of each sample (PyTorch's
//! `nn.Softmax(dim=-1)`, `nn.LogSoftmax(dim=-1)`): probabilities for inference, or
//! log-probabilities for the `nll` loss. The kernels are `crate::softmax`'s.

use super::{GradVisitor, Layer};
use crate::float::Float;
use crate::param::ParamKind;
use crate::softmax::{
    log_softmax_backward_rows, log_softmax_rows, softmax_backward_rows, softmax_rows,
};
use crate::train_ctx::TrainCtx;
use crate::Result;

/// Softmax (or, with `log`, log-softmax) of each sample's `F` values.
#[derive(Debug, Clone)]
pub struct Softmax<T: Float, const F: usize> {
    /// `true`: log-softmax (log-probabilities, for the `nll` loss); `false`: softmax
    /// (probabilities that sum to 1).
    pub log: bool,
    _t: core::marker::PhantomData<T>,
}

impl<T: Float, const F: usize> Softmax<T, F> {
    /// Softmax, or log-softmax when `log`; it has no parameters.
    pub fn new(log: bool) -> Self {
        Softmax {
            log,
            _t: core::marker::PhantomData,
        }
    }

    fn apply(&self, x: &[T], y: &mut [T]) -> Result<()> {
        y.copy_from_slice(x);
        if self.log {
            log_softmax_rows(y, F)
        } else {
            softmax_rows(y, F)
        }
    }
}

impl<T: Float, const F: usize> Layer<T> for Softmax<T, F> {
    const IN: usize = F;
    const OUT: usize = F;
    type Cache = ();

    fn param_names(&self) -> &'static [&'static str] {
        &[]
    }

    fn zeros_like(&self) -> Self {
        self.clone()
    }

    fn forward(&self, x: &[T], y: &mut [T], _batch: usize, _cache: &mut ()) {
        if let Err(e) = self.apply(x, y) {
            panic!("generated code passes whole rows of {F}: {e}");
        }
    }

    fn forward_train(
        &mut self,
        x: &[T],
        y: &mut [T],
        _b: usize,
        _c: &mut (),
        _r: &mut TrainCtx,
    ) -> Result<()> {
        self.apply(x, y)
    }

    /// `dy` is overwritten with dL/dx, which is copied into `dx` when asked.
    fn backward(
        &self,
        _x: &[T],
        y: &[T],
        dy: &mut [T],
        dx: Option<&mut [T]>,
        _batch: usize,
        _cache: &mut (),
        _grads: &mut Self,
    ) {
        let r = if self.log {
            log_softmax_backward_rows(y, dy, F)
        } else {
            softmax_backward_rows(y, dy, F)
        };
        if let Err(e) = r {
            panic!("generated code passes whole rows of {F}: {e}");
        }
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
        for log in [false, true] {
            let err = check_layer(&mut Softmax::<f64, 4>::new(log), &probe_input(12), 3, 0);
            assert!(err < 1e-7, "log {log}: {err}");
        }
    }
}
