//! A fitted scaler of either kind, as a value: applied to features or targets, inverted to
//! bring predictions back to the data's units, and saved as one line of text in a
//! checkpoint's metadata.

use std::collections::HashMap;

use kiln_runtime::float::Float;

use super::{DataError, MinMaxScaler, Standardizer};

/// Either fitted scaler.
///
/// ```
/// use kiln::data::{Dataset, Scaler, Standardizer};
///
/// # fn main() -> Result<(), kiln::data::DataError> {
/// let data = Dataset { features: vec![1.0, 10.0, 3.0, 30.0], labels: vec![0, 1], width: 2 };
/// let scaler = Scaler::Standard(Standardizer::fit(&data)?);
/// let mut row = [3.0f64, 30.0];
/// scaler.apply(&mut row, 2)?;
/// assert_eq!(row, [1.0, 1.0]);
/// scaler.invert(&mut row, 2)?; // back to the data's units
/// assert_eq!(row, [3.0, 30.0]);
/// // One line of text, as kept in a checkpoint's metadata.
/// assert_eq!(Scaler::decode("features", &scaler.encode())?, scaler);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum Scaler {
    /// Zero mean and unit variance per column.
    Standard(Standardizer),
    /// Each column mapped linearly from its fitted `[min, max]` onto a target range
    /// (`[0, 1]` by default).
    MinMax(MinMaxScaler),
}

impl Scaler {
    /// Columns it was fitted on.
    pub fn width(&self) -> usize {
        match self {
            Scaler::Standard(s) => s.mean().len(),
            Scaler::MinMax(m) => m.min().len(),
        }
    }

    /// Scales a row-major matrix of [`Scaler::width`] columns in place.
    pub fn apply<V: Float>(&self, values: &mut [V], width: usize) -> Result<(), DataError> {
        match self {
            Scaler::Standard(s) => s.apply_columns(values, width, "Standardizer"),
            Scaler::MinMax(m) => m.apply_columns(values, width, "MinMaxScaler"),
        }
    }

    /// Per column `(a, b)` with `raw = a * scaled + b`: the inverse map (a constant column,
    /// which every input maps to one value, inverts to its fitted value).
    pub fn inverse(&self) -> Vec<(f64, f64)> {
        match self {
            Scaler::Standard(s) => s
                .mean()
                .iter()
                .zip(s.std())
                .map(|(&m, &sd)| (sd, m))
                .collect(),
            Scaler::MinMax(m) => {
                let (lo, hi) = m.range();
                m.min()
                    .iter()
                    .zip(m.max())
                    .map(|(&min, &max)| {
                        let a = (max - min) / (hi - lo);
                        (a, min - a * lo)
                    })
                    .collect()
            }
        }
    }

    /// Maps scaled values (row-major, [`Scaler::width`] columns) back to the data's units.
    pub fn invert<V: Float>(&self, values: &mut [V], width: usize) -> Result<(), DataError> {
        if width != self.width() || !values.len().is_multiple_of(width.max(1)) {
            return Err(DataError::Invalid {
                what: "values to unscale",
                why: format!(
                    "{} values are not whole rows of the {} columns the scaler was fitted on",
                    values.len(),
                    self.width()
                ),
            });
        }
        let inv = self.inverse();
        for row in values.chunks_exact_mut(width) {
            for (x, &(a, b)) in row.iter_mut().zip(&inv) {
                *x = V::from_f64(a * x.to_f64() + b);
            }
        }
        Ok(())
    }

    /// One line of text that [`Scaler::decode`] reads back exactly.
    pub fn encode(&self) -> String {
        let list = |v: &[f64]| {
            v.iter()
                .map(|x| format!("{x:?}"))
                .collect::<Vec<_>>()
                .join(",")
        };
        match self {
            Scaler::Standard(s) => format!("standard;{};{}", list(s.mean()), list(s.std())),
            Scaler::MinMax(m) => {
                let (lo, hi) = m.range();
                format!("minmax;{lo:?},{hi:?};{};{}", list(m.min()), list(m.max()))
            }
        }
    }

    /// Reads [`Scaler::encode`]'s text; `what` names it in the error.
    pub fn decode(what: &str, text: &str) -> Result<Scaler, DataError> {
        let bad = || DataError::Invalid {
            what: "saved scaler",
            why: format!("{what} is not a scaler written by kiln: {text:?}"),
        };
        let list = |s: &str| -> Result<Vec<f64>, DataError> {
            s.split(',')
                .map(|x| x.parse::<f64>().ok().filter(|v| v.is_finite()))
                .collect::<Option<Vec<f64>>>()
                .ok_or_else(bad)
        };
        let parts: Vec<&str> = text.split(';').collect();
        let scaler = match parts.as_slice() {
            ["standard", mean, std] => {
                Scaler::Standard(Standardizer::from_parts(list(mean)?, list(std)?))
            }
            ["minmax", range, min, max] => {
                let r = list(range)?;
                let [lo, hi] = r.as_slice() else {
                    return Err(bad());
                };
                Scaler::MinMax(MinMaxScaler::from_parts(list(min)?, list(max)?, *lo, *hi))
            }
            _ => return Err(bad()),
        };
        scaler.check().map_err(|_| bad())?;
        Ok(scaler)
    }

