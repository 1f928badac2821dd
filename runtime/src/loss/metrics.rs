//! Classification metrics over a row-major `[rows, width]` output: the predicted class per row
//! and the fraction predicted right.

use super::check_output;
use crate::error::{check_len, KilnError, Result};
use crate::float::Float;

/// Index of the largest value of each row. Ties go to the first index and a NaN counts as
/// larger than any number, as `torch.argmax` does.
pub fn argmax_rows<T: Float>(output: &[T], width: usize) -> Result<Vec<usize>> {
    check_output(output.len(), width)?;
    Ok(output
        .chunks_exact(width)
        .map(|row| {
            let mut best = 0;
            for (k, &v) in row.iter().enumerate().skip(1) {
                let b = row[best];
                if !b.is_nan() && (v > b || v.is_nan()) {
                    best = k;
                }
            }
            best
        })
        .collect())
}

/// Fraction of rows whose [`argmax_rows`] equals the label, in `[0, 1]`.
pub fn accuracy<T: Float>(output: &[T], width: usize, labels: &[usize]) -> Result<f64> {
    let rows = check_output(output.len(), width)?;
    check_len("accuracy labels (one per row)", rows, labels.len())?;
    if let Some((index, &label)) = labels.iter().enumerate().find(|(_, &l)| l >= width) {
        return Err(KilnError::LabelOutOfRange {
            index,
            label,
            classes: width,
        });
    }
    let pred = argmax_rows(output, width)?;
    let right = pred.iter().zip(labels).filter(|(p, l)| p == l).count();
    Ok(right as f64 / rows as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argmax_and_accuracy() {
        let out = [
            0.1f32,
            0.7,
            0.2,
            3.0,
            3.0,
            -1.0,
            0.0,
            f32::NAN,
            5.0,
            -2.0,
            -1.0,
            -3.0,
        ];
        assert_eq!(argmax_rows(&out, 3).unwrap(), vec![1, 0, 1, 1]);
        assert_eq!(accuracy(&out, 3, &[1, 0, 2, 0]).unwrap(), 0.5);
        assert_eq!(
            accuracy(&out, 3, &[1, 0, 3, 0]),
            Err(KilnError::LabelOutOfRange {
                index: 2,
                label: 3,
                classes: 3
            })
        );
        assert!(accuracy(&out, 3, &[1, 0]).is_err());
        assert!(argmax_rows(&out, 5).is_err());
    }
}
