//! Stochastic gradient descent with optional momentum, dampening and Nesterov momentum, as
//! PyTorch's `torch.optim.SGD`.

use super::decay::{Decay, KindSet};
use super::state::State;
use super::{check_lr, check_unit, Optimizer};
use crate::error::{check_hyper, Result};
use crate::float::Float;
use crate::gemm::for_halves;
use crate::layers::batch_parts::Disjoint;
use crate::param::ParamSet;

/// PyTorch's SGD. With `g = grad (+ wd * p)`:
/// - plain: `p -= lr * g`;
/// - momentum `mu`: `b = g` on the first step, then `b = mu * b + (1 - dampening) * g`, and
///   `p -= lr * b`, or with Nesterov `p -= lr * (g + mu * b)`.
///
/// The classical momentum `v = gamma v + lr g; x -= v` (Sutskever et al., 2013) is the same
/// for a constant `lr`; with a schedule, PyTorch's form (used here) applies the current `lr`
/// to the whole buffer.
#[derive(Debug, Clone)]
pub struct Sgd<T> {
    lr: f64,
    momentum: f64,
    dampening: f64,
    nesterov: bool,
    decay: Decay,
    state: State<T>,
}

impl<T: Float> Sgd<T> {
    /// Plain SGD with learning rate `lr` (finite, `>= 0`).
    pub fn new(lr: f64) -> Result<Self> {
        check_lr::<T>(lr)?;
        Ok(Sgd {
            lr,
            momentum: 0.0,
            dampening: 0.0,
            nesterov: false,
            decay: Decay::NONE,
            state: State::new(),
        })
    }

    /// Momentum factor in `[0, 1)` (PyTorch default 0; it accepts any `>= 0`). Cannot be
    /// switched on or off after the first step, and not to 0 while Nesterov is on.
    pub fn momentum(mut self, momentum: f64) -> Result<Self> {
        check_unit("momentum", momentum)?;
        if (momentum == 0.0) != (self.momentum == 0.0) {
            self.state.check_unset("momentum", momentum)?;
        }
        check_hyper(
            "momentum",
            momentum,
            !self.nesterov || momentum > 0.0,
            "Nesterov momentum needs momentum > 0",
        )?;
        self.momentum = momentum;
        Ok(self)
    }

    /// Dampening of the gradient's share of the momentum buffer, in `[0, 1]` (default 0).
    /// Nesterov needs 0.
    pub fn dampening(mut self, dampening: f64) -> Result<Self> {
        check_hyper(
            "dampening",
            dampening,
            (0.0..=1.0).contains(&dampening),
            "must be in [0, 1]",
        )?;
        check_hyper(
            "dampening",
            dampening,
            !self.nesterov || dampening == 0.0,
            "Nesterov momentum needs zero dampening",
        )?;
        self.dampening = dampening;
        Ok(self)
    }

    /// Nesterov momentum; needs momentum > 0 and zero dampening (set them first).
    pub fn nesterov(mut self, nesterov: bool) -> Result<Self> {
        if nesterov {
            check_hyper(
                "momentum",
                self.momentum,
                self.momentum > 0.0,
                "Nesterov momentum needs momentum > 0",
            )?;
            check_hyper(
                "dampening",
                self.dampening,
                self.dampening == 0.0,
                "Nesterov momentum needs zero dampening",
            )?;
        }
        self.nesterov = nesterov;
        Ok(self)
    }

    /// Weight decay `>= 0` (default 0): L2, `wd * p` added to the gradient, unless
    /// [`Sgd::decoupled_weight_decay`] is on.
    pub fn weight_decay(mut self, wd: f64) -> Result<Self> {
        self.decay = self.decay.with_amount(wd)?;
        Ok(self)
    }

    /// Decoupled decay `p *= 1 - lr * wd` before the update instead of L2 (kiln's extension:
    /// PyTorch's SGD has only L2).
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
        if self.momentum != 0.0 {
            &[("momentum_buffer", 0.0)]
        } else {
            &[]
        }
    }
}

