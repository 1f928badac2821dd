//! The confusion matrix of a classifier: counts of (true class, predicted class) pairs.

use std::fmt;

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
