//! Multi-step decay: the learning rate is multiplied by `gamma` at each milestone (piecewise
//! constant), as PyTorch's `MultiStepLR`.

use super::{check_gamma, check_rate, LrSchedule};
use crate::error::Result;

/// `base * gamma^(number of milestones <= k)`. Milestones may come in any order; one given
/// twice applies `gamma` twice, as in PyTorch (which counts them).
#[derive(Debug, Clone, PartialEq)]
pub struct MultiStep {
    base: f64,
    milestones: Vec<u64>,
    gamma: f64,
}

impl MultiStep {
    /// `base >= 0`, `gamma > 0` (PyTorch's default is 0.1), any milestones.
    pub fn new(base: f64, milestones: &[u64], gamma: f64) -> Result<Self> {
        check_rate("base learning rate", base)?;
        check_gamma(gamma)?;
        let mut milestones = milestones.to_vec();
        milestones.sort_unstable();
        Ok(MultiStep {
            base,
            milestones,
            gamma,
        })
    }
}

impl LrSchedule for MultiStep {
    fn lr_at(&self, k: u64) -> f64 {
        let passed = self.milestones.partition_point(|&m| m <= k);
        self.base * libm::pow(self.gamma, passed as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_hand() {
        let s = MultiStep::new(1.0, &[4, 2, 4], 0.5).unwrap();
        let got: Vec<f64> = (0..6).map(|k| s.lr_at(k)).collect();
        assert_eq!(got, [1.0, 1.0, 0.5, 0.5, 0.125, 0.125]);
        assert_eq!(MultiStep::new(0.3, &[], 0.1).unwrap().lr_at(1000), 0.3);
        assert!(MultiStep::new(f64::INFINITY, &[1], 0.1).is_err());
        assert!(MultiStep::new(0.1, &[1], -0.1).is_err());
    }
}
