//! Triangular cyclic learning rate (Smith, 2017, "Cyclical Learning Rates for Training Neural
//! Networks"): linear up from `base_lr` to `max_lr` over `step_size`
//! steps and back down, repeated, as PyTorch's `CyclicLR(mode="triangular")`.

use super::{check_count, check_rate, LrSchedule};
use crate::error::{check_hyper, Result};

/// `base_lr + (max_lr - base_lr) max(0, 1 - b_k)` with `b_k = |k / dT - 2m + 1|` and
/// `m = floor(1 + k / (2 dT))`, `dT = step_size`.
///
/// `b_k` is an absolute value, as in Smith (2017), not a floor (as it is sometimes
/// misprinted). Computed with PyTorch's `CyclicLR` arithmetic, which is the same function.
#[derive(Debug, Clone, PartialEq)]
pub struct Triangular {
    base_lr: f64,
    max_lr: f64,
    step_size: u64,
}

impl Triangular {
    /// `0 <= base_lr <= max_lr`, `step_size >= 1` (half a cycle).
    pub fn new(base_lr: f64, max_lr: f64, step_size: u64) -> Result<Self> {
        check_rate("base_lr", base_lr)?;
        check_hyper(
            "max_lr",
            max_lr,
            max_lr >= base_lr,
            "must be finite and >= base_lr",
        )?;
        check_count("step_size", step_size)?;
        Ok(Triangular {
            base_lr,
            max_lr,
            step_size,
        })
    }
}

impl LrSchedule for Triangular {
    fn lr_at(&self, k: u64) -> f64 {
        let total = 2.0 * self.step_size as f64;
        let kf = k as f64;
        let cycle = libm::floor(1.0 + kf / total);
        let x = 1.0 + kf / total - cycle;
        let scale = if x <= 0.5 {
            x / 0.5
        } else {
            (x - 1.0) / (0.5 - 1.0)
        };
        self.base_lr + (self.max_lr - self.base_lr) * scale
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_hand_and_as_smiths_formula() {
        let s = Triangular::new(0.1, 0.5, 2).unwrap();
        let got: Vec<f64> = (0..9).map(|k| s.lr_at(k)).collect();
        let want = [0.1, 0.3, 0.5, 0.3, 0.1, 0.3, 0.5, 0.3, 0.1];
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < 1e-15, "{got:?}");
        }
        for dt in [1u64, 3, 7] {
            let s = Triangular::new(0.01, 0.1, dt).unwrap();
            for k in 0..200u64 {
                let m = (1.0 + k as f64 / (2.0 * dt as f64)).floor();
                let b = (k as f64 / dt as f64 - 2.0 * m + 1.0).abs();
                let want = 0.01 + 0.09 * (1.0 - b).max(0.0);
                assert!((s.lr_at(k) - want).abs() < 1e-15, "dT {dt} k {k}");
            }
        }
        assert!(Triangular::new(0.1, 0.05, 2).is_err());
        assert!(Triangular::new(0.1, 0.5, 0).is_err());
    }
}
