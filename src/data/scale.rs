//! Per-column scaling fitted on the training split only, then applied unchanged to the
//! validation and test splits, so no statistic of held-out data leaks into training. Both
//! scalers work on features and on float targets, invert (to report predictions in the data's
//! own units), and save as text into a checkpoint's metadata so a saved model predicts on raw
//! rows without side files.

use kiln_runtime::float::Float;

use super::{DataError, Dataset};

/// Standardisation `x -> (x - mean) / std` with the per-column mean and population standard
/// deviation of the data it was fitted on (computed in f64), as scikit-learn's
/// `StandardScaler`.
///
/// A column that is constant on the fitted data (`std == 0`) maps to 0 for every input, on
/// every split, instead of dividing by zero.
///
/// ```
/// use kiln::data::{Dataset, Standardizer};
///
/// # fn main() -> Result<(), kiln::data::DataError> {
/// let mut data = Dataset { features: vec![1.0, 10.0, 3.0, 30.0], labels: vec![0, 1], width: 2 };
/// let s = Standardizer::fit(&data)?;
/// assert_eq!((s.mean(), s.std()), (&[2.0, 20.0][..], &[1.0, 10.0][..]));
/// s.apply(&mut data)?;
/// assert_eq!(data.features, [-1.0, -1.0, 1.0, 1.0]);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Standardizer {
    mean: Vec<f64>,
    std: Vec<f64>,
}

impl Standardizer {
    /// Fits on the features of `data` (the training split). Errors if it holds no samples,
    /// has no features, is inconsistent (`features.len() != len * width`) or holds a
    /// non-finite value.
    pub fn fit(data: &Dataset) -> Result<Standardizer, DataError> {
        check_shape(data)?;
        Standardizer::fit_columns(&data.features, data.width, "Standardizer::fit")
    }

    /// Fits on a row-major `[rows, width]` matrix (`who` names the caller in errors).
    pub fn fit_columns<V: Float>(
        values: &[V],
        width: usize,
        who: &str,
    ) -> Result<Standardizer, DataError> {
        let rows = check_fit_input(values, width, who)?;
        let n = rows as f64;
        let mut mean = vec![0.0f64; width];
        for row in values.chunks_exact(width) {
            for (m, &x) in mean.iter_mut().zip(row) {
                *m += x.to_f64();
            }
        }
        mean.iter_mut().for_each(|m| *m /= n);
        // Second pass over the deviations: no cancellation, and a constant column gets
        // exactly 0.
        let mut var = vec![0.0f64; width];
        for row in values.chunks_exact(width) {
            for ((v, &m), &x) in var.iter_mut().zip(&mean).zip(row) {
                let d = x.to_f64() - m;
                *v += d * d;
            }
        }
        let std = var.into_iter().map(|v| (v / n).sqrt()).collect();
        Ok(Standardizer { mean, std })
    }

    /// Standardises the features of `data` in place with the fitted statistics. Errors if
    /// its width differs from the fitted one.
    pub fn apply(&self, data: &mut Dataset) -> Result<(), DataError> {
        check_shape(data)?;
        self.apply_columns(&mut data.features, data.width, "Standardizer")
    }

    /// Standardises a row-major matrix of the fitted width in place.
    pub fn apply_columns<V: Float>(
        &self,
        values: &mut [V],
        width: usize,
        who: &str,
    ) -> Result<(), DataError> {
        check_apply_input(values.len(), width, self.mean.len(), who)?;
        for row in values.chunks_exact_mut(width) {
            for ((x, &m), &s) in row.iter_mut().zip(&self.mean).zip(&self.std) {
                *x = if s > 0.0 {
                    V::from_f64((x.to_f64() - m) / s)
                } else {
                    V::ZERO
                };
            }
        }
        Ok(())
    }

    /// A scaler from saved statistics (checked by [`super::Scaler::decode`]).
    pub(super) fn from_parts(mean: Vec<f64>, std: Vec<f64>) -> Standardizer {
        Standardizer { mean, std }
    }

    /// Per-column means of the fitted data.
    pub fn mean(&self) -> &[f64] {
        &self.mean
    }

