//! NAdam: Adam with Nesterov momentum and Dozat's momentum-decay schedule, as PyTorch's
//! `torch.optim.NAdam`.

use super::decay::{Decay, KindSet};
use super::state::State;
use super::{check_eps, check_lr, check_unit, lerp, Optimizer};
use crate::error::{check_hyper, Result};
use crate::float::Float;
use crate::param::ParamSet;

/// PyTorch's NAdam. At step `t` (from 1), with `g = grad (+ wd * p)` (or, decoupled,
/// `p *= 1 - lr * wd` first) and `mu_t = beta1 (1 - 0.5 * 0.96^(t * momentum_decay))`:
/// `prod *= mu_t`, `m = lerp(m, g, 1 - beta1)`, `v = beta2 v + (1 - beta2) g^2`,
/// `d = sqrt(v / (1 - beta2^t)) + eps`, and
/// `p -= lr (1 - mu_t) / (1 - prod) * g / d + lr mu_{t+1} / (1 - prod mu_{t+1}) * m / d`.
/// Defaults: `betas = (0.9, 0.999)`, `eps = 1e-8`, `momentum_decay = 4e-3`, no decay.
///
/// The product of the `mu_t` (`"mu_product"`) is kept in `f64` for every `T`, as PyTorch
/// does with `torch.float64` as default dtype (with `float32` it keeps it in `f32`).
#[derive(Debug, Clone)]
pub struct NAdam<T> {
    lr: f64,
    beta1: f64,
    beta2: f64,
    eps: f64,
    momentum_decay: f64,
    mu_product: f64,
    decay: Decay,
    state: State<T>,
}

impl<T: Float> NAdam<T> {
    /// NAdam with learning rate `lr` (finite, `>= 0`; PyTorch's default is 2e-3).
    pub fn new(lr: f64) -> Result<Self> {
        check_lr::<T>(lr)?;
        Ok(NAdam {
            lr,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            momentum_decay: 4e-3,
            mu_product: 1.0,
            decay: Decay::NONE,
            state: State::new(),
        })
    }

    /// Moment decay rates `(beta1, beta2)`, each in `[0, 1)` (default `(0.9, 0.999)`).
    pub fn betas(mut self, beta1: f64, beta2: f64) -> Result<Self> {
        check_unit("beta1", beta1)?;
        check_unit("beta2", beta2)?;
        self.beta1 = beta1;
        self.beta2 = beta2;
        Ok(self)
    }

    /// Term `> 0` added outside the square root (default 1e-8).
    pub fn eps(mut self, eps: f64) -> Result<Self> {
        check_eps(eps)?;
        self.eps = eps;
        Ok(self)
    }

    /// Momentum decay `psi >= 0` of the `mu_t` schedule (default 4e-3).
    pub fn momentum_decay(mut self, psi: f64) -> Result<Self> {
        check_hyper("momentum_decay", psi, psi >= 0.0, "must be finite and >= 0")?;
        self.momentum_decay = psi;
        Ok(self)
    }

    /// Weight decay `>= 0` (default 0): L2 unless [`NAdam::decoupled_weight_decay`] is on.
    pub fn weight_decay(mut self, wd: f64) -> Result<Self> {
        self.decay = self.decay.with_amount(wd)?;
        Ok(self)
    }

    /// Decoupled (AdamW-style) decay instead of L2 (PyTorch's `decoupled_weight_decay`).
    pub fn decoupled_weight_decay(mut self, on: bool) -> Result<Self> {
        self.decay.decoupled = on;
        Ok(self)
    }

    /// Restricts weight decay to these parameter kinds (default: all, as PyTorch).
    pub fn decay_only(mut self, kinds: impl Into<KindSet>) -> Result<Self> {
        self.decay.only = kinds.into();
        Ok(self)
    }

