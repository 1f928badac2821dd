//! A table of named numeric columns with float targets, for regression (one or several target
//! columns) and multi-label classification (0/1 targets), as read from a CSV with a header.

use kiln_runtime::float::Float;

use super::dataset::split_order;
use super::{DataError, Scaler, Scaling, Standardizer, Task};

/// Rows of `width()` features and `target_width()` float targets, kept in f64 so that f64
/// networks see the file's values exactly.
///
/// ```
/// use kiln::data::Table;
///
/// # fn main() -> Result<(), kiln::data::DataError> {
/// let x: Vec<f64> = (1..=6).map(f64::from).collect();
/// let y: Vec<f64> = x.iter().map(|v| 2.0 * v).collect();
/// let table = Table::new(x, vec!["x".into()], y, vec!["y".into()])?;
/// let (mut train, mut test) = table.split(0.5, 1)?;
/// let scaling = train.fit_standardizer()?; // fitted on the training rows only
/// train.scale(&scaling)?;
/// test.scale(&scaling)?;
/// let mean = train.features.iter().sum::<f64>() / train.len() as f64;
/// assert!(mean.abs() < 1e-12);
/// assert!(test.target_scaler().is_some()); // metrics are reported in the targets' units
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Row-major `[len, width]`.
    pub features: Vec<f64>,
    /// Row-major `[len, target_width]`.
    pub targets: Vec<f64>,
    /// One name per feature column.
    pub feature_names: Vec<String>,
    /// One name per target column.
    pub target_names: Vec<String>,
    task: Task,
    target_scaler: Option<Scaler>,
}

impl Table {
    /// A regression table; errors unless there are rows, columns on both sides, and as many
    /// values as rows times columns.
    pub fn new(
        features: Vec<f64>,
        feature_names: Vec<String>,
        targets: Vec<f64>,
        target_names: Vec<String>,
    ) -> Result<Table, DataError> {
        let (w, tw) = (feature_names.len(), target_names.len());
        if w == 0 || tw == 0 {
            return Err(DataError::Invalid {
                what: "table",
                why: format!("needs feature and target columns, got {w} and {tw}"),
            });
        }
        let rows = targets.len() / tw;
        if rows == 0 || rows * tw != targets.len() || rows * w != features.len() {
            return Err(DataError::Invalid {
                what: "table",
                why: format!(
                    "{} feature values ({w} columns) and {} target values ({tw} columns) are not the same whole number of rows",
                    features.len(),
                    targets.len()
                ),
            });
        }
        Ok(Table {
            features,
            targets,
            feature_names,
            target_names,
            task: Task::Regression,
            target_scaler: None,
        })
    }

    /// Rows.
    pub fn len(&self) -> usize {
        self.targets.len() / self.target_width()
    }

    /// Whether there are no rows (never true for a table built by [`Table::new`]).
    pub fn is_empty(&self) -> bool {
        self.targets.is_empty()
    }

    /// Feature columns.
    pub fn width(&self) -> usize {
        self.feature_names.len()
    }

    /// Target columns (the network's output width).
    pub fn target_width(&self) -> usize {
        self.target_names.len()
    }

    /// Regression, or multi-label after [`Table::multi_label`].
    pub fn task(&self) -> Task {
        self.task
    }

    /// The scaler the targets went through, if any (metrics are reported in the data's units).
    pub fn target_scaler(&self) -> Option<&Scaler> {
        self.target_scaler.as_ref()
    }

    /// The same table as multi-label classification: every target must be 0 or 1 (one column
    /// per label, trained with `bce` on logits). Errors naming the first other value.
    pub fn multi_label(mut self) -> Result<Table, DataError> {
        if let Some(i) = self.targets.iter().position(|&y| y != 0.0 && y != 1.0) {
            let tw = self.target_width();
            return Err(DataError::Invalid {
                what: "multi-label targets",
                why: format!(
                    "row {}, column {:?} is {}; labels must be 0 or 1",
                    i / tw,
                    self.target_names[i % tw],
                    self.targets[i]
                ),
            });
        }
        self.task = Task::MultiLabel;
        Ok(self)
    }

    /// The rows at `idx`, in that order.
    pub fn select(&self, idx: &[usize]) -> Table {
        let (w, tw) = (self.width(), self.target_width());
        let mut t = Table {
            features: Vec::with_capacity(idx.len() * w),
            targets: Vec::with_capacity(idx.len() * tw),
            ..self.clone_empty()
        };
        for &i in idx {
            t.features
                .extend_from_slice(&self.features[i * w..(i + 1) * w]);
            t.targets
                .extend_from_slice(&self.targets[i * tw..(i + 1) * tw]);
        }
        t
    }

    fn clone_empty(&self) -> Table {
        Table {
            features: Vec::new(),
            targets: Vec::new(),
            feature_names: self.feature_names.clone(),
            target_names: self.target_names.clone(),
            task: self.task,
            target_scaler: self.target_scaler.clone(),
        }
    }

    /// A seeded shuffle, then the first `train_fraction` of rows for training and the rest
    /// held out; errors if either side would be empty.
    pub fn split(&self, train_fraction: f64, seed: u64) -> Result<(Table, Table), DataError> {
        let (order, n) = split_order(self.len(), train_fraction, seed)?;
        Ok((self.select(&order[..n]), self.select(&order[n..])))
    }

