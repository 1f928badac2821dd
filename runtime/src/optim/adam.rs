//! Adam: bias-corrected first and second moment estimates, optionally AMSGrad and with L2 or
//! decoupled weight decay, as PyTorch's `torch.optim.Adam`.

use super::decay::{Decay, KindSet};
use super::state::State;
use super::{check_eps, check_lr, check_unit, lerp, Optimizer};
use crate::error::Result;
use crate::float::Float;
use crate::gemm::for_halves;
use crate::layers::batch_parts::Disjoint;
use crate::param::ParamSet;

/// PyTorch's Adam. At step `t` (from 1), with `g = grad (+ wd * p)` (or, decoupled,
/// `p *= 1 - lr * wd` first): `m = lerp(m, g, 1 - beta1)`, `v = beta2 v + (1 - beta2) g^2`,
/// AMSGrad `v_max = max(v_max, v)`, then
/// `p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)` with `eps` outside the
/// square root. Real bias correction (Kingma and Ba, 2015), which the informal summary
/// "momentum + RMSProp" leaves out.
/// Defaults: `betas = (0.9, 0.999)`, `eps = 1e-8`, no decay, no AMSGrad.
#[derive(Debug, Clone)]
pub struct Adam<T> {
    lr: f64,
    beta1: f64,
    beta2: f64,
    eps: f64,
    amsgrad: bool,
    decay: Decay,
    state: State<T>,
}

