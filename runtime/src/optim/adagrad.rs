//! AdaGrad: per-coordinate step sizes shrinking with the accumulated squared gradients, as
//! PyTorch's `torch.optim.Adagrad`.

use super::decay::{Decay, KindSet};
use super::state::State;
use super::{check_eps, check_lr, Optimizer};
use crate::error::{check_hyper, Result};
use crate::float::Float;
use crate::param::ParamSet;

/// PyTorch's Adagrad. At step `t` (from 1), with `g = grad (+ wd * p)`:
/// `clr = lr / (1 + (t - 1) * lr_decay)`, `sum += g^2`, `p -= clr * g / (sqrt(sum) + eps)`.
/// Defaults: `lr_decay = 0`, `initial_accumulator_value = 0`, `eps = 1e-10`.
#[derive(Debug, Clone)]
pub struct Adagrad<T> {
    lr: f64,
    lr_decay: f64,
    initial_accumulator_value: f64,
    eps: f64,
    decay: Decay,
    state: State<T>,
}

impl<T: Float> Adagrad<T> {
    /// Adagrad with learning rate `lr` (finite, `>= 0`; PyTorch's default is 0.01).
    pub fn new(lr: f64) -> Result<Self> {
        check_lr::<T>(lr)?;
        Ok(Adagrad {
            lr,
            lr_decay: 0.0,
            initial_accumulator_value: 0.0,
            eps: 1e-10,
            decay: Decay::NONE,
            state: State::new(),
        })
    }

    /// Learning-rate decay `>= 0` (default 0).
    pub fn lr_decay(mut self, lr_decay: f64) -> Result<Self> {
        check_hyper(
            "lr_decay",
            lr_decay,
            lr_decay >= 0.0,
            "must be finite and >= 0",
        )?;
        self.lr_decay = lr_decay;
        Ok(self)
    }

    /// Starting value `>= 0` of the squared-gradient sum (default 0). Only used when the state
    /// is created, so it cannot change after the first step.
    pub fn initial_accumulator_value(mut self, v: f64) -> Result<Self> {
        check_hyper(
            "initial_accumulator_value",
            v,
            v >= 0.0,
            "must be finite and >= 0",
        )?;
        if v != self.initial_accumulator_value {
            self.state.check_unset("initial_accumulator_value", v)?;
        }
        self.initial_accumulator_value = v;
        Ok(self)
    }

    /// Term `> 0` added to the denominator (default 1e-10).
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

    fn layout(&self) -> [(&'static str, f64); 1] {
        [("sum", self.initial_accumulator_value)]
    }
}

impl<T: Float> Optimizer<T> for Adagrad<T> {
    fn step(&mut self, params: &mut dyn ParamSet<T>) -> Result<()> {
        self.state.prepare(params, &self.layout())?;
        let t = (self.state.steps + 1) as f64;
        let clr = self.lr / (1.0 + (t - 1.0) * self.lr_decay);
        let neg_clr = T::from_f64(-clr);
        let eps = T::from_f64(self.eps);
        let decay = self.decay;
        self.state.update(params, |p, bufs| {
            let l2 = decay.l2::<T>(p.kind);
            for ((x, &g), sum) in p.value.iter_mut().zip(p.grad).zip(bufs[0].iter_mut()) {
                let g = l2.map_or(g, |wd| g + wd * *x);
                *sum += g * g;
                let std = sum.sqrt() + eps;
                *x += neg_clr * (g / std);
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
        self.state.prepare(params, &self.layout())
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
    fn first_steps_by_hand() {
        // Step 1: sum = g^2, so p moves by lr * sign(g) (up to eps); step 2 with lr_decay 1:
        // clr = lr / 2, sum = 2 g^2, move = lr / 2 / sqrt(2).
        let mut v = [1.0f64, -1.0];
        let mut opt = Adagrad::new(0.1).unwrap().lr_decay(1.0).unwrap();
        for _ in 0..2 {
            let mut set = [Param {
                name: "w",
                kind: ParamKind::Weight,
                value: &mut v,
                grad: &[3.0, -0.5],
            }];
            opt.step(&mut set).unwrap();
        }
        let moved = 0.1 + 0.05 / 2f64.sqrt();
        assert!((v[0] - (1.0 - moved)).abs() < 1e-9);
        assert!((v[1] - (-1.0 + moved)).abs() < 1e-9);
    }

    #[test]
    fn rejects_bad_hyper_parameters() {
        let bad = |r: Result<Adagrad<f32>>| {
            assert!(matches!(r, Err(KilnError::InvalidHyperParameter { .. })))
        };
        bad(Adagrad::new(-1.0));
        bad(Adagrad::new(0.1).and_then(|o| o.lr_decay(-0.1)));
        bad(Adagrad::new(0.1).and_then(|o| o.initial_accumulator_value(-0.1)));
        bad(Adagrad::new(0.1).and_then(|o| o.eps(0.0)));
        bad(Adagrad::new(0.1).and_then(|o| o.eps(f64::NAN)));
        bad(Adagrad::new(0.1).and_then(|o| o.weight_decay(f64::INFINITY)));
    }
}
