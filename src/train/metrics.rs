//! Held-out evaluation in eval mode: mean loss, accuracy, and per task a confusion matrix
//! (classifiers) or perplexity (language models).

use std::fmt;

use kiln_runtime::loss::{metrics::argmax_rows, Loss};
use kiln_runtime::network::Network;

use super::TrainError;
use crate::data::{Samples, Task};

/// Counts of (true class, predicted class) pairs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confusion {
    classes: usize,
    counts: Vec<u64>,
}

impl Confusion {
    /// An empty matrix over `classes` classes.
    pub fn new(classes: usize) -> Confusion {
        Confusion {
            classes,
            counts: vec![0; classes * classes],
        }
    }

    /// Number of classes.
    pub fn classes(&self) -> usize {
        self.classes
    }

    /// Records one prediction (labels outside the matrix are an internal error: the loss has
    /// already rejected them).
    pub fn add(&mut self, truth: usize, predicted: usize) {
        self.counts[truth * self.classes + predicted] += 1;
    }

    /// How often class `truth` was predicted as `predicted`.
    pub fn count(&self, truth: usize, predicted: usize) -> u64 {
        self.counts[truth * self.classes + predicted]
    }

    /// Samples of class `c`.
    pub fn support(&self, c: usize) -> u64 {
        (0..self.classes).map(|p| self.count(c, p)).sum()
    }

    /// Fraction of class `c` predicted as `c` (NaN when the class has no samples).
    pub fn recall(&self, c: usize) -> f64 {
        self.count(c, c) as f64 / self.support(c) as f64
    }

    /// Fraction of the predictions of `c` that were `c` (NaN when never predicted).
    pub fn precision(&self, c: usize) -> f64 {
        let predicted: u64 = (0..self.classes).map(|t| self.count(t, c)).sum();
        self.count(c, c) as f64 / predicted as f64
    }
}

/// Rows are true classes, columns predictions, then each class's recall.
impl fmt::Display for Confusion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let w = self
            .counts
            .iter()
            .max()
            .map_or(1, |m| m.to_string().len())
            .max(self.classes.saturating_sub(1).to_string().len())
            .max(2);
        write!(f, "{:>6} |", "true")?;
        for p in 0..self.classes {
            write!(f, " {p:>w$}")?;
        }
        writeln!(f, " | recall")?;
        for t in 0..self.classes {
            write!(f, "{t:>6} |")?;
            for p in 0..self.classes {
                write!(f, " {:>w$}", self.count(t, p))?;
            }
            writeln!(f, " | {:>5.1}%", 100.0 * self.recall(t))?;
        }
        Ok(())
    }
}

/// What an evaluation measured.
#[derive(Debug, Clone, PartialEq)]
pub struct Metrics {
    /// Mean loss per row (per token for language models).
    pub loss: f64,
    /// Fraction of rows whose arg-max output is the label.
    pub accuracy: f64,
    /// `exp(loss)`, for language models.
    pub perplexity: Option<f64>,
    /// For classifiers.
    pub confusion: Option<Confusion>,
}

/// Evaluates `net` in eval mode over every sample of `data`, `batch` samples at a time.
pub fn evaluate<N>(net: &N, data: &dyn Samples, batch: usize) -> Result<Metrics, TrainError>
where
    N: Network<f32>,
    N::Loss: Loss<f32, Target = [usize]>,
{
    check_fits::<N>(data)?;
    let mut scratch = net.new_scratch();
    N::set_scratch_steps(&mut scratch, data.steps());
    let (mut x, mut labels, mut out) = (Vec::new(), Vec::new(), Vec::new());
    let mut confusion = (data.task() == Task::Classification).then(|| Confusion::new(N::OUTPUT));
    let (mut loss, mut correct, mut rows) = (0.0f64, 0usize, 0usize);
    let order: Vec<usize> = (0..data.len()).collect();
    for idx in order.chunks(batch.max(1)) {
        data.gather(idx, &mut x, &mut labels)?;
        out.resize(labels.len() * N::OUTPUT, 0.0);
        net.forward_flat(&x, &mut out, &mut scratch)?;
        loss += net.loss_fn().loss(&out, N::OUTPUT, &labels)? as f64 * labels.len() as f64;
        for (p, &l) in argmax_rows(&out, N::OUTPUT)?.into_iter().zip(&labels) {
            correct += usize::from(p == l);
            if let Some(c) = confusion.as_mut() {
                c.add(l, p);
            }
        }
        rows += labels.len();
    }
    let loss = loss / rows as f64;
    Ok(Metrics {
        loss,
        accuracy: correct as f64 / rows as f64,
        perplexity: (data.task() == Task::LanguageModel).then(|| loss.exp()),
        confusion,
    })
}

/// Checks that `data` is non-empty and its rows are as wide as the network's input.
pub(super) fn check_fits<N: Network<f32>>(data: &dyn Samples) -> Result<(), TrainError> {
    if data.is_empty() {
        return Err(TrainError::Invalid {
            what: "data set",
            why: "it holds no samples".into(),
        });
    }
    data.validate()?;
    if data.width() != N::INPUT {
        return Err(TrainError::Invalid {
            what: "data set",
            why: format!(
                "its rows have {} features, the network takes {}",
                data.width(),
                N::INPUT
            ),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confusion_counts_recall_and_precision() {
        let mut c = Confusion::new(3);
        for (t, p) in [(0, 0), (0, 0), (0, 1), (1, 1), (2, 1), (2, 2)] {
            c.add(t, p);
        }
        assert_eq!((c.count(0, 0), c.count(0, 1), c.count(2, 1)), (2, 1, 1));
        assert_eq!(c.support(0), 3);
        assert!((c.recall(0) - 2.0 / 3.0).abs() < 1e-12);
        assert!((c.precision(1) - 1.0 / 3.0).abs() < 1e-12);
        let table = c.to_string();
        assert!(table.contains("  0 |  2  1  0 |  66.7%"), "{table}");
    }
}