    /// Per-column population standard deviations of the fitted data.
    pub fn std(&self) -> &[f64] {
        &self.std
    }
}

/// Min-max scaling `x -> lo + (x - min) * (hi - lo) / (max - min)` with the per-column minimum
/// and maximum of the data it was fitted on; `[lo, hi]` is `[0, 1]` unless chosen
/// (scikit-learn's `MinMaxScaler`).
///
/// Values outside the fitted `[min, max]` (on other splits) extrapolate linearly beyond
/// `[lo, hi]` rather than being clipped. A column that is constant on the fitted data maps to
/// `lo` for every input.
#[derive(Debug, Clone, PartialEq)]
pub struct MinMaxScaler {
    min: Vec<f64>,
    max: Vec<f64>,
    lo: f64,
    hi: f64,
}

impl MinMaxScaler {
    /// Fits on the features of `data` to the range `[0, 1]`.
    pub fn fit(data: &Dataset) -> Result<MinMaxScaler, DataError> {
        MinMaxScaler::fit_range(data, 0.0, 1.0)
    }

    /// Fits on the features of `data` to the range `[lo, hi]` (finite, `lo < hi`).
    pub fn fit_range(data: &Dataset, lo: f64, hi: f64) -> Result<MinMaxScaler, DataError> {
        check_shape(data)?;
        MinMaxScaler::fit_columns(&data.features, data.width, lo, hi, "MinMaxScaler::fit")
    }

    /// Fits on a row-major `[rows, width]` matrix to the range `[lo, hi]`.
    pub fn fit_columns<V: Float>(
        values: &[V],
        width: usize,
        lo: f64,
        hi: f64,
        who: &str,
    ) -> Result<MinMaxScaler, DataError> {
        if !(lo.is_finite() && hi.is_finite() && lo < hi) {
            return Err(DataError::Invalid {
                what: "scaling range",
                why: format!("needs finite lo < hi, got [{lo}, {hi}]"),
            });
        }
        check_fit_input(values, width, who)?;
        let mut min: Vec<f64> = values[..width].iter().map(|v| v.to_f64()).collect();
        let mut max = min.clone();
        for row in values.chunks_exact(width) {
            for ((lo, hi), &x) in min.iter_mut().zip(max.iter_mut()).zip(row) {
                *lo = lo.min(x.to_f64());
                *hi = hi.max(x.to_f64());
            }
        }
        Ok(MinMaxScaler { min, max, lo, hi })
    }

    /// Scales the features of `data` in place. Errors if its width differs from the fitted
    /// one.
    pub fn apply(&self, data: &mut Dataset) -> Result<(), DataError> {
        check_shape(data)?;
        self.apply_columns(&mut data.features, data.width, "MinMaxScaler")
    }

    /// Scales a row-major matrix of the fitted width in place.
    pub fn apply_columns<V: Float>(
        &self,
        values: &mut [V],
        width: usize,
        who: &str,
    ) -> Result<(), DataError> {
        check_apply_input(values.len(), width, self.min.len(), who)?;
        let span = self.hi - self.lo;
        for row in values.chunks_exact_mut(width) {
            for ((x, &min), &max) in row.iter_mut().zip(&self.min).zip(&self.max) {
                *x = V::from_f64(if max > min {
                    self.lo + (x.to_f64() - min) * span / (max - min)
                } else {
                    self.lo
                });
            }
        }
        Ok(())
    }

    /// A scaler from saved statistics (checked by [`super::Scaler::decode`]).
    pub(super) fn from_parts(min: Vec<f64>, max: Vec<f64>, lo: f64, hi: f64) -> MinMaxScaler {
        MinMaxScaler { min, max, lo, hi }
    }

    /// Per-column minima of the fitted data.
    pub fn min(&self) -> &[f64] {
        &self.min
    }

    /// Per-column maxima of the fitted data.
    pub fn max(&self) -> &[f64] {
        &self.max
    }

    /// The target range `[lo, hi]`.
    pub fn range(&self) -> (f64, f64) {
        (self.lo, self.hi)
    }
}

