//! Early stopping: end a run when a validation metric has not improved for `patience`
//! epochs, optionally putting back the weights of the best epoch.

use super::{EpochRecord, Metric, TrainError};

/// Stop after `patience` epochs without an improvement of more than `min_delta`.
///
/// A wide network on 200 digits overfits, so its validation loss soon stops improving:
///
/// ```
/// use kiln::data::digits;
/// use kiln::prelude::*;
/// use kiln::runtime::optim::Adam;
/// use kiln::train::{EarlyStopping, Fit, Metric};
///
/// network! {
///     struct Wide {
///         input: [64],
///         layers: [dense(256), relu, dense(10)],
///         loss: softmax_cross_entropy,
///     }
/// }
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let mut data = digits()?;
/// data.scale(1.0 / 16.0);
/// let (train, val) = data.select(&(0..600).collect::<Vec<_>>()).split(1.0 / 3.0, 1)?;
/// let es = EarlyStopping::new(Metric::Loss, 2)?.min_delta(1e-3)?.restore_best(true);
/// let mut net = Wide::<f32>::new(&mut seeded(1));
/// let mut opt = Adam::new(1e-2)?;
/// let fit = Fit::new(50, 16)?.early_stopping(es).quiet();
/// let history = fit.run(&mut net, &mut opt, &train, Some(&val))?;
/// let stopped = history.stopped_early.expect("stopped before epoch 50");
/// assert_eq!(stopped, history.epochs.len());
/// // The weights put back are those of the best epoch, two epochs before the stop.
/// assert_eq!(history.restored_epoch, Some(stopped - 2));
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct EarlyStopping {
    pub(super) monitor: Metric,
    patience: usize,
    min_delta: f64,
    pub(super) restore_best: bool,
    /// Best value so far and its epoch; epochs since it.
    pub(super) best: Option<(f64, usize)>,
    pub(super) waited: usize,
}

/// What one epoch means for early stopping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Improved,
    NoBetter,
    Stop,
}

impl EarlyStopping {
    /// Watches `monitor`; `patience` must be at least 1.
    pub fn new(monitor: Metric, patience: usize) -> Result<EarlyStopping, TrainError> {
        if patience == 0 {
            return Err(TrainError::Invalid {
                what: "early-stopping patience",
                why: "must be at least 1 epoch".into(),
            });
        }
        Ok(EarlyStopping {
            monitor,
            patience,
            min_delta: 0.0,
            restore_best: false,
            best: None,
            waited: 0,
        })
    }

    /// The smallest change that counts as an improvement (finite, >= 0; default 0).
    pub fn min_delta(mut self, d: f64) -> Result<EarlyStopping, TrainError> {
        if !(d.is_finite() && d >= 0.0) {
            return Err(TrainError::Invalid {
                what: "early-stopping min_delta",
                why: format!("must be finite and >= 0, got {d}"),
            });
        }
        self.min_delta = d;
        Ok(self)
    }

    /// At the end, put back the weights of the best epoch (default: keep the last).
    pub fn restore_best(mut self, yes: bool) -> EarlyStopping {
        self.restore_best = yes;
        self
    }

    /// Records an epoch. Errors if the epoch has no validation metrics.
    pub(super) fn update(&mut self, r: &EpochRecord) -> Result<Verdict, TrainError> {
        let v = watched(self.monitor, r, "early stopping")?;
        let better = match self.best {
            None => !v.is_nan(),
            Some((b, _)) if self.monitor.higher_is_better() => v > b + self.min_delta,
            Some((b, _)) => v < b - self.min_delta,
        };
        if better {
            self.best = Some((v, r.epoch));
            self.waited = 0;
            return Ok(Verdict::Improved);
        }
        self.waited += 1;
        Ok(if self.waited >= self.patience {
            Verdict::Stop
        } else {
            Verdict::NoBetter
        })
    }

    /// The state as text for a checkpoint: `best best_epoch waited`.
    pub(super) fn encode(&self) -> String {
        match self.best {
            Some((b, e)) => format!("{b:?} {e} {}", self.waited),
            None => format!("none 0 {}", self.waited),
        }
    }

    pub(super) fn decode(&mut self, s: &str) -> Option<()> {
        let f: Vec<&str> = s.split(' ').collect();
        let [b, e, w] = f.as_slice() else {
            return None;
        };
        self.best = match *b {
            "none" => None,
            b => Some((b.parse().ok()?, e.parse().ok()?)),
        };
        self.waited = w.parse().ok()?;
        Some(())
    }
}

/// The validation value of `metric` in `r`; `who` (early stopping, a plateau schedule) names
/// the watcher in the error when there is no validation set or it lacks the metric.
pub(super) fn watched(
    metric: Metric,
    r: &EpochRecord,
    who: &'static str,
) -> Result<f64, TrainError> {
    let v = r.val.as_ref().ok_or_else(|| TrainError::Invalid {
        what: who,
        why: "it watches a validation metric, so the run needs a validation set".into(),
    })?;
    v.get(metric).ok_or_else(|| TrainError::Invalid {
        what: who,
        why: format!(
            "it watches `{}`, which this task's evaluation does not report (it reports {})",
            metric.name(),
            v.present()
                .map(|(m, _)| m.name())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::Metrics;

    fn epoch(epoch: usize, loss: f64) -> EpochRecord {
        EpochRecord {
            epoch,
            train: Metrics::default(),
            val: Some(Metrics {
                loss,
                accuracy: Some(1.0 - loss),
                ..Metrics::default()
            }),
            lr: 0.1,
            seconds: 0.0,
            skipped_steps: 0,
        }
    }

    #[test]
    fn stops_after_patience_epochs_without_improvement() {
        let mut es = EarlyStopping::new(Metric::Loss, 2)
            .unwrap()
            .min_delta(0.01)
            .unwrap();
        let verdicts: Vec<_> = [0.5, 0.4, 0.395, 0.3, 0.35, 0.31]
            .iter()
            .enumerate()
            .map(|(i, &l)| es.update(&epoch(i + 1, l)).unwrap())
            .collect();
        use Verdict::*;
        assert_eq!(
            verdicts,
            [Improved, Improved, NoBetter, Improved, NoBetter, Stop]
        );
        assert_eq!(es.best, Some((0.3, 4)));
        let mut back = EarlyStopping::new(Metric::Loss, 2).unwrap();
        back.decode(&es.encode()).unwrap();
        assert_eq!((back.best, back.waited), (es.best, es.waited));
        let mut acc = EarlyStopping::new(Metric::Accuracy, 1).unwrap();
        assert_eq!(acc.update(&epoch(1, 0.5)).unwrap(), Improved);
        assert_eq!(acc.update(&epoch(2, 0.6)).unwrap(), Stop);
    }

    #[test]
    fn rejects_bad_settings_and_missing_validation() {
        assert!(EarlyStopping::new(Metric::Loss, 0).is_err());
        let es = EarlyStopping::new(Metric::Loss, 1).unwrap();
        assert!(es.clone().min_delta(-1.0).is_err());
        let mut r = epoch(1, 0.5);
        r.val = None;
        let mut es = es;
        assert!(es
            .update(&r)
            .unwrap_err()
            .to_string()
            .contains("validation set"));
        let mut rmse = EarlyStopping::new(Metric::Rmse, 1).unwrap();
        let e = rmse.update(&epoch(1, 0.5)).unwrap_err().to_string();
        assert!(e.contains("watches `rmse`, which this task's evaluation does not report (it reports loss, acc)"), "{e}");
    }
}
