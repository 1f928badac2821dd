//! `ReduceLrOnPlateau`: lower the learning rate when a validation metric stops improving,
//! with the parameters and behaviour of PyTorch's `torch.optim.lr_scheduler.ReduceLROnPlateau`.

use super::early_stopping::watched;
use super::{EpochRecord, Metric, TrainError};

/// How an improvement is measured against the best value so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Threshold {
    /// Better than `best * (1 -+ threshold)` (PyTorch's `threshold_mode="rel"`, the default).
    Relative,
    /// Better than `best -+ threshold` (`threshold_mode="abs"`).
    Absolute,
}

/// Multiplies the learning rate by `factor` after more than `patience` epochs without an
/// improvement of the watched validation metric, then waits `cooldown` epochs; never below
/// `min_lr`, and a change smaller than `eps` is skipped. Defaults are PyTorch's: factor 0.1,
/// patience 10, threshold 1e-4 relative, cooldown 0, min_lr 0, eps 1e-8; the direction
/// (PyTorch's `mode`) follows the metric (`max` for accuracy, R², F1).
///
/// Given to [`Fit::reduce_lr_on_plateau`](super::Fit::reduce_lr_on_plateau), it runs after
/// every epoch; here it is driven by hand:
///
/// ```
/// use kiln::train::{EpochRecord, Metric, Metrics, ReduceLrOnPlateau};
///
/// # fn main() -> Result<(), kiln::train::TrainError> {
/// let mut plateau = ReduceLrOnPlateau::new(Metric::Loss).factor(0.5)?.patience(1);
/// let epoch = |epoch, loss| EpochRecord {
///     epoch,
///     train: Metrics::default(),
///     val: Some(Metrics { loss, ..Metrics::default() }),
///     lr: 0.1,
///     seconds: 0.0,
///     skipped_steps: 0,
/// };
/// let mut lr = 0.1;
/// for (n, val_loss) in [(1, 1.0), (2, 0.8), (3, 0.8)] {
///     lr = plateau.update(&epoch(n, val_loss), lr)?;
/// }
/// assert_eq!(lr, 0.1); // one epoch without improvement is within the patience
/// lr = plateau.update(&epoch(4, 0.8), lr)?;
/// assert_eq!(lr, 0.05); // the second is not: the rate is halved
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ReduceLrOnPlateau {
    pub(super) metric: Metric,
    factor: f64,
    patience: usize,
    threshold: f64,
    mode: Threshold,
    cooldown: usize,
    min_lr: f64,
    eps: f64,
    best: Option<f64>,
    bad_epochs: usize,
    cooldown_left: usize,
}

impl ReduceLrOnPlateau {
    /// Watches `metric` on the validation set, with PyTorch's defaults.
    pub fn new(metric: Metric) -> ReduceLrOnPlateau {
        ReduceLrOnPlateau {
            metric,
            factor: 0.1,
            patience: 10,
            threshold: 1e-4,
            mode: Threshold::Relative,
            cooldown: 0,
            min_lr: 0.0,
            eps: 1e-8,
            best: None,
            bad_epochs: 0,
            cooldown_left: 0,
        }
    }

    /// The multiplier of each reduction, in `(0, 1)`.
    pub fn factor(mut self, factor: f64) -> Result<Self, TrainError> {
        if !(factor > 0.0 && factor < 1.0) {
            return Err(invalid(format!("factor must be in (0, 1), got {factor}")));
        }
        self.factor = factor;
        Ok(self)
    }

    /// Epochs without improvement tolerated before a reduction.
    pub fn patience(mut self, epochs: usize) -> Self {
        self.patience = epochs;
        self
    }

    /// The smallest change that counts as an improvement, and how it is measured.
    pub fn threshold(mut self, threshold: f64, mode: Threshold) -> Result<Self, TrainError> {
        if !(threshold.is_finite() && threshold >= 0.0) {
            return Err(invalid(format!(
                "threshold must be finite and >= 0, got {threshold}"
            )));
        }
        (self.threshold, self.mode) = (threshold, mode);
        Ok(self)
    }

    /// Epochs after a reduction during which bad epochs are not counted.
    pub fn cooldown(mut self, epochs: usize) -> Self {
        self.cooldown = epochs;
        self
    }