    /// Standardisation fitted on this table (the training split): features always, targets
    /// too for regression (multi-label targets stay 0/1). Apply it to every split with
    /// [`Table::scale`].
    pub fn fit_standardizer(&self) -> Result<Scaling, DataError> {
        let features = Standardizer::fit_columns(&self.features, self.width(), "features")?;
        let targets = match self.task {
            Task::Regression => Some(Scaler::Standard(Standardizer::fit_columns(
                &self.targets,
                self.target_width(),
                "targets",
            )?)),
            _ => None,
        };
        Ok(Scaling {
            features: Some(Scaler::Standard(features)),
            targets,
        })
    }

    /// Scales this table's features and targets in place (errors, changing nothing, if the
    /// widths differ from the fitted ones or the table is already scaled).
    pub fn scale(&mut self, scaling: &Scaling) -> Result<(), DataError> {
        if self.target_scaler.is_some() {
            return Err(DataError::Invalid {
                what: "table to scale",
                why: "its targets are already scaled".into(),
            });
        }
        let (w, tw) = (self.width(), self.target_width());
        scaling.check_widths(w, tw)?;
        if let Some(s) = &scaling.features {
            s.apply(&mut self.features, w)?;
        }
        if let Some(s) = &scaling.targets {
            s.apply(&mut self.targets, tw)?;
            self.target_scaler = Some(s.clone());
        }
        Ok(())
    }

    /// The same rows with zero feature columns (named `padding`) appended up to `width`, for
    /// a network that takes a fixed number of features: a zero input adds nothing to any
    /// product, so the network computes what one of the table's own width would. Errors if
    /// the table is already wider.
    pub fn padded_to(&self, width: usize) -> Result<Table, DataError> {
        let w = self.width();
        if w > width {
            return Err(DataError::Invalid {
                what: "table width",
                why: format!("{w} feature columns, more than the {width} the network takes"),
            });
        }
        let mut t = self.clone();
        t.features = self
            .features
            .chunks_exact(w)
            .flat_map(|row| {
                row.iter()
                    .copied()
                    .chain(std::iter::repeat_n(0.0, width - w))
            })
            .collect();
        t.feature_names
            .extend(std::iter::repeat_n("padding".to_string(), width - w));
        Ok(t)
    }

    /// Copies rows `idx` into `x` and `y` as `T` (cleared first).
    pub(super) fn gather_into<T: Float>(
        &self,
        idx: &[usize],
        x: &mut Vec<T>,
        y: &mut Vec<T>,
    ) -> Result<(), DataError> {
        x.clear();
        y.clear();
        let (w, tw) = (self.width(), self.target_width());
        for &i in idx {
            if i >= self.len() {
                return Err(DataError::Invalid {
                    what: "sample index",
                    why: format!("{i} is outside a table of {} rows", self.len()),
                });
            }
            x.extend(
                self.features[i * w..(i + 1) * w]
                    .iter()
                    .map(|&v| T::from_f64(v)),
            );
            y.extend(
                self.targets[i * tw..(i + 1) * tw]
                    .iter()
                    .map(|&v| T::from_f64(v)),
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        let names = |n: &[&str]| n.iter().map(|s| s.to_string()).collect();
        Table::new(
            vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0],
            names(&["a", "b"]),
            vec![1.0, 0.0, 1.0, 1.0],
            names(&["y"]),
        )
        .unwrap()
    }

    #[test]
    fn splits_scales_and_checks_labels() {
        let t = table();
        assert_eq!((t.len(), t.width(), t.target_width()), (4, 2, 1));
        let (mut a, mut b) = t.split(0.5, 1).unwrap();
        assert_eq!((a.len(), b.len()), (2, 2));
        let s = a.fit_standardizer().unwrap();
        a.scale(&s).unwrap();
        b.scale(&s).unwrap();
        assert!(a.scale(&s).is_err(), "scaling twice");
        assert!(a.target_scaler().is_some());
        let mean: f64 = a.features.iter().step_by(2).sum::<f64>() / 2.0;
        assert!(mean.abs() < 1e-12);
        assert_eq!(t.clone().multi_label().unwrap().task(), Task::MultiLabel);
        let mut bad = t.clone();
        bad.targets[2] = 0.5;
        let e = bad.multi_label().unwrap_err().to_string();
        assert!(e.contains("row 2, column \"y\" is 0.5"), "{e}");
        assert!(Table::new(vec![1.0], vec!["a".into()], vec![], vec!["y".into()]).is_err());
        let (mut x, mut y) = (Vec::<f32>::new(), Vec::<f32>::new());
        t.gather_into(&[3, 0], &mut x, &mut y).unwrap();
        assert_eq!((x, y), (vec![7.0, 8.0, 1.0, 2.0], vec![1.0, 1.0]));
        assert!(t
            .gather_into(&[4], &mut Vec::<f64>::new(), &mut Vec::new())
            .is_err());
        let p = t.padded_to(3).unwrap();
        assert_eq!(p.features[..6], [1.0, 2.0, 0.0, 3.0, 4.0, 0.0]);
        assert_eq!((p.width(), p.targets.clone()), (3, t.targets.clone()));
        assert!(t.padded_to(1).is_err());
    }
}
