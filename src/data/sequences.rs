//! Sequences of a fixed number of steps with their targets: one per sequence (many-to-one,
//! a classifier or regressor reading the whole sequence) or one per step (a tagger), as class
//! labels (`Y = usize`) or float targets (`Y = f64`). Batches are time-major, as sequence
//! networks take them.

use kiln_runtime::float::Float;

use super::{DataError, Dataset, Samples, Task};

/// `len()` sequences of `steps` rows of `width` features, and their targets.
///
/// ```
/// use kiln::data::{Samples, Sequences};
///
/// # fn main() -> Result<(), kiln::data::DataError> {
/// // Two sequences of three steps of one feature, one label each.
/// let seqs = Sequences::classes(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], vec![0, 1], 3, 1, false)?;
/// let (mut x, mut y) = (Vec::<f32>::new(), Vec::new());
/// seqs.gather(&[0, 1], &mut x, &mut y)?;
/// assert_eq!(x, [1.0, 4.0, 2.0, 5.0, 3.0, 6.0]); // time-major: step 0 of each, then step 1, ...
/// assert_eq!(y, [0, 1]);
///
/// // Each 8x8 digit read as 8 steps of 8 pixels.
/// let rows = Sequences::from_rows(&kiln::data::digits()?, 8, false)?;
/// assert_eq!((rows.len(), Samples::<f32>::steps(&rows)), (1797, 8));
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Sequences<Y> {
    /// Sample-major `[len, steps, width]`.
    pub features: Vec<f32>,
    /// `[len, target_width]` per sequence, or `[len, steps, target_width]` per step.
    pub targets: Vec<Y>,
    steps: usize,
    width: usize,
    target_width: usize,
    per_step: bool,
    task: Task,
}

impl<Y: Copy> Sequences<Y> {
    fn build(
        features: Vec<f32>,
        targets: Vec<Y>,
        shape: (usize, usize, usize),
        per_step: bool,
        task: Task,
    ) -> Result<Self, DataError> {
        let (steps, width, target_width) = shape;
        let invalid = |why: String| DataError::Invalid {
            what: "sequences",
            why,
        };
        if steps == 0 || width == 0 || target_width == 0 {
            return Err(invalid(format!(
                "steps, width and targets per row must be at least 1, got {steps}, {width}, {target_width}"
            )));
        }
        let per_seq = target_width * if per_step { steps } else { 1 };
        let len = targets.len() / per_seq;
        if len == 0 || len * per_seq != targets.len() || len * steps * width != features.len() {
            return Err(invalid(format!(
                "{} features and {} targets are not the same whole number of sequences of {steps} steps x {width} features with {per_seq} targets each",
                features.len(),
                targets.len()
            )));
        }
        Ok(Sequences {
            features,
            targets,
            steps,
            width,
            target_width,
            per_step,
            task,
        })
    }

    /// Number of sequences.
    pub fn len(&self) -> usize {
        self.features.len() / (self.steps * self.width)
    }

    /// Whether there are none (never true for a built set).
    pub fn is_empty(&self) -> bool {
        self.features.is_empty()
    }

    /// The sequences at `idx`, in that order.
    pub fn select(&self, idx: &[usize]) -> Self {
        let (f, t) = (self.steps * self.width, self.targets.len() / self.len());
        let mut s = Sequences {
            features: Vec::with_capacity(idx.len() * f),
            targets: Vec::with_capacity(idx.len() * t),
            ..self.clone_shape()
        };
        for &i in idx {
            s.features
                .extend_from_slice(&self.features[i * f..(i + 1) * f]);
            s.targets
                .extend_from_slice(&self.targets[i * t..(i + 1) * t]);
        }
        s
    }

    fn clone_shape(&self) -> Self {
        Sequences {
            features: Vec::new(),
            targets: Vec::new(),
            ..*self
        }
    }

    /// A seeded shuffle, then the first `train_fraction` of sequences for training and the
    /// rest held out.
    pub fn split(&self, train_fraction: f64, seed: u64) -> Result<(Self, Self), DataError> {
        let (order, n) = super::dataset::split_order(self.len(), train_fraction, seed)?;
        Ok((self.select(&order[..n]), self.select(&order[n..])))
    }

    /// Copies sequences `idx` time-major into `x` and their targets into `y` (per step:
    /// time-major too), converting with `conv`.
    fn gather_with<T: Float, V>(
        &self,
        idx: &[usize],
        x: &mut Vec<T>,
        y: &mut Vec<V>,
        conv: impl Fn(Y) -> V,
    ) -> Result<(), DataError> {
        x.clear();
        y.clear();
        if let Some(&i) = idx.iter().find(|&&i| i >= self.len()) {
            return Err(DataError::Invalid {
                what: "sample index",
                why: format!("{i} is outside a set of {} sequences", self.len()),
            });
        }
        let (w, tw) = (self.width, self.target_width);
        for t in 0..self.steps {
            for &i in idx {
                let at = (i * self.steps + t) * w;
                x.extend(
                    self.features[at..at + w]
                        .iter()
                        .map(|&v| T::from_f64(v as f64)),
                );
            }
        }
        let rows = if self.per_step { self.steps } else { 1 };
        for t in 0..rows {
            for &i in idx {
                let at = (i * rows + t) * tw;
                y.extend(self.targets[at..at + tw].iter().map(|&v| conv(v)));
            }
        }
        Ok(())
    }
}

