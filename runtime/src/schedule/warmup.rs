//! Linear warm-up for any schedule (the gradual warm-up of Goyal et al., 2017): ramp up to the inner schedule's first rate, then follow
//! the inner schedule shifted by the warm-up length.

use super::LrSchedule;
use crate::error::{check_hyper, Result};

/// For `k < K_w`: `a0 (s + (1 - s) k / K_w)` with `a0 = inner.lr_at(0)`; from `K_w` on:
/// `inner.lr_at(k - K_w)`.
///
/// The start factor `s` defaults to 0, i.e. `k / K_w a0`: the ramp starts at **0** and
/// reaches `a0` at `k = K_w`. With `s > 0` ([`Warmup::start_factor`]) it equals PyTorch's
/// `SequentialLR([LinearLR(start_factor=s, total_iters=K_w), inner], milestones=[K_w])`
/// (PyTorch's `LinearLR` needs `s > 0`; `s = 1 / K_w` starts at `a0 / K_w`).
#[derive(Debug, Clone, PartialEq)]
pub struct Warmup<S> {
    warmup_steps: u64,
    start_factor: f64,
    inner: S,
}

impl<S: LrSchedule> Warmup<S> {
    /// Warm-up over `warmup_steps` steps (0 = none) in front of `inner`, starting from 0.
    pub fn new(warmup_steps: u64, inner: S) -> Result<Self> {
        Ok(Warmup {
            warmup_steps,
            start_factor: 0.0,
            inner,
        })
    }

    /// Fraction of `a0` the ramp starts from, in `[0, 1]` (default 0).
    pub fn start_factor(mut self, s: f64) -> Result<Self> {
        check_hyper(
            "start_factor",
            s,
            (0.0..=1.0).contains(&s),
            "must be in [0, 1]",
        )?;
        self.start_factor = s;
        Ok(self)
    }
}

impl<S: LrSchedule> LrSchedule for Warmup<S> {
    fn lr_at(&self, k: u64) -> f64 {
        if k >= self.warmup_steps {
            return self.inner.lr_at(k - self.warmup_steps);
        }
        let s = self.start_factor;
        let ramp = s + (1.0 - s) * (k as f64 / self.warmup_steps as f64);
        self.inner.lr_at(0) * ramp
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Cosine, Exponential};
    use super::*;

    #[test]
    fn ramp_from_zero_then_shifted_inner() {
        let w = Warmup::new(4, Exponential::new(0.8, 0.5).unwrap()).unwrap();
        let got: Vec<f64> = (0..7).map(|k| w.lr_at(k)).collect();
        assert_eq!(got, [0.0, 0.2, 0.4, 0.6000000000000001, 0.8, 0.4, 0.2]);
        // Composes with itself and with boxed schedules.
        let ww = Warmup::new(2, Box::new(w.clone()) as Box<dyn LrSchedule>).unwrap();
        assert_eq!([ww.lr_at(1), ww.lr_at(3), ww.lr_at(6)], [0.0, 0.2, 0.8]);
        let none = Warmup::new(0, Cosine::new(0.5, 10, 0.0).unwrap()).unwrap();
        assert_eq!(none.lr_at(0), 0.5);
    }

    #[test]
    fn start_factor() {
        let w = Warmup::new(4, Exponential::new(0.8, 0.5).unwrap())
            .unwrap()
            .start_factor(0.25)
            .unwrap();
        assert_eq!([w.lr_at(0), w.lr_at(2), w.lr_at(4)], [0.2, 0.5, 0.8]);
        assert!(Warmup::new(4, Exponential::new(0.8, 0.5).unwrap())
            .unwrap()
            .start_factor(1.5)
            .is_err());
    }
}