    /// Consistent lengths and a valid range, as a fit would produce.
    fn check(&self) -> Result<(), ()> {
        let ok = match self {
            Scaler::Standard(s) => {
                s.mean().len() == s.std().len() && s.std().iter().all(|&v| v >= 0.0)
            }
            Scaler::MinMax(m) => {
                let (lo, hi) = m.range();
                m.min().len() == m.max().len()
                    && lo < hi
                    && m.min().iter().zip(m.max()).all(|(a, b)| a <= b)
            }
        };
        if ok && self.width() > 0 {
            Ok(())
        } else {
            Err(())
        }
    }
}

/// Metadata keys of [`Scaling`] in a checkpoint.
const FEATURES_KEY: &str = "kiln.scaling.features";
const TARGETS_KEY: &str = "kiln.scaling.targets";

/// How a model's inputs (and, for regression, its targets) were scaled in training: saved
/// with the model so that it predicts on raw rows.
///
/// ```
/// use kiln::data::{Scaling, Table};
///
/// # fn main() -> Result<(), kiln::data::DataError> {
/// let table = Table::new(vec![1.0, 3.0], vec!["x".into()], vec![10.0, 30.0], vec!["y".into()])?;
/// let scaling = table.fit_standardizer()?;
/// // Saved with the model (`save_weights_with`, `Fit::metadata`) and read back for inference.
/// let meta = scaling.metadata().into_iter().collect();
/// let back = Scaling::from_metadata(&meta)?;
/// let mut x = [3.0f64];
/// back.scale_inputs(&mut x, 1)?; // a raw row, as the network saw rows in training
/// assert_eq!(x, [1.0]);
/// let mut y = [-1.0f64];
/// back.unscale_outputs(&mut y, 1)?; // a prediction back in the target's units
/// assert_eq!(y, [10.0]);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Scaling {
    /// Applied to every input row.
    pub features: Option<Scaler>,
    /// Applied to the targets in training; [`Scaling::unscale_outputs`] undoes it.
    pub targets: Option<Scaler>,
}

impl Scaling {
    /// Checkpoint metadata entries (pass them to `save_weights_with` or `Fit::metadata`).
    pub fn metadata(&self) -> Vec<(String, String)> {
        [(FEATURES_KEY, &self.features), (TARGETS_KEY, &self.targets)]
            .into_iter()
            .filter_map(|(k, s)| Some((k.to_string(), s.as_ref()?.encode())))
            .collect()
    }

    /// Reads [`Scaling::metadata`] back from a checkpoint's metadata (absent keys: no
    /// scaling on that side).
    pub fn from_metadata(meta: &HashMap<String, String>) -> Result<Scaling, DataError> {
        let read = |k: &str| meta.get(k).map(|t| Scaler::decode(k, t)).transpose();
        Ok(Scaling {
            features: read(FEATURES_KEY)?,
            targets: read(TARGETS_KEY)?,
        })
    }

    /// Scales raw input rows of `width` features in place.
    pub fn scale_inputs<V: Float>(&self, x: &mut [V], width: usize) -> Result<(), DataError> {
        match &self.features {
            Some(s) => s.apply(x, width),
            None => Ok(()),
        }
    }

    /// Maps network outputs of `width` columns back to the targets' units in place.
    pub fn unscale_outputs<V: Float>(&self, y: &mut [V], width: usize) -> Result<(), DataError> {
        match &self.targets {
            Some(s) => s.invert(y, width),
            None => Ok(()),
        }
    }

    /// Errors unless the scalers were fitted on `width` features and `targets` target columns.
    pub(super) fn check_widths(&self, width: usize, targets: usize) -> Result<(), DataError> {
        for (what, s, w) in [
            ("features", &self.features, width),
            ("targets", &self.targets, targets),
        ] {
            if let Some(s) = s.as_ref().filter(|s| s.width() != w) {
                return Err(DataError::Invalid {
                    what: "scaling",
                    why: format!("fitted on {} {what} columns, the table has {w}", s.width()),
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_decode_round_trips_and_inverse_undoes_apply() {
        let values = [2.0f64, 10.0, 4.0, 30.0, 9.0, 20.0];
        let st = Standardizer::fit_columns(&values, 2, "t").unwrap();
        let mm = MinMaxScaler::fit_columns(&values, 2, -1.0, 1.0, "t").unwrap();
        for s in [Scaler::Standard(st), Scaler::MinMax(mm)] {
            assert_eq!(Scaler::decode("t", &s.encode()).unwrap(), s);
            let mut v = values;
            s.apply(&mut v, 2).unwrap();
            assert!(v.iter().zip(&values).any(|(a, b)| a != b));
            s.invert(&mut v, 2).unwrap();
            for (a, b) in v.iter().zip(&values) {
                assert!((a - b).abs() < 1e-12, "{a} vs {b}");
            }
            assert!(s.invert(&mut [1.0f64; 3], 3).is_err());
        }
        for text in [
            "",
            "standard;1;",
            "standard;1,2;1",
            "minmax;1,0;0;1",
            "standard;1;-1",
        ] {
            assert!(Scaler::decode("t", text).is_err(), "{text}");
        }
    }
}