    const LAYOUT: [(&'static str, f64); 2] = [("exp_avg", 0.0), ("exp_avg_sq", 0.0)];

    fn mu(&self, t: f64) -> f64 {
        self.beta1 * (1.0 - 0.5 * <f64 as Float>::powf(0.96, t * self.momentum_decay))
    }
}

impl<T: Float> Optimizer<T> for NAdam<T> {
    fn step(&mut self, params: &mut dyn ParamSet<T>) -> Result<()> {
        self.state.prepare(params, &Self::LAYOUT)?;
        let t = (self.state.steps + 1) as f64;
        let (lr, decay) = (self.lr, self.decay);
        let bias_correction2 = T::from_f64(1.0 - <f64 as Float>::powf(self.beta2, t));
        let (mu, mu_next) = (self.mu(t), self.mu(t + 1.0));
        let mu_product = self.mu_product * mu;
        let mu_product_next = mu_product * mu_next;
        let c_grad = T::from_f64(-lr * (1.0 - mu) / (1.0 - mu_product));
        let c_avg = T::from_f64((-lr * mu_next) / (1.0 - mu_product_next));
        let w1 = T::from_f64(1.0 - self.beta1);
        let beta2 = T::from_f64(self.beta2);
        let one_minus_beta2 = T::from_f64(1.0 - self.beta2);
        let eps = T::from_f64(self.eps);
        self.state.update(params, |p, bufs| {
            decay.apply_decoupled(lr, p.kind, p.value);
            let l2 = decay.l2::<T>(p.kind);
            let [m, v] = bufs else {
                unreachable!("nadam keeps two buffers per parameter")
            };
            for j in 0..p.value.len() {
                let mut g = p.grad[j];
                if let Some(wd) = l2 {
                    g += wd * p.value[j];
                }
                m[j] = lerp(m[j], g, w1);
                v[j] = v[j] * beta2 + one_minus_beta2 * g * g;
                let denom = (v[j] / bias_correction2).sqrt() + eps;
                p.value[j] += c_grad * (g / denom);
                p.value[j] += c_avg * (m[j] / denom);
            }
        })?;
        self.mu_product = mu_product;
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

    /// `"mu_product"`: the product of the momentum schedule so far (1 before the first step).
    fn visit_scalars(&mut self, f: &mut dyn FnMut(&str, &mut f64)) {
        f("mu_product", &mut self.mu_product)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::KilnError;
    use crate::param::{Param, ParamKind};

    #[test]
    fn first_step_by_hand() {
        // Step 1: m = 0.1 g, sqrt(v / 0.001) = |g|; with psi = 0, mu = mu_next = 0.45, so
        // p -= lr (0.55 / 0.55 + 0.45 * 0.1 / (1 - 0.45^2)) sign(g).
        let mut v = [0.0f64, 0.0];
        let mut opt = NAdam::new(0.1).unwrap().momentum_decay(0.0).unwrap();
        let mut set = [Param {
            name: "w",
            kind: ParamKind::Weight,
            value: &mut v,
            grad: &[5.0, -0.5],
        }];
        opt.step(&mut set).unwrap();
        let moved = 0.1 * (1.0 + 0.045 / (1.0 - 0.45 * 0.45));
        assert!(
            (v[0] + moved).abs() < 1e-8 && (v[1] - moved).abs() < 1e-8,
            "{v:?}"
        );
        let mut prod = 0.0;
        opt.visit_scalars(&mut |n, x| {
            assert_eq!(n, "mu_product");
            prod = *x;
        });
        assert!((prod - 0.45).abs() < 1e-15);
    }

    #[test]
    fn rejects_bad_hyper_parameters() {
        let bad = |r: Result<NAdam<f64>>| {
            assert!(matches!(r, Err(KilnError::InvalidHyperParameter { .. })))
        };
        bad(NAdam::new(-2e-3));
        bad(NAdam::new(2e-3).and_then(|o| o.betas(1.0, 0.999)));
        bad(NAdam::new(2e-3).and_then(|o| o.eps(0.0)));
        bad(NAdam::new(2e-3).and_then(|o| o.momentum_decay(-4e-3)));
        bad(NAdam::new(2e-3).and_then(|o| o.weight_decay(-1.0)));
    }
}
