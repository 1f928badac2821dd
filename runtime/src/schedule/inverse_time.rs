//! Inverse-time decay `a0 / (1 + beta k)` (PyTorch: a `LambdaLR`).

use super::{check_rate, LrSchedule};
use crate::error::{check_hyper, Result};

/// `base / (1 + beta k)`.
#[derive(Debug, Clone, PartialEq)]
pub struct InverseTime {
    base: f64,
    beta: f64,
}

impl InverseTime {
    /// `base >= 0`, `beta >= 0`.
    pub fn new(base: f64, beta: f64) -> Result<Self> {
        check_rate("base learning rate", base)?;
        check_hyper("beta", beta, beta >= 0.0, "must be finite and >= 0")?;
        Ok(InverseTime { base, beta })
    }
}

impl LrSchedule for InverseTime {
    fn lr_at(&self, k: u64) -> f64 {
        self.base / (1.0 + self.beta * k as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_hand() {
        let s = InverseTime::new(0.6, 0.5).unwrap();
        for (k, want) in [(0, 0.6), (2, 0.3), (4, 0.2), (18, 0.06)] {
            assert!((s.lr_at(k) - want).abs() < 1e-16, "k = {k}");
        }
        assert!(InverseTime::new(0.1, -0.5).is_err());
        assert!(InverseTime::new(-0.1, 0.5).is_err());
    }
}
