//! Cosine annealing (Loshchilov and Hutter, 2017) from `base` to `min_lr` over
//! `total_steps`, as PyTorch's
//! `CosineAnnealingLR` (closed form), then constant.

use super::{check_count, check_rate, LrSchedule};
use crate::error::{check_hyper, Result};
use core::f64::consts::PI;

/// `min_lr + (base - min_lr) (1 + cos(pi k / K)) / 2` for `k <= K`, and `min_lr` after.
///
/// With `min_lr = 0` this is `a0/2 (1 + cos(k pi / K))`. Up to `K` it equals PyTorch's
/// `CosineAnnealingLR(T_max=K, eta_min=min_lr)`; PyTorch keeps following the cosine after
/// `K` (the rate climbs back to `base` at `2K`), kiln holds `min_lr`, so training past `K`
/// does not undo the annealing (use [`super::Sgdr`] for restarts).
#[derive(Debug, Clone, PartialEq)]
pub struct Cosine {
    base: f64,
    total_steps: u64,
    min_lr: f64,
}

impl Cosine {
    /// `base >= 0`, `total_steps >= 1`, `0 <= min_lr <= base`.
    pub fn new(base: f64, total_steps: u64, min_lr: f64) -> Result<Self> {
        check_rate("base learning rate", base)?;
        check_count("total_steps", total_steps)?;
        check_hyper(
            "min_lr",
            min_lr,
            (0.0..=base).contains(&min_lr),
            "must be finite and in [0, base]",
        )?;
        Ok(Cosine {
            base,
            total_steps,
            min_lr,
        })
    }
}

impl LrSchedule for Cosine {
    fn lr_at(&self, k: u64) -> f64 {
        if k >= self.total_steps {
            return self.min_lr;
        }
        let c = libm::cos(PI * k as f64 / self.total_steps as f64);
        self.min_lr + (self.base - self.min_lr) * (1.0 + c) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_hand() {
        let s = Cosine::new(1.0, 4, 0.0).unwrap();
        let half = (1.0 + core::f64::consts::FRAC_1_SQRT_2) / 2.0;
        let want = [1.0, half, 0.5, 1.0 - half, 0.0, 0.0, 0.0];
        for (k, w) in want.iter().enumerate() {
            assert!((s.lr_at(k as u64) - w).abs() < 1e-15, "k = {k}");
        }
        let s = Cosine::new(0.3, 10, 0.1).unwrap();
        assert!((s.lr_at(5) - 0.2).abs() < 1e-15);
        assert_eq!(s.lr_at(10), 0.1);
        assert_eq!(s.lr_at(u64::MAX), 0.1);
        assert!(Cosine::new(0.1, 0, 0.0).is_err());
        assert!(Cosine::new(0.1, 10, 0.2).is_err());
        assert!(Cosine::new(0.1, 10, -0.01).is_err());
    }
}
