//! Running sums from which a pass over the data (training epoch or evaluation) reports the
//! metrics of its task, batch by batch, without keeping the outputs.

use kiln_runtime::float::Float;

use super::{Confusion, LabelScore, Metric, Metrics};
use crate::data::{Scaler, Task};

/// What a loss compares outputs with: `usize` class labels or float targets. Decides how a
/// batch is counted into a [`Tally`].
pub trait TargetKind: Copy + Send + Sync + 'static {
    /// Counts one batch of outputs (row-major, `width` per row) against its targets.
    fn count<T: Float>(tally: &mut Tally, out: &[T], targets: &[Self]);

    /// Output rows these targets cover (one label per row; `width` values per row).
    fn rows(targets: &[Self], width: usize) -> usize {
        targets.len() / width.max(1)
    }

    /// The target's exact value as bits, for fingerprinting a data set.
    fn bits(self) -> u64;

    /// The target whose [`TargetKind::bits`] these are (targets sent between processes).
    fn from_bits(bits: u64) -> Self;
}

impl TargetKind for usize {
    fn count<T: Float>(tally: &mut Tally, out: &[T], targets: &[usize]) {
        tally.classes(out, targets);
    }

    fn rows(targets: &[usize], _width: usize) -> usize {
        targets.len()
    }

    fn bits(self) -> u64 {
        self as u64
    }

    fn from_bits(bits: u64) -> Self {
        bits as usize
    }
}

impl TargetKind for f32 {
    fn count<T: Float>(tally: &mut Tally, out: &[T], targets: &[f32]) {
        tally.floats(out, targets.iter().map(|&y| y as f64));
    }

    fn bits(self) -> u64 {
        self.to_bits() as u64
    }

    fn from_bits(bits: u64) -> Self {
        f32::from_bits(bits as u32)
    }
}

impl TargetKind for f64 {
    fn count<T: Float>(tally: &mut Tally, out: &[T], targets: &[f64]) {
        tally.floats(out, targets.iter().copied());
    }

    fn bits(self) -> u64 {
        self.to_bits()
    }

    fn from_bits(bits: u64) -> Self {
        f64::from_bits(bits)
    }
}

/// Per-column running sums of a regression (Welford's mean and squared deviations of the
/// targets, for R² without cancellation).
#[derive(Debug, Clone, Default)]
struct Column {
    n: f64,
    mean: f64,
    m2: f64,
    sse: f64,
    sae: f64,
}

/// Per-label counts of a multi-label model.
#[derive(Debug, Clone, Copy, Default)]
struct LabelCounts {
    tp: u64,
    fp: u64,
    fn_: u64,
    tn: u64,
}

/// Sums over the batches of one pass.
pub struct Tally {
    task: Task,
    width: usize,
    loss: f64,
    weight: f64,
    rows: u64,
    correct: u64,
    confusion: Option<Confusion>,
    columns: Vec<Column>,
    labels: Vec<LabelCounts>,
    inverse: Option<Vec<(f64, f64)>>,
}

impl Tally {
    /// An empty tally for outputs of `width` columns; with `scaler`, regression metrics are
    /// computed after mapping outputs and targets back through it.
    pub fn new(task: Task, width: usize, scaler: Option<&Scaler>) -> Tally {
        Tally {
            task,
            width,
            loss: 0.0,
            weight: 0.0,
            rows: 0,
            correct: 0,
            confusion: (task == Task::Classification).then(|| Confusion::new(width)),
            columns: vec![Column::default(); width],
            labels: vec![LabelCounts::default(); width],
            inverse: scaler.filter(|s| s.width() == width).map(Scaler::inverse),
        }
    }

    /// Adds a batch's mean loss, weighted by its number of targets.
    pub fn add_loss(&mut self, loss: f64, targets: usize) {
        self.loss += loss * targets as f64;
        self.weight += targets as f64;
    }

