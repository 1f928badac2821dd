//! Data sets that ship inside the crate (copied from the project's data folder with their
//! provenance in `data/README.md`), so they load with one call and no path.

use super::{parse_csv, DataError, Dataset};

const DIGITS_GZ: &[u8] = include_bytes!("../../data/digits/digits.csv.gz");

/// UCI optical digits as shipped with scikit-learn: 1,797 grey 8x8 images (pixels 0..16, as
/// `f32`), labels 0..9. CC BY 4.0, E. Alpaydin and C. Kaynak (1998).
pub fn digits() -> Result<Dataset, DataError> {
    parse_csv("data/digits/digits.csv.gz", DIGITS_GZ, -1)
}

#[cfg(test)]
mod tests {
    #[test]
    fn digits_are_complete() {
        let d = super::digits().unwrap();
        assert_eq!((d.len(), d.width, d.classes()), (1797, 64, 10));
        assert!(d.features.iter().all(|&v| (0.0..=16.0).contains(&v)));
        // Every class is present in roughly equal numbers (174..=183 in this set).
        for c in 0..10 {
            let n = d.labels.iter().filter(|&&l| l == c).count();
            assert!((174..=183).contains(&n), "class {c}: {n}");
        }
    }
}
