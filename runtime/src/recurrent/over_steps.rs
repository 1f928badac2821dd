//! A recurrent layer as a row-wise [`Layer`], so it can sit inside blocks, `residual { }` and
//! `concat { }` (a GNMT-style residual LSTM stack): the composite passes the step count down
//! through [`Layer::set_steps`] before each pass, and the `batch` rows of a pass are `steps x
//! sequences`, time-major. Each pass starts from the zero state; with `steps = 0` (streaming)
//! every call is one step and the state is carried until [`Layer::reset_state`].

use super::Recurrent;
use crate::float::Float;
use crate::layers::{ensure_len, GradVisitor, Layer};
use crate::param::ParamKind;
use crate::train_ctx::TrainCtx;
use crate::Result;

/// `R` driven through [`Layer`].
#[derive(Debug, Clone)]
pub struct OverSteps<T, R> {
    /// The recurrent layer run over the rows; its parameters are this layer's.
    pub inner: R,
    _t: core::marker::PhantomData<T>,
}

impl<T, R> OverSteps<T, R> {
    /// Wraps `inner` so it can be used wherever a [`Layer`] is expected.
    pub fn new(inner: R) -> Self {
        OverSteps {
            inner,
            _t: core::marker::PhantomData,
        }
    }
}

/// The inner cache, the step count of the next pass (0: streaming) and the state.
#[derive(Debug, Default)]
pub struct OverStepsCache<T, C> {
    inner: C,
    steps: usize,
    state: Vec<T>,
}

impl<T: Float, R: Recurrent<T>> OverSteps<T, R> {
    /// `(steps, sequences)` of `batch` rows, and the state zeroed for a fresh pass.
    fn dims(c: &mut OverStepsCache<T, R::Cache>, batch: usize) -> (usize, usize) {
        let steps = c.steps.max(1);
        let seqs = batch / steps;
        c.state.clear();
        c.state.resize(seqs * R::STATE, T::ZERO);
        (steps, seqs)
    }
}

impl<T: Float, R: Recurrent<T>> Layer<T> for OverSteps<T, R> {
    const IN: usize = R::IN;
    const OUT: usize = R::OUT;
    type Cache = OverStepsCache<T, R::Cache>;

    fn cache_bytes(c: &Self::Cache) -> usize {
        R::cache_bytes(&c.inner) + crate::layers::vec_bytes(&c.state)
    }

    fn param_names(&self) -> &'static [&'static str] {
        self.inner.param_names()
    }

    fn zeros_like(&self) -> Self {
        OverSteps::new(self.inner.zeros_like())
    }

    fn set_steps(c: &mut Self::Cache, steps: usize) {
        c.steps = steps;
    }

    fn set_lengths(c: &mut Self::Cache, lengths: &[usize]) {
        R::set_lengths(&mut c.inner, lengths);
    }

    fn reset_state(c: &mut Self::Cache) {
        c.state.fill(T::ZERO);
    }

    fn forward(&self, x: &[T], y: &mut [T], batch: usize, c: &mut Self::Cache) {
        if c.steps == 0 {
            ensure_len(&mut c.state, batch * R::STATE);
            self.inner
                .step(x, y, batch, &mut c.state[..batch * R::STATE], &mut c.inner);
            return;
        }
        let (steps, seqs) = Self::dims(c, batch);
        self.inner
            .forward(x, y, steps, seqs, &mut c.state, &mut c.inner);
    }

    #[allow(clippy::too_many_arguments)]
    fn forward_train(
        &mut self,
        x: &[T],
        y: &mut [T],
        batch: usize,
        c: &mut Self::Cache,
        rng: &mut TrainCtx,
    ) -> Result<()> {
        let (steps, seqs) = Self::dims(c, batch);
        self.inner
            .forward_train(x, y, steps, seqs, &mut c.state, &mut c.inner, rng)
    }

    fn backward(
        &self,
        x: &[T],
        y: &[T],
        dy: &mut [T],
        dx: Option<&mut [T]>,
        batch: usize,
        c: &mut Self::Cache,
        grads: &mut Self,
    ) {
        let steps = c.steps.max(1);
        self.inner.backward(
            x,
            y,
            dy,
            dx,
            steps,
            batch / steps,
            &mut c.inner,
            &mut grads.inner,
        );
    }

    fn param_count(&self) -> usize {
        self.inner.param_count()
    }

    fn visit_params(&self, f: &mut dyn FnMut(usize, ParamKind, &[T])) {
        self.inner.visit_params(f);
    }

    fn visit_params_mut(&mut self, f: &mut dyn FnMut(usize, ParamKind, &mut [T])) {
        self.inner.visit_params_mut(f);
    }

    fn visit_with_grads(&mut self, grads: &Self, f: &mut GradVisitor<'_, T>) {
        self.inner.visit_with_grads(&grads.inner, f);
    }
}