    fn classes<T: Float>(&mut self, out: &[T], labels: &[usize]) {
        for (row, &l) in out.chunks_exact(self.width).zip(labels) {
            let mut best = 0;
            for (j, v) in row.iter().enumerate() {
                if *v > row[best] {
                    best = j;
                }
            }
            self.correct += u64::from(best == l);
            self.rows += 1;
            if let Some(c) = self.confusion.as_mut().filter(|_| l < self.width) {
                c.add(l, best);
            }
        }
    }

    fn floats<T: Float>(&mut self, out: &[T], targets: impl Iterator<Item = f64>) {
        let w = self.width;
        for (i, (o, y)) in out.iter().zip(targets).enumerate() {
            let (c, o) = (i % w, o.to_f64());
            if self.task == Task::MultiLabel {
                let k = &mut self.labels[c];
                match (o > 0.0, y > 0.5) {
                    (true, true) => k.tp += 1,
                    (true, false) => k.fp += 1,
                    (false, true) => k.fn_ += 1,
                    (false, false) => k.tn += 1,
                }
                continue;
            }
            let (o, y) = match &self.inverse {
                Some(inv) => (inv[c].0 * o + inv[c].1, inv[c].0 * y + inv[c].1),
                None => (o, y),
            };
            let col = &mut self.columns[c];
            col.n += 1.0;
            let d = y - col.mean;
            col.mean += d / col.n;
            col.m2 += d * (y - col.mean);
            col.sse += (o - y) * (o - y);
            col.sae += (o - y).abs();
        }
        self.rows += (out.len() / w.max(1)) as u64;
    }

    /// The metrics of the pass: the loss, and those of the task.
    pub fn finish(self) -> Metrics {
        let mut m = Metrics {
            loss: self.loss / self.weight,
            ..Metrics::default()
        };
        match self.task {
            Task::Classification | Task::LanguageModel => {
                m.set(Metric::Accuracy, self.correct as f64 / self.rows as f64);
                if self.task == Task::LanguageModel {
                    m.set(Metric::Perplexity, m.loss.exp());
                }
                m.confusion = self.confusion;
            }
            Task::Regression => regression(&self.columns, &mut m),
            Task::MultiLabel => multi_label(&self.labels, &mut m),
        }
        m
    }
}

/// RMSE and MAE over every target, R² averaged over columns (a column with constant targets
/// scores 1 if predicted exactly, else 0, as scikit-learn's `r2_score`).
fn regression(columns: &[Column], m: &mut Metrics) {
    let n: f64 = columns.iter().map(|c| c.n).sum();
    let sse: f64 = columns.iter().map(|c| c.sse).sum();
    let sae: f64 = columns.iter().map(|c| c.sae).sum();
    m.set(Metric::Rmse, (sse / n).sqrt());
    m.set(Metric::Mae, sae / n);
    let r2 = columns
        .iter()
        .map(|c| match (c.m2 > 0.0, c.sse > 0.0) {
            (true, _) => 1.0 - c.sse / c.m2,
            (false, false) => 1.0,
            (false, true) => 0.0,
        })
        .sum::<f64>()
        / columns.len() as f64;
    m.set(Metric::R2, r2);
}