    /// The learning rate is never reduced below `min_lr` (finite, >= 0).
    pub fn min_lr(mut self, min_lr: f64) -> Result<Self, TrainError> {
        if !(min_lr.is_finite() && min_lr >= 0.0) {
            return Err(invalid(format!(
                "min_lr must be finite and >= 0, got {min_lr}"
            )));
        }
        self.min_lr = min_lr;
        Ok(self)
    }

    /// Reductions smaller than `eps` are not applied.
    pub fn eps(mut self, eps: f64) -> Self {
        self.eps = eps;
        self
    }

    /// Reads an epoch's validation metric and returns the learning rate to use from now on,
    /// given the current one (PyTorch's `step(metric)`).
    pub fn update(&mut self, r: &EpochRecord, lr: f64) -> Result<f64, TrainError> {
        let v = watched(self.metric, r, "ReduceLrOnPlateau")?;
        Ok(self.step(v, lr))
    }

    fn step(&mut self, v: f64, lr: f64) -> f64 {
        if self.is_better(v) {
            self.best = Some(v);
            self.bad_epochs = 0;
        } else {
            self.bad_epochs += 1;
        }
        if self.cooldown_left > 0 {
            self.cooldown_left -= 1;
            self.bad_epochs = 0;
        }
        if self.bad_epochs <= self.patience {
            return lr;
        }
        self.cooldown_left = self.cooldown;
        self.bad_epochs = 0;
        let new = (lr * self.factor).max(self.min_lr);
        if lr - new > self.eps {
            new
        } else {
            lr
        }
    }

    fn is_better(&self, v: f64) -> bool {
        let Some(best) = self.best else {
            // PyTorch starts from +-inf: any number but NaN improves on it.
            return !v.is_nan();
        };
        let up = self.metric.higher_is_better();
        match (self.mode, up) {
            (Threshold::Relative, false) => v < best * (1.0 - self.threshold),
            (Threshold::Relative, true) => v > best * (1.0 + self.threshold),
            (Threshold::Absolute, false) => v < best - self.threshold,
            (Threshold::Absolute, true) => v > best + self.threshold,
        }
    }

    /// State for a training checkpoint.
    pub(super) fn encode(&self) -> String {
        let best = self.best.map_or("none".into(), |b| format!("{b:?}"));
        format!("{best} {} {}", self.bad_epochs, self.cooldown_left)
    }

    /// Restores [`ReduceLrOnPlateau::encode`]'s state.
    pub(super) fn decode(&mut self, s: &str) -> Option<()> {
        let f: Vec<&str> = s.split(' ').collect();
        let [b, bad, cool] = f.as_slice() else {
            return None;
        };
        self.best = match *b {
            "none" => None,
            b => Some(b.parse().ok()?),
        };
        self.bad_epochs = bad.parse().ok()?;
        self.cooldown_left = cool.parse().ok()?;
        Some(())
    }
}

fn invalid(why: String) -> TrainError {
    TrainError::Invalid {
        what: "ReduceLrOnPlateau",
        why,
    }
}

#[cfg(test)]
#[rustfmt::skip]
mod reference;

#[cfg(test)]
mod tests {
    use super::*;

    /// PyTorch's learning rates for the same metric sequences (`tools/reference/plateau.py`).
    #[test]
    fn matches_pytorch_reduce_lr_on_plateau() {
        for case in reference::CASES {
            let mut p = ReduceLrOnPlateau::new(case.metric)
                .factor(case.factor)
                .unwrap()
                .patience(case.patience)
                .threshold(case.threshold, case.mode)
                .unwrap()
                .cooldown(case.cooldown)
                .min_lr(case.min_lr)
                .unwrap();
            let mut lr = 1.0;
            let mut lrs = Vec::new();
            for &v in case.values {
                lr = p.step(v, lr);
                lrs.push(lr);
            }
            for (i, (a, b)) in lrs.iter().zip(case.lrs).enumerate() {
                assert!(
                    (a - b).abs() <= 1e-15 * b.abs(),
                    "{}: epoch {i}: {a} vs {b}",
                    case.name
                );
            }
            let mut back = ReduceLrOnPlateau::new(case.metric);
            back.decode(&p.encode()).unwrap();
            assert_eq!(
                (back.best, back.bad_epochs, back.cooldown_left),
                (p.best, p.bad_epochs, p.cooldown_left)
            );
        }
        assert!(ReduceLrOnPlateau::new(Metric::Loss).factor(1.0).is_err());
        assert!(ReduceLrOnPlateau::new(Metric::Loss).min_lr(-1.0).is_err());
    }
}