/// One step's constants, for the update kernels.
#[derive(Clone, Copy)]
struct Hyper<T> {
    neg_lr: T,
    mu: T,
    keep: T,
    l2: Option<T>,
    first: bool,
    nesterov: bool,
}

crate::activation::multiversion! {
    /// `x -= lr (g + wd x)`: one pass, vectorised (the flags are hoisted out of the loop).
    fn update_plain<T: Float>(value: &mut [T], grad: &[T], h: Hyper<T>) {
        match h.l2 {
            Some(wd) => value.iter_mut().zip(grad).for_each(|(x, &g)| *x += h.neg_lr * (g + wd * *x)),
            None => value.iter_mut().zip(grad).for_each(|(x, &g)| *x += h.neg_lr * g),
        }
    }
}

crate::activation::multiversion! {
    /// The momentum update, PyTorch's order of operations: `b = mu b + (1 - dampening) g`
    /// (`b = g` on the first step), `x -= lr b` (Nesterov: `x -= lr (g + mu b)`).
    fn update_momentum<T: Float>(value: &mut [T], grad: &[T], buf: &mut [T], h: Hyper<T>) {
        #[inline(always)]
        fn run<T: Float, const FIRST: bool, const NESTEROV: bool, const L2: bool>(
            value: &mut [T],
            grad: &[T],
            buf: &mut [T],
            h: Hyper<T>,
        ) {
            let wd = h.l2.unwrap_or(T::ZERO);
            for ((x, &g), b) in value.iter_mut().zip(grad).zip(buf.iter_mut()) {
                let g = if L2 { g + wd * *x } else { g };
                *b = if FIRST { g } else { *b * h.mu + h.keep * g };
                *x += h.neg_lr * if NESTEROV { g + h.mu * *b } else { *b };
            }
        }
        match (h.first, h.nesterov, h.l2.is_some()) {
            (false, false, false) => run::<T, false, false, false>(value, grad, buf, h),
            (false, false, true) => run::<T, false, false, true>(value, grad, buf, h),
            (false, true, false) => run::<T, false, true, false>(value, grad, buf, h),
            (false, true, true) => run::<T, false, true, true>(value, grad, buf, h),
            (true, false, false) => run::<T, true, false, false>(value, grad, buf, h),
            (true, false, true) => run::<T, true, false, true>(value, grad, buf, h),
            (true, true, false) => run::<T, true, true, false>(value, grad, buf, h),
            (true, true, true) => run::<T, true, true, true>(value, grad, buf, h),
        }
    }
}

