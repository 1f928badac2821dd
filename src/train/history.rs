//! What a run measured, epoch by epoch: kept in memory, written into training checkpoints
//! (so a resumed run continues its curves), and drawn as the training-curve plot.

use std::path::Path;

use super::plot::{self, Panel, Series};
use super::{Metric, Metrics, TrainError};

/// One finished epoch.
#[derive(Debug, Clone, PartialEq)]
pub struct EpochRecord {
    /// 1-based.
    pub epoch: usize,
    /// Loss and metrics over the epoch's training batches (in training mode, as they ran).
    pub train: Metrics,
    /// Evaluation on the validation set after the epoch, if there is one.
    pub val: Option<Metrics>,
    /// Learning rate at the end of the epoch.
    pub lr: f64,
    /// Wall-clock seconds of the epoch, validation included.
    pub seconds: f64,
    /// Steps the loss-spike guard skipped ([`super::Fit::skip_loss_spikes`]).
    pub skipped_steps: usize,
}

/// Every epoch of a run, and how it ended. [`Fit::run`](super::Fit::run) returns it.
///
/// ```
/// use kiln::train::{EpochRecord, History, Metrics};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let epoch = |epoch, loss| EpochRecord {
///     epoch,
///     train: Metrics { loss, accuracy: Some(1.0 - loss), ..Metrics::default() },
///     val: None,
///     lr: 1e-2,
///     seconds: 0.5,
///     skipped_steps: 0,
/// };
/// let history = History { epochs: vec![epoch(1, 0.9), epoch(2, 0.4)], ..History::default() };
/// assert_eq!(history.last().map(|r| r.train.loss), Some(0.4));
/// let path = std::env::temp_dir().join(format!("kiln-doc-history-{}.svg", std::process::id()));
/// history.plot(&path, "two epochs")?; // a loss panel and an accuracy panel
/// assert!(std::fs::read_to_string(&path)?.contains("accuracy"));
/// # std::fs::remove_file(&path)?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct History {
    /// One record per epoch run, in order (the first at index 0 is epoch 1).
    pub epochs: Vec<EpochRecord>,
    /// The epoch after which early stopping ended the run.
    pub stopped_early: Option<usize>,
    /// The epoch whose weights were put back at the end (early stopping's best).
    pub restored_epoch: Option<usize>,
}

impl History {
    /// The latest epoch.
    pub fn last(&self) -> Option<&EpochRecord> {
        self.epochs.last()
    }

    /// One line per epoch, for the `last` epochs:
    /// `epoch=3 lr=.. s=.. [skipped=..] train.loss=.. train.acc=.. val.loss=..`.
    pub(super) fn encode(&self, last: usize) -> String {
        let mut s = String::new();
        for r in &self.epochs[self.epochs.len().saturating_sub(last)..] {
            s += &format!("epoch={} lr={:?} s={:?}", r.epoch, r.lr, r.seconds);
            if r.skipped_steps > 0 {
                s += &format!(" skipped={}", r.skipped_steps);
            }
            let sides = [("train", Some(&r.train)), ("val", r.val.as_ref())];
            for (side, m) in sides {
                for (k, v) in m.into_iter().flat_map(Metrics::present) {
                    s += &format!(" {side}.{}={v:?}", k.name());
                }
            }
            s.push('\n');
        }
        s
    }

    /// Reads [`History::encode`]'s text; `None` if it is not such text.
    pub(super) fn decode(text: &str) -> Option<History> {
        let mut epochs = Vec::new();
        for line in text.lines().filter(|l| !l.is_empty()) {
            let mut r = EpochRecord {
                epoch: 0,
                train: Metrics::default(),
                val: None,
                lr: f64::NAN,
                seconds: f64::NAN,
                skipped_steps: 0,
            };
            for field in line.split(' ') {
                let (key, value) = field.split_once('=')?;
                match key {
                    "epoch" => r.epoch = value.parse().ok()?,
                    "lr" => r.lr = value.parse().ok()?,
                    "s" => r.seconds = value.parse().ok()?,
                    "skipped" => r.skipped_steps = value.parse().ok()?,
                    _ => {
                        let (side, name) = key.split_once('.')?;
                        let m = match side {
                            "train" => &mut r.train,
                            "val" => r.val.get_or_insert_with(Metrics::default),
                            _ => return None,
                        };
                        m.set(Metric::from_name(name)?, value.parse().ok()?);
                    }
                }
            }
            if r.epoch == 0 {
                return None;
            }
            epochs.push(r);
        }
        Some(History {
            epochs,
            ..History::default()
        })
    }

