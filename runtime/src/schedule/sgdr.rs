//! SGDR (Loshchilov and Hutter, 2017): cosine annealing with warm restarts, periods growing by `t_mult`, as PyTorch's
//! `CosineAnnealingWarmRestarts`.

use super::{check_count, check_rate, LrSchedule};
use crate::error::{check_hyper, Result};
use core::f64::consts::PI;

/// `min_lr + (base - min_lr) (1 + cos(pi T_cur / T_i)) / 2`, where the `i`-th period lasts
/// `T_i = t0 * t_mult^i` steps and `T_cur` counts steps since the last restart (each period
/// `t_mult` times the previous one).
#[derive(Debug, Clone, PartialEq)]
pub struct Sgdr {
    base: f64,
    min_lr: f64,
    t0: u64,
    t_mult: u64,
}

impl Sgdr {
    /// `base >= 0`, `0 <= min_lr <= base`, first period `t0 >= 1`, growth `t_mult >= 1`
    /// (an integer, as in PyTorch).
    pub fn new(base: f64, min_lr: f64, t0: u64, t_mult: u64) -> Result<Self> {
        check_rate("base learning rate", base)?;
        check_hyper(
            "min_lr",
            min_lr,
            (0.0..=base).contains(&min_lr),
            "must be finite and in [0, base]",
        )?;
        check_count("t0", t0)?;
        check_count("t_mult", t_mult)?;
        Ok(Sgdr {
            base,
            min_lr,
            t0,
            t_mult,
        })
    }

    /// `(T_cur, T_i)` at step `k`.
    fn position(&self, k: u64) -> (u64, u64) {
        if self.t_mult == 1 {
            return (k % self.t0, self.t0);
        }
        let (mut cur, mut period) = (k, self.t0);
        while cur >= period {
            cur -= period;
            period = period.saturating_mul(self.t_mult);
        }
        (cur, period)
    }
}

impl LrSchedule for Sgdr {
    fn lr_at(&self, k: u64) -> f64 {
        let (cur, period) = self.position(k);
        let c = libm::cos(PI * cur as f64 / period as f64);
        self.min_lr + (self.base - self.min_lr) * (1.0 + c) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_hand() {
        // Periods 2, 4, 8: restarts at k = 0, 2, 6, 14.
        let s = Sgdr::new(1.0, 0.0, 2, 2).unwrap();
        let want = [
            1.0,
            0.5,
            1.0,
            0.8535533905932737,
            0.5,
            0.14644660940672624,
            1.0,
        ];
        for (k, w) in want.iter().enumerate() {
            assert!((s.lr_at(k as u64) - w).abs() < 1e-15, "k = {k}");
        }
        assert_eq!(s.lr_at(14), 1.0);
        let seven_eighths = (1.0 + (7.0 * core::f64::consts::PI / 8.0).cos()) / 2.0;
        assert!((s.lr_at(13) - seven_eighths).abs() < 1e-15);
        let (cur, period) = s.position(u64::MAX);
        assert!(cur < period);
        let c = Sgdr::new(0.2, 0.1, 3, 1).unwrap();
        assert_eq!([c.lr_at(0), c.lr_at(3), c.lr_at(300)], [0.2, 0.2, 0.2]);
        assert!(Sgdr::new(0.1, 0.0, 0, 2).is_err());
        assert!(Sgdr::new(0.1, 0.0, 2, 0).is_err());
        assert!(Sgdr::new(0.1, 0.2, 2, 2).is_err());
    }
}
