//! Per-feature scaling fitted on the training split only, then applied unchanged to the
//! validation and test splits, so no statistic of held-out data leaks into training.

use super::{DataError, Dataset};

/// Standardisation `x -> (x - mean) / std` with the per-feature mean and population standard
/// deviation of the data set it was fitted on (computed in f64).
///
/// A feature that is constant on the fitted data (`std == 0`) maps to 0 for every input, on
/// every split, instead of dividing by zero.
#[derive(Debug, Clone, PartialEq)]
pub struct Standardizer {
    mean: Vec<f64>,
    std: Vec<f64>,
}

impl Standardizer {
    /// Fits on `data` (the training split). Errors if it holds no samples, has no features,
    /// is inconsistent (`features.len() != len * width`) or holds a non-finite value.
    pub fn fit(data: &Dataset) -> Result<Standardizer, DataError> {
        check_fit_input(data, "Standardizer::fit")?;
        let (n, width) = (data.len() as f64, data.width);
        let mut mean = vec![0.0f64; width];
        for row in data.features.chunks_exact(width) {
            for (m, &x) in mean.iter_mut().zip(row) {
                *m += x as f64;
            }
        }
        mean.iter_mut().for_each(|m| *m /= n);
        // Second pass over the deviations: no cancellation, and a constant feature gets
        // exactly 0.
        let mut var = vec![0.0f64; width];
        for row in data.features.chunks_exact(width) {
            for ((v, &m), &x) in var.iter_mut().zip(&mean).zip(row) {
                let d = x as f64 - m;
                *v += d * d;
            }
        }
        let std = var.into_iter().map(|v| (v / n).sqrt()).collect();
        Ok(Standardizer { mean, std })
    }

    /// Standardises `data` in place with the fitted statistics. Errors if its width differs
    /// from the fitted one.
    pub fn apply(&self, data: &mut Dataset) -> Result<(), DataError> {
        check_apply_input(data, self.mean.len(), "Standardizer")?;
        for row in data.features.chunks_exact_mut(self.mean.len()) {
            for ((x, &m), &s) in row.iter_mut().zip(&self.mean).zip(&self.std) {
                *x = if s > 0.0 {
                    ((*x as f64 - m) / s) as f32
                } else {
                    0.0
                };
            }
        }
        Ok(())
    }

    /// Per-feature means of the fitted data.
    pub fn mean(&self) -> &[f64] {
        &self.mean
    }

    /// Per-feature population standard deviations of the fitted data.
    pub fn std(&self) -> &[f64] {
        &self.std
    }
}

/// Min-max scaling `x -> lo + (x - min) * (hi - lo) / (max - min)` with the per-feature minimum
/// and maximum of the data set it was fitted on; `[lo, hi]` is `[0, 1]` unless chosen.
///
/// Values outside the fitted `[min, max]` (on other splits) extrapolate linearly beyond
/// `[lo, hi]` rather than being clipped. A feature that is constant on the fitted data maps to
/// `lo` for every input.
#[derive(Debug, Clone, PartialEq)]
pub struct MinMaxScaler {
    min: Vec<f32>,
    max: Vec<f32>,
    lo: f32,
    hi: f32,
}

impl MinMaxScaler {
    /// Fits on `data` (the training split) for the range `[0, 1]`. Errors as
    /// [`Standardizer::fit`] does.
    pub fn fit(data: &Dataset) -> Result<MinMaxScaler, DataError> {
        MinMaxScaler::fit_range(data, 0.0, 1.0)
    }

    /// Fits on `data` for the range `[lo, hi]`; errors unless both are finite and `lo < hi`.
    pub fn fit_range(data: &Dataset, lo: f32, hi: f32) -> Result<MinMaxScaler, DataError> {
        if !(lo.is_finite() && hi.is_finite() && lo < hi) {
            return Err(DataError::Invalid {
                what: "scaling range",
                why: format!("needs finite lo < hi, got [{lo}, {hi}]"),
            });
        }
        check_fit_input(data, "MinMaxScaler::fit")?;
        let mut min = data.features[..data.width].to_vec();
        let mut max = min.clone();
        for row in data.features.chunks_exact(data.width) {
            for ((lo, hi), &x) in min.iter_mut().zip(max.iter_mut()).zip(row) {
                *lo = lo.min(x);
                *hi = hi.max(x);
            }
        }
        Ok(MinMaxScaler { min, max, lo, hi })
    }

    /// Scales `data` in place with the fitted minima and maxima. Errors if its width differs
    /// from the fitted one.
    pub fn apply(&self, data: &mut Dataset) -> Result<(), DataError> {
        check_apply_input(data, self.min.len(), "MinMaxScaler")?;
        let (lo, span) = (self.lo as f64, self.hi as f64 - self.lo as f64);
        for row in data.features.chunks_exact_mut(self.min.len()) {
            for ((x, &min), &max) in row.iter_mut().zip(&self.min).zip(&self.max) {
                let (min, max) = (min as f64, max as f64);
                *x = if max > min {
                    (lo + (*x as f64 - min) * span / (max - min)) as f32
                } else {
                    self.lo
                };
            }
        }
        Ok(())
    }

    /// Per-feature minima of the fitted data.
    pub fn min(&self) -> &[f32] {
        &self.min
    }

    /// Per-feature maxima of the fitted data.
    pub fn max(&self) -> &[f32] {
        &self.max
    }

    /// The target range `(lo, hi)`.
    pub fn range(&self) -> (f32, f32) {
        (self.lo, self.hi)
    }
}

/// Checks that `data` can be fitted on: samples, features, a consistent shape, finite values.
fn check_fit_input(data: &Dataset, who: &str) -> Result<(), DataError> {
    if data.is_empty() {
        return Err(DataError::Invalid {
            what: "data set",
            why: format!("{who} needs at least one sample, got none"),
        });
    }
    if data.width == 0 {
        return Err(DataError::Invalid {
            what: "data set",
            why: format!("{who} needs at least one feature per sample, got 0"),
        });
    }
    check_shape(data)?;
    if let Some(i) = data.features.iter().position(|x| !x.is_finite()) {
        return Err(DataError::Invalid {
            what: "data set",
            why: format!(
                "{who} needs finite features; sample {}, feature {} is {}",
                i / data.width,
                i % data.width,
                data.features[i]
            ),
        });
    }
    Ok(())
}

/// Checks that `data` has the fitted `width` and a consistent shape.
fn check_apply_input(data: &Dataset, width: usize, who: &str) -> Result<(), DataError> {
    if data.width != width {
        return Err(DataError::Invalid {
            what: "sample width",
            why: format!(
                "the {who} was fitted on {width} features per sample, the data set has {}",
                data.width
            ),
        });
    }
    check_shape(data)
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
            (f32::NAN, 1.0),
            (0.0, f32::INFINITY),
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