/// Checks that `values` can be fitted on: rows, columns, a whole number of rows, finite
/// values; returns the row count.
fn check_fit_input<V: Float>(values: &[V], width: usize, who: &str) -> Result<usize, DataError> {
    if width == 0 {
        return Err(DataError::Invalid {
            what: "data set",
            why: format!("{who} needs at least one feature per sample, got 0"),
        });
    }
    if values.is_empty() {
        return Err(DataError::Invalid {
            what: "data set",
            why: format!("{who} needs at least one sample, got none"),
        });
    }
    check_apply_input(values.len(), width, width, who)?;
    if let Some(i) = values.iter().position(|x| !x.is_finite()) {
        return Err(DataError::Invalid {
            what: "data set",
            why: format!(
                "{who} needs finite features; sample {}, feature {} is {}",
                i / width,
                i % width,
                values[i].to_f64()
            ),
        });
    }
    Ok(values.len() / width)
}

/// Checks that `len` values are whole rows of the fitted width.
fn check_apply_input(len: usize, width: usize, fitted: usize, who: &str) -> Result<(), DataError> {
    if width != fitted {
        return Err(DataError::Invalid {
            what: "sample width",
            why: format!(
                "the {who} was fitted on {fitted} features per sample, the data set has {width}"
            ),
        });
    }
    if !len.is_multiple_of(width) {
        return Err(DataError::Invalid {
            what: "data set",
            why: format!("{len} values are not whole rows of {width}"),
        });
    }
    Ok(())
}

/// `features` holds exactly `len * width` values.
fn check_shape(data: &Dataset) -> Result<(), DataError> {
    if Some(data.features.len()) != data.len().checked_mul(data.width) {
        return Err(DataError::Invalid {
            what: "data set",
            why: format!(
                "{} features for {} samples of width {}",
                data.features.len(),
                data.len(),
                data.width
            ),
        });
    }
    Ok(())
}
#[cfg(test)]
mod tests {
    use super::*;

    /// Width-2 rows with label 0.
    fn data(rows: &[[f32; 2]]) -> Dataset {
        Dataset {
            features: rows.iter().flatten().copied().collect(),
            labels: vec![0; rows.len()],
            width: 2,
        }
    }

