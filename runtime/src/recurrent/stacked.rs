//! Stacked recurrent layers, PyTorch's `nn.LSTM(num_layers = n, dropout = p)`: the `lower`
//! layer's outputs, with inverted dropout in training, are the `upper` layer's inputs. The
//! layers are named as PyTorch names them: the cell at level `k` holds `weight_ih_l{k}`, ...,
//! so an `nn.LSTM(num_layers = 2)` state_dict loads unmodified. More than two layers nest:
//! `Stacked<L0, Stacked<L1, L2>>`.
//!
//! State: `[lower's block (batch * A::STATE) | upper's block]`.

use crate::train_ctx::TrainCtx;
use core::marker::PhantomData;

use super::Recurrent;
use crate::error::{check_hyper, Result};
use crate::float::Float;
use crate::layers::{ensure_len, GradVisitor};
use crate::param::ParamKind;
use crate::rng::uniform;

/// `lower` then `upper`, with dropout between them in training.
#[derive(Debug, Clone)]
pub struct Stacked<T, A, B> {
    /// The first layer, reading the stack's input.
    pub lower: A,
    /// The second layer (or a further `Stacked`), reading `lower`'s outputs after dropout.
    pub upper: B,
    /// Probability of zeroing each of `lower`'s outputs in training.
    pub dropout: f64,
    /// PyTorch's level of `lower` (`upper` is `level + 1`).
    level: usize,
    _t: PhantomData<T>,
}

/// Both layers' caches, `lower`'s outputs before and after dropout, the dropout mask and the
/// gradient between the layers.
#[derive(Debug, Default, Clone)]
pub struct StackedCache<T, AC, BC> {
    lower: AC,
    upper: BC,
    mid: Vec<T>,
    dropped: Vec<T>,
    mask: Vec<T>,
    dmid: Vec<T>,
}

impl<T: Float, A: Recurrent<T>, B: Recurrent<T>> Stacked<T, A, B> {
    /// `lower` at PyTorch level `level`; `dropout` in `[0, 1)`.
    pub fn new(lower: A, upper: B, dropout: f64, level: usize) -> Result<Self> {
        check_hyper(
            "dropout between stacked layers",
            dropout,
            (0.0..1.0).contains(&dropout),
            "must lie in [0, 1)",
        )?;
        Ok(Stacked {
            lower,
            upper,
            dropout,
            level,
            _t: PhantomData,
        })
    }

    fn split<'s>(&self, state: &'s mut [T], batch: usize) -> (&'s mut [T], &'s mut [T]) {
        state.split_at_mut(batch * A::STATE)
    }
}

impl<T: Float, A: Recurrent<T>, B: Recurrent<T>> Recurrent<T> for Stacked<T, A, B> {
    fn set_lengths(c: &mut Self::Cache, lengths: &[usize]) {
        A::set_lengths(&mut c.lower, lengths);
        B::set_lengths(&mut c.upper, lengths);
    }

    const IN: usize = A::IN;
    const OUT: usize = B::OUT;
    const STATE: usize = A::STATE + B::STATE;
    type Cache = StackedCache<T, A::Cache, B::Cache>;

    fn cache_bytes(c: &Self::Cache) -> usize {
        A::cache_bytes(&c.lower)
            + B::cache_bytes(&c.upper)
            + crate::layers::vec_bytes(&c.mid)
            + crate::layers::vec_bytes(&c.dropped)
            + crate::layers::vec_bytes(&c.mask)
            + crate::layers::vec_bytes(&c.dmid)
    }