impl Sequences<usize> {
    /// Class labels: `labels` holds one per sequence, or one per step with `per_step`.
    pub fn classes(
        features: Vec<f32>,
        labels: Vec<usize>,
        steps: usize,
        width: usize,
        per_step: bool,
    ) -> Result<Self, DataError> {
        Sequences::build(
            features,
            labels,
            (steps, width, 1),
            per_step,
            Task::Classification,
        )
    }

    /// Each sample of `data` read as `steps` rows (an 8x8 image as 8 rows of 8 pixels), its
    /// label once per sequence, or at every step with `per_step`.
    pub fn from_rows(data: &Dataset, steps: usize, per_step: bool) -> Result<Self, DataError> {
        if steps == 0 || !data.width.is_multiple_of(steps) {
            return Err(DataError::Invalid {
                what: "steps",
                why: format!(
                    "{} features per sample are not {steps} equal rows",
                    data.width
                ),
            });
        }
        let labels = match per_step {
            true => data
                .labels
                .iter()
                .flat_map(|&l| [l].repeat(steps))
                .collect(),
            false => data.labels.clone(),
        };
        Sequences::classes(
            data.features.clone(),
            labels,
            steps,
            data.width / steps,
            per_step,
        )
    }
}

impl Sequences<f64> {
    /// Float targets, `target_width` per sequence, or per step with `per_step`.
    pub fn regression(
        features: Vec<f32>,
        targets: Vec<f64>,
        steps: usize,
        width: usize,
        target_width: usize,
        per_step: bool,
    ) -> Result<Self, DataError> {
        Sequences::build(
            features,
            targets,
            (steps, width, target_width),
            per_step,
            Task::Regression,
        )
    }
}

impl<T: Float> Samples<T, usize> for Sequences<usize> {
    fn len(&self) -> usize {
        Sequences::len(self)
    }
    fn width(&self) -> usize {
        self.width
    }
    fn steps(&self) -> usize {
        self.steps
    }
    fn task(&self) -> Task {
        self.task
    }
    fn gather(&self, idx: &[usize], x: &mut Vec<T>, y: &mut Vec<usize>) -> Result<(), DataError> {
        self.gather_with(idx, x, y, |l| l)
    }
}

impl<T: Float> Samples<T, T> for Sequences<f64> {
    fn len(&self) -> usize {
        Sequences::len(self)
    }
    fn width(&self) -> usize {
        self.width
    }
    fn steps(&self) -> usize {
        self.steps
    }
    fn task(&self) -> Task {
        self.task
    }
    fn gather(&self, idx: &[usize], x: &mut Vec<T>, y: &mut Vec<T>) -> Result<(), DataError> {
        self.gather_with(idx, x, y, T::from_f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_are_time_major_with_targets_per_sequence_or_step() {
        // Two sequences of 3 steps of 1 feature: 0 1 2 and 10 11 12.
        let f = vec![0.0, 1.0, 2.0, 10.0, 11.0, 12.0];
        let per_seq = Sequences::classes(f.clone(), vec![4, 5], 3, 1, false).unwrap();
        let (mut x, mut y) = (Vec::<f32>::new(), Vec::new());
        per_seq.gather(&[1, 0], &mut x, &mut y).unwrap();
        assert_eq!((x, y), (vec![10.0, 0.0, 11.0, 1.0, 12.0, 2.0], vec![5, 4]));
        let per_step = Sequences::classes(f.clone(), vec![1, 2, 3, 4, 5, 6], 3, 1, true).unwrap();
        let (mut x, mut y) = (Vec::<f64>::new(), Vec::new());
        per_step.gather(&[1, 0], &mut x, &mut y).unwrap();
        assert_eq!(y, [4, 1, 5, 2, 6, 3]);
        let reg = Sequences::regression(f, vec![0.5, 1.5, 2.5, 3.5], 3, 1, 2, false).unwrap();
        let (mut x, mut y) = (Vec::<f32>::new(), Vec::<f32>::new());
        reg.gather(&[1], &mut x, &mut y).unwrap();
        assert_eq!(y, [2.5, 3.5]);
        assert!(reg.gather(&[2], &mut x, &mut y).is_err());
        assert!(Sequences::classes(vec![1.0; 5], vec![0], 3, 1, false).is_err());
        let (a, b) = per_seq.split(0.5, 1).unwrap();
        assert_eq!((a.len(), b.len()), (1, 1));
    }
}
