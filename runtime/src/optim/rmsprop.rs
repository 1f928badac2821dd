//! RMSProp: steps divided by a running root-mean-square of the gradients, optionally centred
//! and with momentum, as PyTorch's `torch.optim.RMSprop`.

use super::decay::{Decay, KindSet};
use super::state::State;
use super::{check_eps, check_lr, check_unit, lerp, Optimizer};
use crate::error::Result;
use crate::float::Float;
use crate::param::ParamSet;

/// PyTorch's RMSprop. With `g = grad (+ wd * p)`:
/// `v = alpha v + (1 - alpha) g^2`; centred: `m = lerp(m, g, 1 - alpha)` and
/// `d = sqrt(v - m^2) + eps`, else `d = sqrt(v) + eps`; then `p -= lr * g / d`, or with
/// momentum `b = mu b + g / d; p -= lr * b`.
/// Defaults (PyTorch's): `alpha = 0.99` (Tieleman and Hinton, 2012, suggest 0.9), `eps = 1e-8`,
/// no momentum, not centred.
#[derive(Debug, Clone)]
pub struct RmsProp<T> {
    lr: f64,
    alpha: f64,
    eps: f64,
    momentum: f64,
    centered: bool,
    decay: Decay,
    state: State<T>,
}

impl<T: Float> RmsProp<T> {
    /// RMSprop with learning rate `lr` (finite, `>= 0`; PyTorch's default is 0.01).
    pub fn new(lr: f64) -> Result<Self> {
        check_lr::<T>(lr)?;
        Ok(RmsProp {
            lr,
            alpha: 0.99,
            eps: 1e-8,
            momentum: 0.0,
            centered: false,
            decay: Decay::NONE,
            state: State::new(),
        })
    }

    /// Smoothing constant in `[0, 1)` (default 0.99; PyTorch only checks `>= 0`).
    pub fn alpha(mut self, alpha: f64) -> Result<Self> {
        check_unit("alpha", alpha)?;
        self.alpha = alpha;
        Ok(self)
    }

    /// Term `> 0` added to the denominator (default 1e-8).
    pub fn eps(mut self, eps: f64) -> Result<Self> {
        check_eps(eps)?;
        self.eps = eps;
        Ok(self)
    }

    /// Momentum in `[0, 1)` (default 0). Cannot be switched on or off after the first step.
    pub fn momentum(mut self, momentum: f64) -> Result<Self> {
        check_unit("momentum", momentum)?;
        if (momentum > 0.0) != (self.momentum > 0.0) {
            self.state.check_unset("momentum", momentum)?;
        }
        self.momentum = momentum;
        Ok(self)
    }

    /// Centred RMSProp: normalise by an estimate of the gradient's variance instead of its
    /// second moment. Cannot change after the first step.
    pub fn centered(mut self, centered: bool) -> Result<Self> {
        if centered != self.centered {
            self.state.check_unset("centered", centered as u8 as f64)?;
        }
        self.centered = centered;
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

    fn layout(&self) -> Vec<(&'static str, f64)> {
        let mut l = vec![("square_avg", 0.0)];
        if self.momentum > 0.0 {
            l.push(("momentum_buffer", 0.0));
        }
        if self.centered {
            l.push(("grad_avg", 0.0));
        }
        l
    }
}

impl<T: Float> Optimizer<T> for RmsProp<T> {
    fn step(&mut self, params: &mut dyn ParamSet<T>) -> Result<()> {
        self.state.prepare(params, &self.layout())?;
        let neg_lr = T::from_f64(-self.lr);
        let alpha = T::from_f64(self.alpha);
        let one_minus_alpha = T::from_f64(1.0 - self.alpha);
        let eps = T::from_f64(self.eps);
        let mu = T::from_f64(self.momentum);
        let (use_momentum, centered, decay) = (self.momentum > 0.0, self.centered, self.decay);
        self.state.update(params, |p, bufs| {
            let l2 = decay.l2::<T>(p.kind);
            let (sq, rest) = bufs.split_first_mut().expect("square_avg buffer");
            let (buf, rest) = if use_momentum {
                let (b, r) = rest.split_first_mut().expect("momentum buffer");
                (Some(b), r)
            } else {
                (None, rest)
            };
            let mut grad_avg = if centered { rest.first_mut() } else { None };
            let mut buf = buf;
            for j in 0..p.value.len() {
                let mut g = p.grad[j];
                if let Some(wd) = l2 {
                    g += wd * p.value[j];
                }
                sq[j] = sq[j] * alpha + one_minus_alpha * g * g;
                let avg = match grad_avg.as_deref_mut() {
                    Some(ga) => {
                        ga[j] = lerp(ga[j], g, one_minus_alpha);
                        (sq[j] + -ga[j] * ga[j]).sqrt()
                    }
                    None => sq[j].sqrt(),
                } + eps;
                match buf.as_deref_mut() {
                    Some(b) => {
                        b[j] = b[j] * mu + g / avg;
                        p.value[j] += neg_lr * b[j];
                    }
                    None => p.value[j] += neg_lr * (g / avg),
                }
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
    fn first_step_by_hand() {
        // v = (1 - 0.99) g^2, so the step is lr * g / (0.1 |g| + eps) = 10 lr sign(g).
        let mut v = [0.0f64, 0.0];
        let mut opt = RmsProp::new(0.01).unwrap();
        let mut set = [Param {
            name: "w",
            kind: ParamKind::Weight,
            value: &mut v,
            grad: &[2.0, -0.5],
        }];
        opt.step(&mut set).unwrap();
        assert!(
            (v[0] + 0.1).abs() < 1e-7 && (v[1] - 0.1).abs() < 1e-7,
            "{v:?}"
        );
        let mut names = Vec::new();
        opt.visit_state(&mut |n, _| names.push(n.to_string()));
        assert_eq!(names, ["0.square_avg"]);
        // Turning centring on after the first step would need a buffer that does not exist.
        assert!(opt.centered(true).is_err());
    }

    #[test]
    fn rejects_bad_hyper_parameters() {
        let bad = |r: Result<RmsProp<f64>>| {
            assert!(matches!(r, Err(KilnError::InvalidHyperParameter { .. })))
        };
        bad(RmsProp::new(f64::NEG_INFINITY));
        bad(RmsProp::new(0.1).and_then(|o| o.alpha(1.0)));
        bad(RmsProp::new(0.1).and_then(|o| o.alpha(-0.5)));
        bad(RmsProp::new(0.1).and_then(|o| o.eps(-1e-8)));
        bad(RmsProp::new(0.1).and_then(|o| o.momentum(1.2)));
        bad(RmsProp::new(0.1).and_then(|o| o.weight_decay(-0.1)));
    }
}
