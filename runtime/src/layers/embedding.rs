//! Token inputs: `Embedding` (PyTorch's `nn.Embedding`, `weight: [V, D]`, a row per token,
//! initialised N(0, 1) as PyTorch does) and `OneHot` (a token to a one-hot vector of width V).
//! Each input row holds one token id as a number (exact in f32 up to 2^24); the network
//! checks ids before the pass ([`Layer::check_input`]). Both are gathers, not GEMMs.
//! Backward: the embedding's rows receive the gradients of their tokens (summed over
//! repeats); the input gradient is zero (ids are not differentiable).

use super::{boxed_matrix, GradVisitor, Layer};
use crate::error::KilnError;
use crate::float::Float;
use crate::init::Init;
use crate::param::ParamKind;
use crate::rng::KilnRng;
use crate::train_ctx::TrainCtx;
use crate::Result;

/// Checks that every row is a token id below `v`.
fn check_ids<T: Float>(x: &[T], v: usize) -> Result<()> {
    for (i, &t) in x.iter().enumerate() {
        let f = t.to_f64();
        if !(f >= 0.0 && f < v as f64 && f.fract() == 0.0) {
            return Err(KilnError::TokenOutOfRange {
                index: i,
                value: f,
                vocab: v,
            });
        }
    }
    Ok(())
}

#[inline]
fn id<T: Float>(t: T) -> usize {
    t.to_f64() as usize
}

/// A learned vector of width `D` for each of `V` tokens.
#[derive(Debug, Clone)]
pub struct Embedding<T: Float, const V: usize, const D: usize> {
    /// `[V, D]`, as `nn.Embedding.weight`.
    pub weight: Box<[[T; D]; V]>,
}

impl<T: Float, const V: usize, const D: usize> Embedding<T, V, D> {
    /// Rows drawn from `init` (PyTorch: `Init::Normal { mean: 0.0, std: 1.0 }`).
    pub fn new(init: Init, rng: &mut KilnRng) -> Result<Self> {
        let mut e = Embedding {
            weight: boxed_matrix(),
        };
        init.fill(e.weight.as_flattened_mut(), D, V, rng)?;
        Ok(e)
    }
}

impl<T: Float, const V: usize, const D: usize> Layer<T> for Embedding<T, V, D> {
    const IN: usize = 1;
    const OUT: usize = D;
    type Cache = ();

    fn param_names(&self) -> &'static [&'static str] {
        &["weight"]
    }
    fn zeros_like(&self) -> Self {
        Embedding {
            weight: boxed_matrix(),
        }
    }
    fn check_input(&self, x: &[T]) -> Result<()> {
        check_ids(x, V)
    }
    fn forward(&self, x: &[T], y: &mut [T], _batch: usize, _c: &mut ()) {
        for (row, &t) in y.chunks_exact_mut(D).zip(x) {
            row.copy_from_slice(&self.weight[id(t)]);
        }
    }
    fn forward_train(
        &mut self,
        x: &[T],
        y: &mut [T],
        b: usize,
        c: &mut (),
        _r: &mut TrainCtx,
    ) -> Result<()> {
        check_ids(x, V)?;
        self.forward(x, y, b, c);
        Ok(())
    }
    fn backward(
        &self,
        x: &[T],
        _y: &[T],
        dy: &mut [T],
        dx: Option<&mut [T]>,
        _b: usize,
        _c: &mut (),
        g: &mut Self,
    ) {
        g.weight.as_flattened_mut().fill(T::ZERO);
        for (row, &t) in dy.chunks_exact(D).zip(x) {
            for (w, &d) in g.weight[id(t)].iter_mut().zip(row) {
                *w += d;
            }
        }
        if let Some(dx) = dx {
            dx.fill(T::ZERO);
        }
    }
    fn visit_params(&self, f: &mut dyn FnMut(usize, ParamKind, &[T])) {
        f(0, ParamKind::Weight, self.weight.as_flattened());
    }
    fn visit_params_mut(&mut self, f: &mut dyn FnMut(usize, ParamKind, &mut [T])) {
        f(0, ParamKind::Weight, self.weight.as_flattened_mut());
    }
    fn visit_with_grads(&mut self, g: &Self, f: &mut GradVisitor<'_, T>) {
        f(
            0,
            ParamKind::Weight,
            self.weight.as_flattened_mut(),
            g.weight.as_flattened(),
        );
    }
}

