//! The loss-spike guard of [`super::Fit::skip_loss_spikes`]: a step whose batch loss is far
//! above the recent average is skipped (no update), as large-scale trainers do to ride out a
//! bad batch instead of diverging on it.

use super::TrainError;

/// Steps the running mean must have seen before the guard judges a loss.
const WARM_UP: u64 = 20;
/// Weight of each new loss in the running mean (an average over about the last 50 steps).
const NEW_WEIGHT: f64 = 0.02;

/// The running mean of the losses of the steps taken, and the limit over it.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct LossSpikes {
    factor: f64,
    mean: f64,
    seen: u64,
}

impl LossSpikes {
    /// Skips a step whose loss is more than `factor` (> 1) times the running mean.
    pub fn new(factor: f64) -> Result<LossSpikes, TrainError> {
        if !(factor.is_finite() && factor > 1.0) {
            return Err(TrainError::Invalid {
                what: "loss-spike factor",
                why: format!("must be finite and > 1, got {factor}"),
            });
        }
        Ok(LossSpikes {
            factor,
            mean: 0.0,
            seen: 0,
        })
    }

    /// Whether a step with this batch loss is to be skipped; otherwise the loss joins the
    /// running mean. Losses are compared as they are (a negative mean disables the guard).
    pub fn is_spike(&mut self, loss: f64) -> bool {
        if self.seen >= WARM_UP && self.mean > 0.0 && loss > self.factor * self.mean {
            return true;
        }
        self.seen += 1;
        // An exact mean during the warm-up, then an exponential one.
        let w = (1.0 / self.seen as f64).max(NEW_WEIGHT);
        self.mean += w * (loss - self.mean);
        false
    }

    /// The state a resumed run continues from: `mean seen`.
    pub fn encode(&self) -> String {
        format!("{:?} {}", self.mean, self.seen)
    }

    /// Reads [`LossSpikes::encode`]'s text; `None` if it is not such text.
    pub fn decode(&mut self, s: &str) -> Option<()> {
        let (mean, seen) = s.split_once(' ')?;
        let (mean, seen) = (mean.parse::<f64>().ok()?, seen.parse().ok()?);
        if !mean.is_finite() {
            return None;
        }
        (self.mean, self.seen) = (mean, seen);
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skips_only_losses_far_above_the_running_mean_after_the_warm_up() {
        let mut g = LossSpikes::new(3.0).unwrap();
        // During the warm-up nothing is judged, even a large loss.
        assert!(!g.is_spike(100.0));
        for _ in 1..WARM_UP {
            assert!(!g.is_spike(1.0));
        }
        // Mean is now (100 + 19) / 20 = 5.95: 17 passes, 18 is a spike.
        assert!((g.mean - 5.95).abs() < 1e-12);
        assert!(!g.is_spike(17.0));
        let before = g.clone();
        assert!(g.is_spike(1e6));
        assert_eq!(g, before, "a skipped loss does not move the mean");
        let mut resumed = LossSpikes::new(3.0).unwrap();
        resumed.decode(&g.encode()).unwrap();
        assert_eq!(resumed, g);
    }

    #[test]
    fn refuses_a_factor_that_cannot_work() {
        for f in [1.0, 0.5, -2.0, f64::NAN, f64::INFINITY] {
            assert!(LossSpikes::new(f).is_err(), "{f}");
        }
        assert!(LossSpikes::new(2.0).unwrap().decode("x 1").is_none());
    }
}