/// Per-label scores, their macro F1, and the accuracy over every (row, label) pair.
fn multi_label(labels: &[LabelCounts], m: &mut Metrics) {
    let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let scores: Vec<LabelScore> = labels
        .iter()
        .map(|k| {
            let (p, r) = (ratio(k.tp, k.tp + k.fp), ratio(k.tp, k.tp + k.fn_));
            LabelScore {
                accuracy: ratio(k.tp + k.tn, k.tp + k.tn + k.fp + k.fn_),
                precision: p,
                recall: r,
                f1: if p + r > 0.0 {
                    2.0 * p * r / (p + r)
                } else {
                    0.0
                },
            }
        })
        .collect();
    let right: u64 = labels.iter().map(|k| k.tp + k.tn).sum();
    let all: u64 = labels.iter().map(|k| k.tp + k.tn + k.fp + k.fn_).sum();
    m.set(Metric::Accuracy, ratio(right, all));
    m.set(
        Metric::F1,
        scores.iter().map(|s| s.f1).sum::<f64>() / scores.len() as f64,
    );
    m.labels = Some(scores);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Standardizer;

    #[test]
    fn regression_metrics_match_their_definitions_in_data_units() {
        // Two columns; outputs and targets scaled by y = 2 z + 10 (column 0), z (column 1).
        let mut t = Tally::new(Task::Regression, 2, None);
        let out = [1.0f64, 0.0, 3.0, 1.0, 2.0, 5.0];
        let y = [1.5f64, 0.0, 2.0, 2.0, 2.0, 4.0];
        t.add_loss(0.5, 6);
        f64::count(&mut t, &out, &y);
        let m = t.finish();
        let sse: f64 = out.iter().zip(&y).map(|(o, y)| (o - y) * (o - y)).sum();
        assert!((m.rmse.unwrap() - (sse / 6.0).sqrt()).abs() < 1e-12);
        assert!((m.mae.unwrap() - 3.5 / 6.0).abs() < 1e-12);
        // Column 0: targets 1.5, 2, 2 (mean 11/6), sse 0.25 + 1 + 0.
        let sst0 = [1.5f64, 2.0, 2.0]
            .iter()
            .map(|v| (v - 11.0 / 6.0).powi(2))
            .sum::<f64>();
        let sst1 = [0.0f64, 2.0, 4.0]
            .iter()
            .map(|v| (v - 2.0f64).powi(2))
            .sum::<f64>();
        let r2 = ((1.0 - 1.25 / sst0) + (1.0 - 2.0 / sst1)) / 2.0;
        assert!((m.r2.unwrap() - r2).abs() < 1e-12, "{:?} vs {r2}", m.r2);
        assert_eq!(m.accuracy, None);

        let s = Scaler::Standard(Standardizer::fit_columns(&[8.0f64, 12.0], 1, "t").unwrap());
        let mut t = Tally::new(Task::Regression, 1, Some(&s));
        f32::count(&mut t, &[1.0f32, -1.0], &[0.5, -1.0]);
        t.add_loss(0.1, 2);
        let m = t.finish();
        // std 2: errors of 0.5 become 1.0 in data units.
        assert!(
            (m.mae.unwrap() - 0.5).abs() < 1e-12 && (m.rmse.unwrap() - 0.5f64.sqrt()).abs() < 1e-12
        );
    }

    #[test]
    fn multi_label_scores_per_label_and_macro_f1() {
        let mut t = Tally::new(Task::MultiLabel, 2, None);
        // Label 0: tp, fp, tp, tn; label 1: fn, tn, tn, tp.
        let out = [2.0f32, -1.0, 0.5, -3.0, 1.0, -0.2, -1.0, 4.0];
        let y = [1.0f32, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0];
        f32::count(&mut t, &out, &y);
        t.add_loss(0.3, 8);
        let m = t.finish();
        let l = m.labels.clone().unwrap();
        assert_eq!((l[0].precision, l[0].recall), (2.0 / 3.0, 1.0));
        assert!((l[0].f1 - 0.8).abs() < 1e-12);
        assert_eq!(
            (l[1].precision, l[1].recall, l[1].f1),
            (1.0, 0.5, 2.0 / 3.0)
        );
        assert!((m.f1.unwrap() - (0.8 + 2.0 / 3.0) / 2.0).abs() < 1e-12);
        assert_eq!(m.accuracy, Some(6.0 / 8.0));
        assert!((m.loss - 0.3).abs() < 1e-12);
    }

    #[test]
    fn classes_count_accuracy_and_confusion() {
        let mut t = Tally::new(Task::Classification, 3, None);
        usize::count(&mut t, &[0.1f32, 0.9, 0.0, 2.0, 1.0, 0.0], &[1, 2]);
        t.add_loss(1.0, 2);
        let m = t.finish();
        assert_eq!(m.accuracy, Some(0.5));
        assert_eq!(m.confusion.unwrap().count(2, 0), 1);
    }
}