    /// Feature 0 of the training split is 2,4,4,4,5,5,7,9 (mean 5, population std 2);
    /// feature 1 is constant 3.
    fn train() -> Dataset {
        data(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0].map(|x| [x, 3.0]))
    }

    #[test]
    fn standardizer_uses_training_statistics_on_validation() {
        let s = Standardizer::fit(&train()).unwrap();
        assert_eq!(s.mean(), [5.0, 3.0]);
        assert_eq!(s.std(), [2.0, 0.0]);
        let mut t = train();
        s.apply(&mut t).unwrap();
        let col0: Vec<f32> = t.features.iter().step_by(2).copied().collect();
        assert_eq!(col0, [-1.5, -0.5, -0.5, -0.5, 0.0, 0.0, 1.0, 2.0]);
        // The validation split's own mean (6) and std would give other numbers: these are
        // (x - 5) / 2, and the constant feature maps to 0 even where it is not 3.
        let mut v = data(&[[9.0, 3.0], [1.0, 4.0], [8.0, -2.0]]);
        s.apply(&mut v).unwrap();
        assert_eq!(v.features, [2.0, 0.0, -2.0, 0.0, 1.5, 0.0]);
        assert_eq!(v.labels, [0, 0, 0]);
    }

    #[test]
    fn standardizer_on_a_split_matches_the_training_side() {
        let all = data(
            &(0..10)
                .map(|i| [i as f32, (i * i) as f32])
                .collect::<Vec<_>>(),
        );
        let (tr, mut va) = all.split(0.7, 3).unwrap();
        let s = Standardizer::fit(&tr).unwrap();
        let mut tr2 = tr.clone();
        s.apply(&mut tr2).unwrap();
        // On the fitted split every feature has mean 0 and std 1 ...
        for f in 0..2 {
            let col: Vec<f64> = tr2.features[f..]
                .iter()
                .step_by(2)
                .map(|&x| x as f64)
                .collect();
            let m = col.iter().sum::<f64>() / col.len() as f64;
            let var = col.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / col.len() as f64;
            assert!(m.abs() < 1e-6 && (var - 1.0).abs() < 1e-5, "{f}: {m} {var}");
        }
        // ... and the held-out split is mapped with those numbers, not its own.
        let raw = va.features.clone();
        s.apply(&mut va).unwrap();
        for (i, (&x, &y)) in raw.iter().zip(&va.features).enumerate() {
            let (m, sd) = (s.mean()[i % 2], s.std()[i % 2]);
            assert_eq!(y, ((x as f64 - m) / sd) as f32);
        }
    }

    #[test]
    fn min_max_maps_to_range_and_extrapolates() {
        let m = MinMaxScaler::fit(&train()).unwrap();
        assert_eq!(
            (m.min(), m.max(), m.range()),
            (&[2.0, 3.0][..], &[9.0, 3.0][..], (0.0, 1.0))
        );
        let mut v = data(&[[2.0, 3.0], [9.0, 7.0], [5.5, 3.0], [16.0, 0.0], [-5.0, 3.0]]);
        m.apply(&mut v).unwrap();
        // Outside [2, 9] the map continues linearly (sklearn's behaviour); the constant
        // feature maps to lo.
        assert_eq!(
            v.features,
            [0.0, 0.0, 1.0, 0.0, 0.5, 0.0, 2.0, 0.0, -1.0, 0.0]
        );

        let m = MinMaxScaler::fit_range(&train(), -1.0, 1.0).unwrap();
        let mut v = data(&[[2.0, 3.0], [9.0, 5.0], [5.5, 1.0], [12.5, 3.0]]);
        m.apply(&mut v).unwrap();
        assert_eq!(v.features, [-1.0, -1.0, 1.0, -1.0, 0.0, -1.0, 2.0, -1.0]);
    }

    #[test]
    fn min_max_rejects_bad_ranges() {
        for (lo, hi) in [
            (1.0, 1.0),
            (2.0, 1.0),
            (f64::NAN, 1.0),
            (0.0, f64::INFINITY),
        ] {
            let e = MinMaxScaler::fit_range(&train(), lo, hi).unwrap_err();
            assert!(
                matches!(
                    e,
                    DataError::Invalid {
                        what: "scaling range",
                        ..
                    }
                ),
                "{lo} {hi}: {e}"
            );
        }
    }

    #[test]
    fn wrong_width_is_an_error_and_leaves_data_alone() {
        let s = Standardizer::fit(&train()).unwrap();
        let m = MinMaxScaler::fit(&train()).unwrap();
        let mut wide = Dataset {
            features: vec![1.0, 2.0, 3.0],
            labels: vec![0],
            width: 3,
        };
        let e = s.apply(&mut wide).unwrap_err().to_string();
        assert_eq!(
            e,
            "invalid sample width: the Standardizer was fitted on 2 features per sample, \
             the data set has 3"
        );
        assert!(m.apply(&mut wide).is_err());
        assert_eq!(wide.features, [1.0, 2.0, 3.0]);
    }

    #[test]
    fn empty_degenerate_and_non_finite_data_are_errors() {
        let empty = Dataset {
            features: vec![],
            labels: vec![],
            width: 2,
        };
        let e = Standardizer::fit(&empty).unwrap_err().to_string();
        assert_eq!(
            e,
            "invalid data set: Standardizer::fit needs at least one sample, got none"
        );
        assert!(MinMaxScaler::fit(&empty).is_err());
        let no_features = Dataset {
            features: vec![],
            labels: vec![0, 1],
            width: 0,
        };
        assert!(Standardizer::fit(&no_features).is_err());
        assert!(MinMaxScaler::fit(&no_features).is_err());
        let ragged = Dataset {
            features: vec![1.0, 2.0, 3.0],
            labels: vec![0, 1],
            width: 2,
        };
        assert!(Standardizer::fit(&ragged).is_err());
        let mut ragged2 = ragged.clone();
        assert!(Standardizer::fit(&train())
            .unwrap()
            .apply(&mut ragged2)
            .is_err());
        let nan = data(&[[1.0, 2.0], [f32::NAN, 0.0]]);
        let e = MinMaxScaler::fit(&nan).unwrap_err().to_string();
        assert!(e.contains("sample 1, feature 0 is NaN"), "{e}");
    }
}
