//! AdamW: Adam with decoupled weight decay (default 1e-2), as PyTorch's `torch.optim.AdamW`.

use super::adam::Adam;
use super::decay::KindSet;
use super::Optimizer;
use crate::error::Result;
use crate::float::Float;
use crate::param::ParamSet;

/// PyTorch's AdamW: [`Adam`] with `p *= 1 - lr * weight_decay` before each update instead of
/// L2 in the gradient. Defaults: `betas = (0.9, 0.999)`, `eps = 1e-8`, `weight_decay = 1e-2`.
#[derive(Debug, Clone)]
pub struct AdamW<T>(Adam<T>);

impl<T: Float> AdamW<T> {
    /// AdamW with learning rate `lr` (finite, `>= 0`; PyTorch's default is 1e-3) and weight
    /// decay 1e-2.
    pub fn new(lr: f64) -> Result<Self> {
        Ok(AdamW(
            Adam::new(lr)?
                .weight_decay(1e-2)?
                .decoupled_weight_decay(true)?,
        ))
    }

    /// Moment decay rates `(beta1, beta2)`, each in `[0, 1)` (default `(0.9, 0.999)`).
    pub fn betas(self, beta1: f64, beta2: f64) -> Result<Self> {
        Ok(AdamW(self.0.betas(beta1, beta2)?))
    }

    /// Term `> 0` added outside the square root (default 1e-8).
    pub fn eps(self, eps: f64) -> Result<Self> {
        Ok(AdamW(self.0.eps(eps)?))
    }

    /// AMSGrad variant. Cannot change after the first step.
    pub fn amsgrad(self, amsgrad: bool) -> Result<Self> {
        Ok(AdamW(self.0.amsgrad(amsgrad)?))
    }

    /// Decoupled weight decay `>= 0` (default 1e-2).
    pub fn weight_decay(self, wd: f64) -> Result<Self> {
        Ok(AdamW(self.0.weight_decay(wd)?))
    }

    /// Restricts weight decay to these parameter kinds (default: all, as PyTorch).
    pub fn decay_only(self, kinds: impl Into<KindSet>) -> Result<Self> {
        Ok(AdamW(self.0.decay_only(kinds)?))
    }
}

impl<T: Float> Optimizer<T> for AdamW<T> {
    fn step(&mut self, params: &mut dyn ParamSet<T>) -> Result<()> {
        self.0.step(params)
    }

    fn learning_rate(&self) -> f64 {
        self.0.learning_rate()
    }

    fn set_learning_rate(&mut self, lr: f64) -> Result<()> {
        self.0.set_learning_rate(lr)
    }

    fn steps(&self) -> u64 {
        self.0.steps()
    }

    fn set_steps(&mut self, steps: u64) {
        self.0.set_steps(steps)
    }

    fn init_state(&mut self, params: &mut dyn ParamSet<T>) -> Result<()> {
        self.0.init_state(params)
    }

    fn visit_state(&mut self, f: &mut dyn FnMut(&str, &mut [T])) {
        self.0.visit_state(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::KilnError;
    use crate::param::{Param, ParamKind};

    #[test]
    fn decays_even_with_zero_gradient() {
        // With g = 0 the Adam part is 0 / (0 + eps) = 0: only the decay p *= 1 - lr * wd acts.
        let mut v = [2.0f64, -4.0];
        let mut opt = AdamW::new(0.5).unwrap();
        for _ in 0..3 {
            let mut set = [Param {
                name: "w",
                kind: ParamKind::Weight,
                value: &mut v,
                grad: &[0.0, 0.0],
            }];
            opt.step(&mut set).unwrap();
        }
        let f = (1.0f64 - 0.5 * 1e-2).powi(3);
        assert!((v[0] - 2.0 * f).abs() < 1e-15 && (v[1] + 4.0 * f).abs() < 1e-15);
    }

    #[test]
    fn rejects_bad_hyper_parameters() {
        let bad = |r: Result<AdamW<f64>>| {
            assert!(matches!(r, Err(KilnError::InvalidHyperParameter { .. })))
        };
        bad(AdamW::new(-1.0));
        bad(AdamW::new(1e-3).and_then(|o| o.betas(0.9, 1.5)));
        bad(AdamW::new(1e-3).and_then(|o| o.eps(-1.0)));
        bad(AdamW::new(1e-3).and_then(|o| o.weight_decay(f64::NAN)));
    }
}
