//! Step decay: the learning rate is multiplied by `gamma` every `step_size` steps (piecewise
//! constant), as PyTorch's `StepLR`.

use super::{check_count, check_gamma, check_rate, LrSchedule};
use crate::error::Result;

/// `base * gamma^floor(k / step_size)`.
#[derive(Debug, Clone, PartialEq)]
pub struct StepDecay {
    base: f64,
    step_size: u64,
    gamma: f64,
}

impl StepDecay {
    /// `base >= 0`, `step_size >= 1`, `gamma > 0` (PyTorch's default is 0.1).
    pub fn new(base: f64, step_size: u64, gamma: f64) -> Result<Self> {
        check_rate("base learning rate", base)?;
        check_count("step_size", step_size)?;
        check_gamma(gamma)?;
        Ok(StepDecay {
            base,
            step_size,
            gamma,
        })
    }
}

impl LrSchedule for StepDecay {
    fn lr_at(&self, k: u64) -> f64 {
        self.base * libm::pow(self.gamma, (k / self.step_size) as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_hand() {
        let s = StepDecay::new(0.1, 3, 0.5).unwrap();
        let got: Vec<f64> = (0..8).map(|k| s.lr_at(k)).collect();
        assert_eq!(got, [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025]);
        assert!(StepDecay::new(-0.1, 3, 0.5).is_err());
        assert!(StepDecay::new(0.1, 0, 0.5).is_err());
        assert!(StepDecay::new(0.1, 3, 0.0).is_err());
        assert!(StepDecay::new(0.1, 3, f64::NAN).is_err());
    }
}
