//! Exponential decay written with `exp`: `a0 exp(-beta k)` (PyTorch: a `LambdaLR`; the same
//! as [`super::Exponential`] with `gamma = exp(-beta)`).

use super::{check_rate, LrSchedule};
use crate::error::{check_hyper, Result};

/// `base * exp(-beta k)`.
#[derive(Debug, Clone, PartialEq)]
pub struct ExponentialExp {
    base: f64,
    beta: f64,
}

impl ExponentialExp {
    /// `base >= 0`, `beta >= 0`.
    pub fn new(base: f64, beta: f64) -> Result<Self> {
        check_rate("base learning rate", base)?;
        check_hyper("beta", beta, beta >= 0.0, "must be finite and >= 0")?;
        Ok(ExponentialExp { base, beta })
    }
}

impl LrSchedule for ExponentialExp {
    fn lr_at(&self, k: u64) -> f64 {
        self.base * libm::exp(-self.beta * k as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_hand() {
        let s = ExponentialExp::new(0.5, 2f64.ln()).unwrap();
        assert_eq!(s.lr_at(0), 0.5);
        assert!((s.lr_at(1) - 0.25).abs() < 1e-16 && (s.lr_at(3) - 0.0625).abs() < 1e-16);
        assert!(ExponentialExp::new(0.5, -1.0).is_err());
    }
}
