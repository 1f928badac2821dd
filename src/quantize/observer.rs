//! The range of one tensor over the calibration data: its minimum and maximum, or the values
//! at two percentiles, read from a histogram of 4,096 bins over the exact range (so
//! percentile calibration makes two passes over the data and keeps 32 KiB per tensor).

use super::{Calibration, QuantizeError};

const BINS: usize = 4096;

/// The values seen of one tensor.
#[derive(Clone, Debug)]
pub struct Observer {
    pub min: f32,
    pub max: f32,
    count: u64,
    hist: Vec<u64>,
}

impl Default for Observer {
    fn default() -> Self {
        Observer {
            min: f32::INFINITY,
            max: f32::NEG_INFINITY,
            count: 0,
            hist: Vec::new(),
        }
    }
}

impl Observer {
    /// First pass: the exact range. A NaN or infinity is an error naming `what`.
    pub fn extend(&mut self, values: &[f32], what: &str) -> Result<(), QuantizeError> {
        for &v in values {
            if !v.is_finite() {
                return Err(QuantizeError::NonFinite {
                    tensor: what.to_string(),
                });
            }
            self.min = self.min.min(v);
            self.max = self.max.max(v);
        }
        self.count += values.len() as u64;
        Ok(())
    }

    /// Second pass (percentiles only): counts per bin over `[min, max]`.
    pub fn histogram(&mut self, values: &[f32]) {
        if self.hist.is_empty() {
            self.hist = vec![0; BINS];
        }
        let width = (self.max as f64 - self.min as f64) / BINS as f64;
        for &v in values {
            let b = if width > 0.0 {
                ((v as f64 - self.min as f64) / width) as usize
            } else {
                0
            };
            self.hist[b.min(BINS - 1)] += 1;
        }
    }

    /// The calibrated range: `[min, max]`, or the lower edge of the bin holding the
    /// `(100 - p)`-th percentile and the upper edge of the one holding the `p`-th.
    pub fn range(&self, calibration: Calibration) -> (f32, f32) {
        let Calibration::Percentile(p) = calibration else {
            return (self.min, self.max);
        };
        if self.hist.is_empty() || self.count == 0 {
            return (self.min, self.max);
        }
        let width = (self.max as f64 - self.min as f64) / BINS as f64;
        let edge = |b: usize| (self.min as f64 + b as f64 * width) as f32;
        let tail = ((1.0 - p / 100.0) * self.count as f64) as u64;
        let mut seen = 0;
        let lo = self
            .hist
            .iter()
            .position(|&c| {
                seen += c;
                seen > tail
            })
            .unwrap_or(0);
        seen = 0;
        let hi = BINS
            - 1
            - self
                .hist
                .iter()
                .rev()
                .position(|&c| {
                    seen += c;
                    seen > tail
                })
                .unwrap_or(0);
        (edge(lo).max(self.min), edge(hi + 1).min(self.max))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_cut_the_outliers_and_min_max_keeps_them() {
        let mut o = Observer::default();
        let mut v: Vec<f32> = (0..10_000).map(|i| i as f32 / 10_000.0).collect();
        v.push(50.0);
        o.extend(&v, "t").unwrap();
        o.histogram(&v);
        assert_eq!(o.range(Calibration::MinMax), (0.0, 50.0));
        let (lo, hi) = o.range(Calibration::Percentile(99.9));
        assert!((0.0..=0.001).contains(&lo), "{lo}");
        // The outlier is cut: the top 0.1% of 10,001 values end within [0.99, 1.0].
        assert!((0.99..=1.02).contains(&hi), "{hi}");
        assert!(matches!(
            o.extend(&[f32::NAN], "layers.0"),
            Err(QuantizeError::NonFinite { .. })
        ));
    }
}
