//! What an evaluation reports: the loss and the metrics of the task (classes, language model,
//! regression, multi-label), each readable by name so early stopping, `ReduceLrOnPlateau`, the
//! epoch lines and the plot can follow any of them.

use super::Confusion;

/// A number an evaluation reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    /// Mean loss per row (per element for element-wise losses, per token for language models).
    Loss,
    /// Classes and language models: fraction of rows whose arg-max output is the label.
    /// Multi-label: fraction of (row, label) pairs predicted right (logit > 0 means 1).
    Accuracy,
    /// Language models: `exp(loss)`.
    Perplexity,
    /// Regression: root mean squared error over every target, in the targets' units.
    Rmse,
    /// Regression: mean absolute error over every target, in the targets' units.
    Mae,
    /// Regression: coefficient of determination, averaged over target columns
    /// (scikit-learn's `r2_score`).
    R2,
    /// Multi-label: F1 averaged over labels (scikit-learn's `f1_score(average="macro")`).
    F1,
}

impl Metric {
    /// Every metric, in display order.
    pub const ALL: [Metric; 7] = [
        Metric::Loss,
        Metric::Accuracy,
        Metric::Perplexity,
        Metric::Rmse,
        Metric::Mae,
        Metric::R2,
        Metric::F1,
    ];

    /// Whether larger values are better (accuracy, R², F1).
    pub fn higher_is_better(self) -> bool {
        matches!(self, Metric::Accuracy | Metric::R2 | Metric::F1)
    }

    /// Short name, as in the epoch lines and the history (`loss`, `acc`, `ppl`, `rmse`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Metric::Loss => "loss",
            Metric::Accuracy => "acc",
            Metric::Perplexity => "ppl",
            Metric::Rmse => "rmse",
            Metric::Mae => "mae",
            Metric::R2 => "r2",
            Metric::F1 => "f1",
        }
    }

    /// The metric called `name` (see [`Metric::name`]; `accuracy` is accepted too).
    pub fn from_name(name: &str) -> Option<Metric> {
        match name {
            "accuracy" => Some(Metric::Accuracy),
            _ => Metric::ALL.into_iter().find(|m| m.name() == name),
        }
    }
}

/// Per-label scores of a multi-label model.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelScore {
    /// Fraction of rows where this label was predicted right.
    pub accuracy: f64,
    /// Of the rows predicted 1, the fraction that are 1 (0 when none is predicted 1).
    pub precision: f64,
    /// Of the rows that are 1, the fraction predicted 1 (0 when none is 1).
    pub recall: f64,
    /// Harmonic mean of precision and recall (0 when both are 0).
    pub f1: f64,
}

/// What an evaluation measured: the loss, and the metrics of the task (the others are `None`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Metrics {
    /// Mean loss (see [`Metric::Loss`]).
    pub loss: f64,
    /// See [`Metric::Accuracy`].
    pub accuracy: Option<f64>,
    /// See [`Metric::Perplexity`].
    pub perplexity: Option<f64>,
    /// See [`Metric::Rmse`].
    pub rmse: Option<f64>,
    /// See [`Metric::Mae`].
    pub mae: Option<f64>,
    /// See [`Metric::R2`].
    pub r2: Option<f64>,
    /// See [`Metric::F1`].
    pub f1: Option<f64>,
    /// Multi-label: scores per label, in output order.
    pub labels: Option<Vec<LabelScore>>,
    /// Classifiers: the confusion matrix (kept for the latest epoch only in a history).
    pub confusion: Option<Confusion>,
}

impl Metrics {
    /// The value of `m`, if this evaluation has it.
    pub fn get(&self, m: Metric) -> Option<f64> {
        match m {
            Metric::Loss => Some(self.loss),
            Metric::Accuracy => self.accuracy,
            Metric::Perplexity => self.perplexity,
            Metric::Rmse => self.rmse,
            Metric::Mae => self.mae,
            Metric::R2 => self.r2,
            Metric::F1 => self.f1,
        }
    }

    /// Sets `m` (the loss is always present).
    pub fn set(&mut self, m: Metric, v: f64) {
        let slot = match m {
            Metric::Loss => {
                self.loss = v;
                return;
            }
            Metric::Accuracy => &mut self.accuracy,
            Metric::Perplexity => &mut self.perplexity,
            Metric::Rmse => &mut self.rmse,
            Metric::Mae => &mut self.mae,
            Metric::R2 => &mut self.r2,
            Metric::F1 => &mut self.f1,
        };
        *slot = Some(v);
    }

    /// The metrics present, in display order, with their values.
    pub fn present(&self) -> impl Iterator<Item = (Metric, f64)> + '_ {
        Metric::ALL
            .into_iter()
            .filter_map(|m| Some((m, self.get(m)?)))
    }

    /// `loss 0.1234 acc 97.40%` or `loss 0.0310 rmse 53.1 mae 42.9 r2 0.512`.
    pub fn summary(&self) -> String {
        self.present()
            .map(|(m, v)| match m {
                Metric::Accuracy => format!("acc {:5.2}%", 100.0 * v),
                Metric::Loss => format!("loss {v:.4}"),
                Metric::Perplexity => format!("ppl {v:.2}"),
                _ => format!("{} {}", m.name(), significant(v)),
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Four significant digits, without an exponent for everyday magnitudes.
fn significant(v: f64) -> String {
    let digits = if v == 0.0 || !v.is_finite() {
        0
    } else {
        (3 - v.abs().log10().floor() as i64).clamp(0, 8) as usize
    };
    format!("{v:.digits$}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_by_name_and_summary() {
        let mut m = Metrics {
            loss: 0.25,
            ..Metrics::default()
        };
        m.set(Metric::Rmse, 53.123);
        m.set(Metric::R2, 0.51234);
        assert_eq!(m.get(Metric::Rmse), Some(53.123));
        assert_eq!(m.get(Metric::Accuracy), None);
        assert_eq!(m.summary(), "loss 0.2500 rmse 53.12 r2 0.5123");
        for k in Metric::ALL {
            assert_eq!(Metric::from_name(k.name()), Some(k));
        }
        assert_eq!(Metric::from_name("accuracy"), Some(Metric::Accuracy));
        assert!(Metric::R2.higher_is_better() && !Metric::Mae.higher_is_better());
    }
}
