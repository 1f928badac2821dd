//! What a run measured, epoch by epoch: kept in memory, written into training checkpoints
//! (so a resumed run continues its curves), and drawn as the training-curve plot.

use std::path::Path;

use super::plot::{self, Panel, Series};
use super::{Metrics, TrainError};

/// One finished epoch.
#[derive(Debug, Clone, PartialEq)]
pub struct EpochRecord {
    /// 1-based.
    pub epoch: usize,
    /// Mean training loss over the epoch's batches (train mode, per row).
    pub train_loss: f64,
    /// Fraction of training rows predicted right during the epoch (train mode).
    pub train_accuracy: f64,
    /// Validation metrics, when a validation set was given (in a run's [`History`], only the
    /// last epoch keeps its confusion matrix; callbacks receive every epoch's).
    pub val: Option<Metrics>,
    /// Learning rate of the epoch's last step.
    pub lr: f64,
    /// Wall-clock seconds of the epoch, validation included.
    pub seconds: f64,
}

/// Every epoch of a run, and how it ended.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct History {
    pub epochs: Vec<EpochRecord>,
    /// The epoch early stopping stopped after, if it did.
    pub stopped_early: Option<usize>,
    /// The epoch whose weights the network holds at the end when early stopping restored
    /// the best ones.
    pub restored_epoch: Option<usize>,
}

impl History {
    /// The last epoch's record.
    pub fn last(&self) -> Option<&EpochRecord> {
        self.epochs.last()
    }

    /// One line per epoch, `epoch train_loss train_acc lr seconds [val_loss val_acc val_ppl]`,
    /// floats written so they read back exactly (checkpoint metadata).
    pub(super) fn encode(&self) -> String {
        let mut s = String::new();
        for r in &self.epochs {
            s += &format!(
                "{} {:?} {:?} {:?} {:?}",
                r.epoch, r.train_loss, r.train_accuracy, r.lr, r.seconds
            );
            if let Some(v) = &r.val {
                s += &format!(
                    " {:?} {:?} {:?}",
                    v.loss,
                    v.accuracy,
                    v.perplexity.unwrap_or(f64::NAN)
                );
            }
            s.push('\n');
        }
        s
    }

    /// Reads [`History::encode`]'s text (confusion matrices are not kept in checkpoints).
    pub(super) fn decode(text: &str) -> Option<History> {
        let mut epochs = Vec::new();
        for line in text.lines().filter(|l| !l.is_empty()) {
            let f: Vec<&str> = line.split(' ').collect();
            let num = |i: usize| f.get(i)?.parse::<f64>().ok();
            let val = match f.len() {
                5 => None,
                8 => Some(Metrics {
                    loss: num(5)?,
                    accuracy: num(6)?,
                    perplexity: Some(num(7)?).filter(|p| !p.is_nan()),
                    confusion: None,
                }),
                _ => return None,
            };
            epochs.push(EpochRecord {
                epoch: f[0].parse().ok()?,
                train_loss: num(1)?,
                train_accuracy: num(2)?,
                lr: num(3)?,
                seconds: num(4)?,
                val,
            });
        }
        Some(History {
            epochs,
            ..History::default()
        })
    }

    /// The loss and accuracy (or, for language models, perplexity) curves as SVG.
    pub fn plot(&self, path: &Path, title: &str) -> Result<(), TrainError> {
        let series = |label: &str, f: &dyn Fn(&EpochRecord) -> Option<f64>| Series {
            label: label.into(),
            points: self
                .epochs
                .iter()
                .filter_map(|r| Some((r.epoch as f64, f(r)?)))
                .collect(),
        };
        let lm = self
            .epochs
            .iter()
            .any(|r| r.val.as_ref().is_some_and(|v| v.perplexity.is_some()));
        let mut panels = vec![Panel {
            title: "loss".into(),
            y_label: "loss per row".into(),
            series: vec![
                series("train", &|r| Some(r.train_loss)),
                series("validation", &|r| r.val.as_ref().map(|v| v.loss)),
            ],
        }];
        if lm {
            panels.push(Panel {
                title: "perplexity".into(),
                y_label: "perplexity".into(),
                series: vec![
                    series("train", &|r| Some(r.train_loss.exp())),
                    series("validation", &|r| r.val.as_ref().and_then(|v| v.perplexity)),
                ],
            });
        }
        panels.push(Panel {
            title: "accuracy".into(),
            y_label: "accuracy (%)".into(),
            series: vec![
                series("train", &|r| Some(100.0 * r.train_accuracy)),
                series("validation", &|r| {
                    r.val.as_ref().map(|v| 100.0 * v.accuracy)
                }),
            ],
        });
        plot::write_svg(path, title, "epoch", &panels).map_err(|source| TrainError::Plot {
            file: path.display().to_string(),
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_round_trips_through_text() {
        let h = History {
            epochs: vec![
                EpochRecord {
                    epoch: 1,
                    train_loss: 0.1 + 0.2,
                    train_accuracy: 0.75,
                    val: None,
                    lr: 1e-3,
                    seconds: 1.5,
                },
                EpochRecord {
                    epoch: 2,
                    train_loss: 0.25,
                    train_accuracy: 0.8,
                    val: Some(Metrics {
                        loss: 1.0 / 3.0,
                        accuracy: 0.9,
                        perplexity: Some(5.5),
                        confusion: None,
                    }),
                    lr: 5e-4,
                    seconds: 1.25,
                },
            ],
            ..History::default()
        };
        assert_eq!(History::decode(&h.encode()), Some(h));
        assert_eq!(History::decode("1 0.5 x 0.1 1"), None);
    }
}