impl<T: Float> Optimizer<T> for Sgd<T> {
    fn step(&mut self, params: &mut dyn ParamSet<T>) -> Result<()> {
        self.state.prepare(params, self.layout())?;
        let first = self.state.steps == 0;
        let (lr, decay, nesterov) = (self.lr, self.decay, self.nesterov);
        let neg_lr = T::from_f64(-lr);
        let mu = T::from_f64(self.momentum);
        let keep = T::from_f64(1.0 - self.dampening);
        let use_momentum = self.momentum != 0.0;
        self.state.update(params, |p, bufs| {
            decay.apply_decoupled(lr, p.kind, p.value);
            let l2 = decay.l2::<T>(p.kind);
            let h = Hyper {
                neg_lr,
                mu,
                keep,
                l2,
                first,
                nesterov,
            };
            let (value, grad) = (Disjoint::new(p.value), p.grad);
            match bufs.first_mut().filter(|_| use_momentum) {
                Some(b) => {
                    let b = Disjoint::new(b);
                    // SAFETY: `for_halves` passes disjoint ranges.
                    for_halves(grad.len(), &|r| unsafe {
                        update_momentum(value.range(r.clone()), &grad[r.clone()], b.range(r), h)
                    });
                }
                // SAFETY: as above.
                None => for_halves(grad.len(), &|r| unsafe {
                    update_plain(value.range(r.clone()), &grad[r], h)
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
    fn one_plain_step_by_hand() {
        let mut w = [1.0f64, -2.0];
        let mut b = [0.5f64];
        let mut opt = Sgd::new(0.1).unwrap().weight_decay(0.5).unwrap();
        let mut set = [
            Param {
                name: "w",
                kind: ParamKind::Weight,
                value: &mut w,
                grad: &[0.3, 0.4],
            },
            Param {
                name: "b",
                kind: ParamKind::Bias,
                value: &mut b,
                grad: &[-1.0],
            },
        ];
        opt.step(&mut set).unwrap();
        // p - 0.1 * (g + 0.5 p)
        assert!((w[0] - (1.0 - 0.1 * (0.3 + 0.5))).abs() < 1e-15);
        assert!((w[1] - (-2.0 - 0.1 * (0.4 - 1.0))).abs() < 1e-15);
        assert!((b[0] - (0.5 - 0.1 * (-1.0 + 0.25))).abs() < 1e-15);
        assert_eq!(Optimizer::<f64>::steps(&opt), 1);
    }

    #[test]
    fn momentum_by_hand_and_decay_only_weights() {
        // Two steps of momentum 0.5, dampening 0.5, decay 1.0 on weights only, f32.
        let mut w = [1.0f32];
        let mut b = [1.0f32];
        let mut opt = Sgd::<f32>::new(0.1)
            .unwrap()
            .momentum(0.5)
            .unwrap()
            .dampening(0.5)
            .unwrap()
            .weight_decay(1.0)
            .unwrap()
            .decay_only(ParamKind::Weight)
            .unwrap();
        for _ in 0..2 {
            let mut set = [
                Param {
                    name: "w",
                    kind: ParamKind::Weight,
                    value: &mut w,
                    grad: &[1.0],
                },
                Param {
                    name: "b",
                    kind: ParamKind::Bias,
                    value: &mut b,
                    grad: &[1.0],
                },
            ];
            opt.step(&mut set).unwrap();
        }
        // w: g = 2, b = 2, w = 0.8; g = 1.8, b = 0.5*2 + 0.5*1.8 = 1.9, w = 0.8 - 0.19 = 0.61
        assert!((w[0] - 0.61).abs() < 1e-6, "{}", w[0]);
        // b: g = 1, buf = 1, b = 0.9; buf = 0.5 + 0.5 = 1, b = 0.8
        assert!((b[0] - 0.8).abs() < 1e-6, "{}", b[0]);
    }

    #[test]
    fn rejects_bad_hyper_parameters() {
        let bad = |r: Result<Sgd<f64>>| {
            assert!(matches!(r, Err(KilnError::InvalidHyperParameter { .. })))
        };
        bad(Sgd::new(-0.1));
        bad(Sgd::new(f64::NAN));
        bad(Sgd::new(f64::INFINITY));
        bad(Sgd::new(0.1).and_then(|o| o.momentum(-0.1)));
        bad(Sgd::new(0.1).and_then(|o| o.momentum(1.0)));
        bad(Sgd::new(0.1).and_then(|o| o.dampening(1.5)));
        bad(Sgd::new(0.1).and_then(|o| o.weight_decay(-1e-4)));
        bad(Sgd::new(0.1).and_then(|o| o.nesterov(true)));
        bad(Sgd::new(0.1).and_then(|o| o.momentum(0.9)?.dampening(0.1)?.nesterov(true)));
        bad(Sgd::new(0.1).and_then(|o| o.momentum(0.9)?.nesterov(true)?.dampening(0.1)));
        bad(Sgd::new(0.1).and_then(|o| o.momentum(0.9)?.nesterov(true)?.momentum(0.0)));
        let mut ok = Sgd::<f64>::new(0.0).unwrap();
        assert!(ok.set_learning_rate(-1.0).is_err());
        assert!(ok.set_learning_rate(f64::NAN).is_err());
        assert_eq!(ok.learning_rate(), 0.0);
        ok.set_learning_rate(0.25).unwrap();
        assert_eq!(ok.learning_rate(), 0.25);
    }
}