    /// Named through the overridden visitors.
    fn param_names(&self) -> &'static [&'static str] {
        &[]
    }

    fn zeros_like(&self) -> Self {
        Stacked {
            lower: self.lower.zeros_like(),
            upper: self.upper.zeros_like(),
            dropout: self.dropout,
            level: self.level,
            _t: PhantomData,
        }
    }

    fn forward(
        &self,
        x: &[T],
        y: &mut [T],
        steps: usize,
        batch: usize,
        state: &mut [T],
        c: &mut Self::Cache,
    ) {
        ensure_len(&mut c.mid, steps * batch * A::OUT);
        let (sa, sb) = self.split(state, batch);
        let mid = &mut c.mid[..steps * batch * A::OUT];
        self.lower.forward(x, mid, steps, batch, sa, &mut c.lower);
        self.upper.forward(mid, y, steps, batch, sb, &mut c.upper);
    }

    #[allow(clippy::too_many_arguments)]
    fn forward_train(
        &mut self,
        x: &[T],
        y: &mut [T],
        steps: usize,
        batch: usize,
        state: &mut [T],
        c: &mut Self::Cache,
        rng: &mut TrainCtx,
    ) -> Result<()> {
        let n = steps * batch * A::OUT;
        for v in [&mut c.mid, &mut c.dropped, &mut c.mask] {
            ensure_len(v, n);
        }
        let (sa, sb) = state.split_at_mut(batch * A::STATE);
        self.lower
            .forward_train(x, &mut c.mid[..n], steps, batch, sa, &mut c.lower, rng)?;
        let keep = 1.0 - self.dropout;
        let scale = T::from_f64(1.0 / keep);
        if self.dropout == 0.0 {
            c.mask[..n].fill(scale);
        } else {
            let mask = &mut c.mask[..n];
            rng.draw_rows(steps * batch, A::OUT, |r, g| {
                for m in &mut mask[r * A::OUT..(r + 1) * A::OUT] {
                    *m = if uniform::<f64, _>(g, 0.0, 1.0) < keep {
                        scale
                    } else {
                        T::ZERO
                    };
                }
            });
        }
        for ((d, &m), &v) in c.dropped[..n].iter_mut().zip(&c.mask[..n]).zip(&c.mid[..n]) {
            *d = v * m;
        }
        self.upper
            .forward_train(&c.dropped[..n], y, steps, batch, sb, &mut c.upper, rng)
    }

    fn backward(
        &self,
        x: &[T],
        y: &[T],
        dy: &mut [T],
        dx: Option<&mut [T]>,
        steps: usize,
        batch: usize,
        c: &mut Self::Cache,
        grads: &mut Self,
    ) {
        let n = steps * batch * A::OUT;
        ensure_len(&mut c.dmid, n);
        let dmid = &mut c.dmid[..n];
        self.upper.backward(
            &c.dropped[..n],
            y,
            dy,
            Some(&mut *dmid),
            steps,
            batch,
            &mut c.upper,
            &mut grads.upper,
        );
        for (d, &m) in dmid.iter_mut().zip(&c.mask[..n]) {
            *d *= m;
        }
        self.lower.backward(
            x,
            &c.mid[..n],
            dmid,
            dx,
            steps,
            batch,
            &mut c.lower,
            &mut grads.lower,
        );
    }

    fn step(&self, x: &[T], y: &mut [T], batch: usize, state: &mut [T], c: &mut Self::Cache) {
        ensure_len(&mut c.mid, batch * A::OUT);
        let (sa, sb) = self.split(state, batch);
        let mid = &mut c.mid[..batch * A::OUT];
        self.lower.step(x, mid, batch, sa, &mut c.lower);
        self.upper.step(mid, y, batch, sb, &mut c.upper);
    }

    fn visit_params(&self, f: &mut dyn FnMut(usize, ParamKind, &[T])) {
        let k = self.lower.param_count();
        self.lower.visit_params(f);
        self.upper.visit_params(&mut |i, kind, v| f(k + i, kind, v));
    }

    fn visit_params_mut(&mut self, f: &mut dyn FnMut(usize, ParamKind, &mut [T])) {
        let k = self.lower.param_count();
        self.lower.visit_params_mut(f);
        self.upper
            .visit_params_mut(&mut |i, kind, v| f(k + i, kind, v));
    }

    fn visit_with_grads(&mut self, grads: &Self, f: &mut GradVisitor<'_, T>) {
        let k = self.lower.param_count();
        self.lower.visit_with_grads(&grads.lower, f);
        self.upper
            .visit_with_grads(&grads.upper, &mut |i, kind, v, g| f(k + i, kind, v, g));
    }

    fn param_count(&self) -> usize {
        self.lower.param_count() + self.upper.param_count()
    }
}