impl<T: Float> Adam<T> {
    /// Adam with learning rate `lr` (finite, `>= 0`; PyTorch's default is 1e-3).
    pub fn new(lr: f64) -> Result<Self> {
        check_lr::<T>(lr)?;
        Ok(Adam {
            lr,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            amsgrad: false,
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

    /// AMSGrad: normalise by the running maximum of `v`. Cannot change after the first step.
    pub fn amsgrad(mut self, amsgrad: bool) -> Result<Self> {
        if amsgrad != self.amsgrad {
            self.state.check_unset("amsgrad", amsgrad as u8 as f64)?;
        }
        self.amsgrad = amsgrad;
        Ok(self)
    }

    /// Weight decay `>= 0` (default 0): L2 unless [`Adam::decoupled_weight_decay`] is on.
    pub fn weight_decay(mut self, wd: f64) -> Result<Self> {
        self.decay = self.decay.with_amount(wd)?;
        Ok(self)
    }

    /// Decoupled (AdamW) decay `p *= 1 - lr * wd` instead of L2 (PyTorch's
    /// `decoupled_weight_decay`, default off).
    pub fn decoupled_weight_decay(mut self, on: bool) -> Result<Self> {
        self.decay.decoupled = on;
        Ok(self)
    }

    /// Restricts weight decay to these parameter kinds (default: all, as PyTorch).
    pub fn decay_only(mut self, kinds: impl Into<KindSet>) -> Result<Self> {
        self.decay.only = kinds.into();
        Ok(self)
    }

    fn layout(&self) -> &'static [(&'static str, f64)] {
        if self.amsgrad {
            &[
                ("exp_avg", 0.0),
                ("exp_avg_sq", 0.0),
                ("max_exp_avg_sq", 0.0),
            ]
        } else {
            &[("exp_avg", 0.0), ("exp_avg_sq", 0.0)]
        }
    }
}

/// One step's constants, for the update kernels.
#[derive(Clone, Copy)]
struct Hyper<T> {
    neg_step_size: T,
    bc2_sqrt: T,
    w1: T,
    beta2: T,
    one_minus_beta2: T,
    eps: T,
    l2: Option<T>,
}

/// One element's update, in PyTorch's order of operations.
#[inline(always)]
fn element<T: Float>(x: &mut T, g: T, m: &mut T, v: &mut T, vmax: Option<&mut T>, h: Hyper<T>) {
    let g = match h.l2 {
        Some(wd) => g + wd * *x,
        None => g,
    };
    *m = lerp(*m, g, h.w1);
    *v = *v * h.beta2 + h.one_minus_beta2 * g * g;
    let second = match vmax {
        Some(vm) => {
            *vm = vm.max(*v);
            *vm
        }
        None => *v,
    };
    let denom = second.sqrt() / h.bc2_sqrt + h.eps;
    *x += h.neg_step_size * (*m / denom);
}

crate::activation::multiversion! {
    /// Adam's update over one parameter tensor, one vectorised pass.
    fn update<T: Float>(value: &mut [T], grad: &[T], m: &mut [T], v: &mut [T], h: Hyper<T>) {
        let n = value.len();
        let (grad, m, v) = (&grad[..n], &mut m[..n], &mut v[..n]);
        for j in 0..n {
            element(&mut value[j], grad[j], &mut m[j], &mut v[j], None, h);
        }
    }
}

crate::activation::multiversion! {
    /// As [`update`], keeping the running maximum of `v` (AMSGrad).
    fn update_amsgrad<T: Float>(value: &mut [T], grad: &[T], m: &mut [T], v: &mut [T], vmax: &mut [T], h: Hyper<T>) {
        let n = value.len();
        let (grad, m, v, vmax) = (&grad[..n], &mut m[..n], &mut v[..n], &mut vmax[..n]);
        for j in 0..n {
            element(&mut value[j], grad[j], &mut m[j], &mut v[j], Some(&mut vmax[j]), h);
        }
    }
}

impl<T: Float> Optimizer<T> for Adam<T> {
    fn step(&mut self, params: &mut dyn ParamSet<T>) -> Result<()> {
        self.state.prepare(params, self.layout())?;
        let t = (self.state.steps + 1) as f64;
        let (lr, decay) = (self.lr, self.decay);
        let bias_correction1 = 1.0 - <f64 as Float>::powf(self.beta1, t);
        let bias_correction2 = 1.0 - <f64 as Float>::powf(self.beta2, t);
        let neg_step_size = T::from_f64(-(lr / bias_correction1));
        let bc2_sqrt = T::from_f64(bias_correction2.sqrt());
        let w1 = T::from_f64(1.0 - self.beta1);
        let beta2 = T::from_f64(self.beta2);
        let one_minus_beta2 = T::from_f64(1.0 - self.beta2);
        let eps = T::from_f64(self.eps);
        self.state.update(params, |p, bufs| {
            decay.apply_decoupled(lr, p.kind, p.value);
            let l2 = decay.l2::<T>(p.kind);
            let (m, rest) = bufs.split_first_mut().expect("exp_avg buffer");
            let (v, rest) = rest.split_first_mut().expect("exp_avg_sq buffer");
            let h = Hyper {
                neg_step_size,
                bc2_sqrt,
                w1,
                beta2,
                one_minus_beta2,
                eps,
                l2,
            };
            let (value, grad, m, v) = (
                Disjoint::new(p.value),
                p.grad,
                Disjoint::new(m),
                Disjoint::new(v),
            );
            match rest.first_mut() {
                Some(vmax) => {
                    let vmax = Disjoint::new(vmax);
                    // SAFETY: `for_halves` passes disjoint ranges.
                    for_halves(grad.len(), &|r| unsafe {
                        let (x, m, v, vm) = (
                            value.range(r.clone()),
                            m.range(r.clone()),
                            v.range(r.clone()),
                            vmax.range(r.clone()),
                        );
                        update_amsgrad(x, &grad[r], m, v, vm, h)
                    });
                }
                // SAFETY: as above.
                None => for_halves(grad.len(), &|r| unsafe {
                    let (x, m, v) = (
                        value.range(r.clone()),
                        m.range(r.clone()),
                        v.range(r.clone()),
                    );
                    update(x, &grad[r], m, v, h)
                }),
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
        self.state.prepare(params, self.layout())
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
    fn first_step_moves_every_coordinate_by_lr() {
        // Step 1: m / (1 - b1) = g and sqrt(v / (1 - b2)) = |g|, so p -= lr * g / (|g| + eps),
        // within lr * eps / |g| <= 4e-8 lr of lr * sign(g).
        fn check<T: Float>(tol: f64) {
            let g = [3.0, -0.25, 0.5, -40.0].map(T::from_f64);
            let mut v = [T::ZERO; 4];
            let mut opt = Adam::<T>::new(0.01).unwrap();
            let mut set = [Param {
                name: "w",
                kind: ParamKind::Weight,
                value: &mut v,
                grad: &g,
            }];
            opt.step(&mut set).unwrap();
            for (x, g) in v.iter().zip(g) {
                let want = -0.01 * g.to_f64().signum();
                assert!((x.to_f64() - want).abs() < tol, "{x} vs {want}");
            }
        }
        check::<f64>(1e-6 * 0.01);
        check::<f32>(1e-5 * 0.01);
    }

    #[test]
    fn rejects_bad_hyper_parameters() {
        let bad = |r: Result<Adam<f64>>| {
            assert!(matches!(r, Err(KilnError::InvalidHyperParameter { .. })))
        };
        bad(Adam::new(-1e-3));
        bad(Adam::new(f64::NAN));
        bad(Adam::new(1e-3).and_then(|o| o.betas(1.0, 0.999)));
        bad(Adam::new(1e-3).and_then(|o| o.betas(0.9, 1.0)));
        bad(Adam::new(1e-3).and_then(|o| o.betas(-0.1, 0.999)));
        bad(Adam::new(1e-3).and_then(|o| o.betas(0.9, f64::NAN)));
        bad(Adam::new(1e-3).and_then(|o| o.eps(0.0)));
        bad(Adam::new(1e-3).and_then(|o| o.weight_decay(-0.01)));
    }
}