    /// Writes the curves as SVG: the loss, then one panel per metric the run reported
    /// (accuracy in percent), train against validation.
    pub fn plot(&self, path: &Path, title: &str) -> Result<(), TrainError> {
        let series = |label: &str, f: &dyn Fn(&EpochRecord) -> Option<f64>| Series {
            label: label.into(),
            points: self
                .epochs
                .iter()
                .filter_map(|r| Some((r.epoch as f64, f(r)?)))
                .collect(),
        };
        let reported = |m: Metric| {
            self.epochs.iter().any(|r| {
                r.train.get(m).is_some() || r.val.as_ref().is_some_and(|v| v.get(m).is_some())
            })
        };
        let panels: Vec<Panel> = Metric::ALL
            .into_iter()
            .filter(|&m| reported(m))
            .map(|m| {
                let scale = if m == Metric::Accuracy { 100.0 } else { 1.0 };
                let (title, y_label) = panel_labels(m);
                Panel {
                    title: title.into(),
                    y_label: y_label.into(),
                    series: vec![
                        series("train", &|r| r.train.get(m).map(|v| scale * v)),
                        series("validation", &|r| {
                            r.val.as_ref().and_then(|v| v.get(m)).map(|v| scale * v)
                        }),
                    ],
                }
            })
            .collect();
        plot::write_svg(path, title, "epoch", &panels).map_err(|source| TrainError::Plot {
            file: path.display().to_string(),
            source,
        })
    }
}

/// Title and axis label of a metric's panel.
fn panel_labels(m: Metric) -> (&'static str, &'static str) {
    match m {
        Metric::Loss => ("loss", "loss per row"),
        Metric::Accuracy => ("accuracy", "accuracy (%)"),
        Metric::Perplexity => ("perplexity", "perplexity"),
        Metric::Rmse => ("RMSE", "root mean squared error"),
        Metric::Mae => ("MAE", "mean absolute error"),
        Metric::R2 => ("R²", "coefficient of determination"),
        Metric::F1 => ("F1", "macro F1 over labels"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_round_trips_through_text() {
        let mut val = Metrics {
            loss: 1.0 / 3.0,
            ..Metrics::default()
        };
        val.set(Metric::Rmse, 52.5);
        val.set(Metric::R2, 0.1 + 0.2);
        let h = History {
            epochs: vec![
                EpochRecord {
                    epoch: 1,
                    train: Metrics {
                        loss: 0.1 + 0.2,
                        accuracy: Some(0.75),
                        ..Metrics::default()
                    },
                    val: None,
                    lr: 1e-3,
                    seconds: 1.5,
                    skipped_steps: 0,
                },
                EpochRecord {
                    epoch: 2,
                    train: Metrics {
                        loss: 0.25,
                        perplexity: Some(5.5),
                        ..Metrics::default()
                    },
                    val: Some(val),
                    lr: 5e-4,
                    seconds: 1.25,
                    skipped_steps: 3,
                },
            ],
            ..History::default()
        };
        assert_eq!(History::decode(&h.encode(10)), Some(h.clone()));
        // Only the latest epochs are kept when asked.
        let last = History::decode(&h.encode(1)).unwrap();
        assert_eq!(last.epochs, h.epochs[1..]);
        assert_eq!(History::decode("epoch=1 lr=x"), None);
        assert_eq!(History::decode("epoch=1 val.bogus=1"), None);
    }
}
