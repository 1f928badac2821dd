//! Inverted dropout (Srivastava et al., 2014; PyTorch's `nn.Dropout`): in training each
//! element is zeroed with probability `p` and the survivors scaled by `1/(1-p)`, so the
//! expected output equals the input; in eval it is the identity.

use super::{ensure_len, GradVisitor, Layer};
use crate::error::check_hyper;
use crate::float::Float;
use crate::param::ParamKind;
use crate::train_ctx::TrainCtx;
use crate::Result;
use rand::Rng;

/// Dropout over `F` features with drop probability `p` in `[0, 1)`.
#[derive(Debug, Clone)]
pub struct Dropout<T: Float, const F: usize> {
    p: f64,
    _t: core::marker::PhantomData<T>,
}

/// The mask of the last training forward: `0` or `1/(1-p)` per element.
#[derive(Debug, Default, Clone)]
pub struct DropoutCache<T> {
    mask: Vec<T>,
}

impl<T: Float, const F: usize> Dropout<T, F> {
    /// Fails unless `0 <= p < 1`.
    pub fn new(p: f64) -> Result<Self> {
        check_hyper(
            "dropout probability",
            p,
            (0.0..1.0).contains(&p),
            "must be in [0, 1)",
        )?;
        Ok(Dropout {
            p,
            _t: core::marker::PhantomData,
        })
    }

    /// The probability of zeroing each element in training, in `[0, 1)`.
    pub fn p(&self) -> f64 {
        self.p
    }
}

impl<T: Float, const F: usize> Layer<T> for Dropout<T, F> {
    const IN: usize = F;
    const OUT: usize = F;
    type Cache = DropoutCache<T>;

    fn cache_bytes(c: &Self::Cache) -> usize {
        crate::layers::vec_bytes(&c.mask)
    }

    fn param_names(&self) -> &'static [&'static str] {
        &[]
    }

    fn zeros_like(&self) -> Self {
        self.clone()
    }

    fn forward(&self, x: &[T], y: &mut [T], _batch: usize, _cache: &mut Self::Cache) {
        y.copy_from_slice(x);
    }

    fn forward_train(
        &mut self,
        x: &[T],
        y: &mut [T],
        _batch: usize,
        cache: &mut Self::Cache,
        rng: &mut TrainCtx,
    ) -> Result<()> {
        ensure_len(&mut cache.mask, x.len());
        let keep = T::from_f64(1.0 / (1.0 - self.p));
        let (mask, p) = (&mut cache.mask, self.p);
        rng.draw_rows(x.len() / F, F, |r, g| {
            for m in &mut mask[r * F..(r + 1) * F] {
                *m = if g.random::<f64>() < p { T::ZERO } else { keep };
            }
        });
        for ((o, &i), &m) in y.iter_mut().zip(x).zip(&cache.mask) {
            *o = i * m;
        }
        Ok(())
    }

    fn backward(
        &self,
        _x: &[T],
        _y: &[T],
        dy: &mut [T],
        dx: Option<&mut [T]>,
        _batch: usize,
        cache: &mut Self::Cache,
        _grads: &mut Self,
    ) {
        if let Some(dx) = dx {
            for ((o, &d), &m) in dx.iter_mut().zip(dy.iter()).zip(&cache.mask) {
                *o = d * m;
            }
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
    fn drops_about_p_and_keeps_the_expectation() {
        let mut d = Dropout::<f64, 1000>::new(0.3).unwrap();
        let x = vec![1.0; 10_000];
        let mut y = vec![0.0; 10_000];
        let mut cache = DropoutCache::default();
        d.forward_train(
            &x,
            &mut y,
            10,
            &mut cache,
            &mut crate::train_ctx::TrainCtx::new(5),
        )
        .unwrap();
        let zeros = y.iter().filter(|&&v| v == 0.0).count() as f64 / 1e4;
        assert!((zeros - 0.3).abs() < 0.02, "{zeros}");
        let mean = y.iter().sum::<f64>() / 1e4;
        assert!((mean - 1.0).abs() < 0.03, "{mean}");
        assert!(y.iter().all(|&v| v == 0.0 || (v - 1.0 / 0.7).abs() < 1e-12));
        let mut e = vec![0.0; 10_000];
        d.forward(&x, &mut e, 10, &mut cache);
        assert_eq!(e, x, "eval mode is the identity");
    }

    #[test]
    fn rejects_bad_probabilities() {
        for p in [1.0, 1.5, -0.1, f64::NAN] {
            assert!(Dropout::<f32, 4>::new(p).is_err(), "{p}");
        }
    }

    #[test]
    fn backward_uses_the_same_mask() {
        let mut d = Dropout::<f64, 5>::new(0.5).unwrap();
        let err = check_layer(&mut d, &probe_input(15), 3, 9);
        assert!(err < 1e-8, "{err}");
    }
}