/// A token id to a one-hot vector of width `V`.
#[derive(Debug, Clone, Default)]
pub struct OneHot<T, const V: usize>(core::marker::PhantomData<T>);

impl<T, const V: usize> OneHot<T, V> {
    /// The one-hot encoding of ids in `0..V`; it has no parameters.
    pub fn new() -> Self {
        OneHot(core::marker::PhantomData)
    }
}

impl<T: Float, const V: usize> Layer<T> for OneHot<T, V> {
    const IN: usize = 1;
    const OUT: usize = V;
    type Cache = ();

    fn param_names(&self) -> &'static [&'static str] {
        &[]
    }
    fn zeros_like(&self) -> Self {
        OneHot::new()
    }
    fn check_input(&self, x: &[T]) -> Result<()> {
        check_ids(x, V)
    }
    fn forward(&self, x: &[T], y: &mut [T], _batch: usize, _c: &mut ()) {
        for (row, &t) in y.chunks_exact_mut(V).zip(x) {
            row.fill(T::ZERO);
            row[id(t)] = T::ONE;
        }
    }
    fn forward_train(
        &mut self,
        x: &[T],
        y: &mut [T],
        b: usize,
        c: &mut (),
        _r: &mut TrainCtx,
    ) -> Result<()> {
        check_ids(x, V)?;
        self.forward(x, y, b, c);
        Ok(())
    }
    fn backward(
        &self,
        _x: &[T],
        _y: &[T],
        _dy: &mut [T],
        dx: Option<&mut [T]>,
        _b: usize,
        _c: &mut (),
        _g: &mut Self,
    ) {
        if let Some(dx) = dx {
            dx.fill(T::ZERO);
        }
    }
    fn visit_params(&self, _f: &mut dyn FnMut(usize, ParamKind, &[T])) {}
    fn visit_params_mut(&mut self, _f: &mut dyn FnMut(usize, ParamKind, &mut [T])) {}
    fn visit_with_grads(&mut self, _g: &Self, _f: &mut GradVisitor<'_, T>) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gathers_rows_and_scatters_gradients() {
        let mut e = Embedding::<f64, 4, 2>::new(
            Init::Normal {
                mean: 0.0,
                std: 1.0,
            },
            &mut crate::rng::seeded(1),
        )
        .unwrap();
        let x = [2.0, 0.0, 2.0];
        let mut y = [0.0; 6];
        e.forward_train(
            &x,
            &mut y,
            3,
            &mut (),
            &mut crate::train_ctx::TrainCtx::new(0),
        )
        .unwrap();
        assert_eq!(&y[0..2], &e.weight[2]);
        assert_eq!(&y[2..4], &e.weight[0]);
        let mut dy = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let mut g = e.zeros_like();
        let mut dx = [9.0; 3];
        e.backward(&x, &y, &mut dy, Some(&mut dx), 3, &mut (), &mut g);
        assert_eq!(g.weight[2], [6.0, 8.0], "repeated tokens add up");
        assert_eq!(g.weight[0], [3.0, 4.0]);
        assert_eq!(g.weight[1], [0.0, 0.0]);
        assert_eq!(dx, [0.0; 3]);
        for bad in [4.0, -1.0, 1.5, f64::NAN] {
            assert!(e.check_input(&[bad]).is_err(), "{bad}");
        }
        let mut oh = [0.0; 8];
        OneHot::<f64, 4>::new().forward(&[3.0, 1.0], &mut oh, 2, &mut ());
        assert_eq!(oh, [0.0, 0.0, 0.0, 1.0, 0.0, 1.0, 0.0, 0.0]);
    }
}
