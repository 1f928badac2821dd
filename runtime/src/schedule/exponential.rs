//! Exponential decay `a0 gamma^k` (also written `a0 beta^k`), as PyTorch's `ExponentialLR`.

use super::{check_gamma, check_rate, LrSchedule};
use crate::error::Result;

/// `base * gamma^k`.
#[derive(Debug, Clone, PartialEq)]
pub struct Exponential {
    base: f64,
    gamma: f64,
}

impl Exponential {
    /// `base >= 0`, `gamma > 0` (below 1 to decay).
    pub fn new(base: f64, gamma: f64) -> Result<Self> {
        check_rate("base learning rate", base)?;
        check_gamma(gamma)?;
        Ok(Exponential { base, gamma })
    }
}

impl LrSchedule for Exponential {
    fn lr_at(&self, k: u64) -> f64 {
        self.base * libm::pow(self.gamma, k as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_hand() {
        let s = Exponential::new(2.0, 0.5).unwrap();
        assert_eq!([s.lr_at(0), s.lr_at(1), s.lr_at(3)], [2.0, 1.0, 0.25]);
        assert!(Exponential::new(2.0, 0.0).is_err());
        assert!(Exponential::new(f64::NAN, 0.5).is_err());
    }
}
