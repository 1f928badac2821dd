//! AdaDelta: steps scaled by the ratio of running RMS of past updates to running RMS of
//! gradients, as PyTorch's `torch.optim.Adadelta`.

use super::decay::{Decay, KindSet};
use super::state::State;
use super::{check_eps, check_lr, Optimizer};
use crate::error::{check_hyper, Result};
use crate::float::Float;
use crate::param::ParamSet;

/// PyTorch's Adadelta. With `g = grad (+ wd * p)`: `v = rho v + (1 - rho) g^2`,
/// `d = sqrt(u + eps) / sqrt(v + eps) * g`, `u = rho u + (1 - rho) d^2`, `p -= lr * d`.
/// Defaults (PyTorch's): `lr = 1.0`, `rho = 0.9`, `eps = 1e-6`.
#[derive(Debug, Clone)]
pub struct Adadelta<T> {
    lr: f64,
    rho: f64,
    eps: f64,
    decay: Decay,
    state: State<T>,
}

impl<T: Float> Default for Adadelta<T> {
    /// PyTorch's defaults, `lr = 1.0`.
    fn default() -> Self {
        Adadelta {
            lr: 1.0,
            rho: 0.9,
            eps: 1e-6,
            decay: Decay::NONE,
            state: State::new(),
        }
    }
}

impl<T: Float> Adadelta<T> {
    /// Adadelta with learning rate `lr` (finite, `>= 0`; PyTorch's default is 1.0, see
    /// [`Adadelta::default`]).
    pub fn new(lr: f64) -> Result<Self> {
        check_lr::<T>(lr)?;
        Ok(Adadelta {
            lr,
            ..Self::default()
        })
    }

    /// Decay rate of both running averages, in `[0, 1]` (default 0.9, PyTorch's range).
    pub fn rho(mut self, rho: f64) -> Result<Self> {
        check_hyper("rho", rho, (0.0..=1.0).contains(&rho), "must be in [0, 1]")?;
        self.rho = rho;
        Ok(self)
    }

    /// Term `> 0` added inside both square roots (default 1e-6).
    pub fn eps(mut self, eps: f64) -> Result<Self> {
        check_eps(eps)?;
        self.eps = eps;
        Ok(self)
    }

    /// L2 weight decay `>= 0` added to the gradient (default 0).
    pub fn weight_decay(mut self, wd: f64) -> Result<Self> {
        self.decay = self.decay.with_amount(wd)?;
        Ok(self)
    }

    /// Restricts weight decay to these parameter kinds (default: all, as PyTorch).
    pub fn decay_only(mut self, kinds: impl Into<KindSet>) -> Result<Self> {
        self.decay.only = kinds.into();
        Ok(self)
    }

    const LAYOUT: [(&'static str, f64); 2] = [("square_avg", 0.0), ("acc_delta", 0.0)];
}

impl<T: Float> Optimizer<T> for Adadelta<T> {
    fn step(&mut self, params: &mut dyn ParamSet<T>) -> Result<()> {
        self.state.prepare(params, &Self::LAYOUT)?;
        let neg_lr = T::from_f64(-self.lr);
        let rho = T::from_f64(self.rho);
        let one_minus_rho = T::from_f64(1.0 - self.rho);
        let eps = T::from_f64(self.eps);
        let decay = self.decay;
        self.state.update(params, |p, bufs| {
            let l2 = decay.l2::<T>(p.kind);
            let [sq, acc] = bufs else {
                unreachable!("adadelta keeps two buffers per parameter")
            };
            for j in 0..p.value.len() {
                let mut g = p.grad[j];
                if let Some(wd) = l2 {
                    g += wd * p.value[j];
                }
                sq[j] = sq[j] * rho + one_minus_rho * g * g;
                let std = (sq[j] + eps).sqrt();
                let delta = (acc[j] + eps).sqrt() / std * g;
                acc[j] = acc[j] * rho + one_minus_rho * delta * delta;
                p.value[j] += neg_lr * delta;
            }
        })?;
        self.state.steps += 1;
        Ok(())
    }

    fn learning_rate(&self) -> f64 {
        self.lr
    }

    fn set_learning_rate(&mut self, lr: f64) -> Result<()> {
        check_lr::<T>(lr)?;
        self.lr = lr;
        Ok(())
    }

    fn steps(&self) -> u64 {
        self.state.steps
    }

    fn set_steps(&mut self, steps: u64) {
        self.state.steps = steps;
    }

    fn init_state(&mut self, params: &mut dyn ParamSet<T>) -> Result<()> {
        self.state.prepare(params, &Self::LAYOUT)
    }

    fn visit_state(&mut self, f: &mut dyn FnMut(&str, &mut [T])) {
        self.state.visit(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::KilnError;
    use crate::param::{Param, ParamKind};

    #[test]
    fn first_step_by_hand() {
        // v = 0.1 g^2 = 0.4 for g = 2; d = sqrt(1e-6) / sqrt(0.4 + 1e-6) * 2.
        let mut v = [0.0f64];
        let mut opt = Adadelta::default();
        let mut set = [Param {
            name: "w",
            kind: ParamKind::Weight,
            value: &mut v,
            grad: &[2.0],
        }];
        opt.step(&mut set).unwrap();
        let d = 1e-3 / (0.4f64 + 1e-6).sqrt() * 2.0;
        assert!((v[0] + d).abs() < 1e-15, "{} vs {}", v[0], -d);
        assert_eq!(Optimizer::<f64>::learning_rate(&opt), 1.0);
    }

    #[test]
    fn rejects_bad_hyper_parameters() {
        let bad = |r: Result<Adadelta<f64>>| {
            assert!(matches!(r, Err(KilnError::InvalidHyperParameter { .. })))
        };
        bad(Adadelta::new(-1.0));
        bad(Adadelta::new(1.0).and_then(|o| o.rho(1.1)));
        bad(Adadelta::new(1.0).and_then(|o| o.rho(f64::NAN)));
        bad(Adadelta::new(1.0).and_then(|o| o.eps(0.0)));
        bad(Adadelta::new(1.0).and_then(|o| o.weight_decay(-2.0)));
    }
}
