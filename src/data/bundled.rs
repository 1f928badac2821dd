//! Data sets that ship inside the crate (copied from the project's data folder with their
//! provenance in `data/README.md`), so they load with one call and no path.

use super::{parse_csv, parse_table, DataError, Dataset, Table};

const DIGITS_GZ: &[u8] = include_bytes!("../../data/digits/digits.csv.gz");
const MNIST_IMAGES_GZ: &[u8] = include_bytes!("../../data/mnist-t10k/t10k-images-idx3-ubyte.gz");
const MNIST_LABELS_GZ: &[u8] = include_bytes!("../../data/mnist-t10k/t10k-labels-idx1-ubyte.gz");

/// UCI optical digits as shipped with scikit-learn: 1,797 grey 8x8 images (pixels 0..16, as
/// `f32`), labels 0..9. CC BY 4.0, E. Alpaydin and C. Kaynak (1998).
pub fn digits() -> Result<Dataset, DataError> {
    parse_csv("data/digits/digits.csv.gz", DIGITS_GZ, -1)
}

const DIABETES: &[u8] = include_bytes!("../../data/diabetes/diabetes.csv");

/// The diabetes regression data of Efron, Hastie, Johnstone and Tibshirani (2004), "Least
/// Angle Regression", as shipped unscaled with scikit-learn: 442 patients, ten baseline
/// features (`age, sex, bmi, bp, s1..s6`) and the target `progression`, a quantitative measure
/// of disease progression one year later (25..346).
pub fn diabetes() -> Result<Table, DataError> {
    parse_table("data/diabetes/diabetes.csv", DIABETES, &["progression"])
}

const SHAKESPEARE: &str = include_str!("../../data/tinyshakespeare/input.txt");

/// "Tiny Shakespeare", the character-level language-model corpus: 1,115,394 characters,
/// 65 distinct (public domain text, as published with the char-rnn project).
pub fn tiny_shakespeare() -> &'static str {
    SHAKESPEARE
}

/// The MNIST test set: 10,000 grey 28x28 images (pixels scaled to [0, 1]) and labels 0..9.
/// CC BY-SA 3.0, Y. LeCun, C. Cortes, C. Burges. The training images are not bundled: split
/// these (e.g. 9,000 / 1,000) where a larger image set is needed.
pub fn mnist_t10k() -> Result<Dataset, DataError> {
    let (ni, nl) = (
        "data/mnist-t10k/t10k-images-idx3-ubyte.gz",
        "data/mnist-t10k/t10k-labels-idx1-ubyte.gz",
    );
    super::idx::dataset_from_idx(
        super::source::Source::bytes(ni, MNIST_IMAGES_GZ),
        super::source::Source::bytes(nl, MNIST_LABELS_GZ),
        &super::LoadOptions::default(),
    )
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

    #[test]
    fn diabetes_is_complete() {
        let t = super::diabetes().unwrap();
        assert_eq!((t.len(), t.width(), t.target_width()), (442, 10, 1));
        assert_eq!(t.feature_names[..3], ["age", "sex", "bmi"]);
        // Published summary: targets 25..346 with mean 152.13.
        let (lo, hi) = t
            .targets
            .iter()
            .fold((f64::MAX, f64::MIN), |(a, b), &y| (a.min(y), b.max(y)));
        let mean = t.targets.iter().sum::<f64>() / 442.0;
        assert_eq!((lo, hi), (25.0, 346.0));
        assert!((mean - 152.133).abs() < 1e-3, "{mean}");
    }

    #[test]
    fn shakespeare_is_complete() {
        let text = super::tiny_shakespeare();
        assert_eq!(text.chars().count(), 1_115_394);
        assert_eq!(super::super::Vocab::from_text(text).unwrap().len(), 65);
    }

    #[test]
    fn mnist_test_set_is_complete() {
        let d = super::mnist_t10k().unwrap();
        assert_eq!((d.len(), d.width, d.classes()), (10_000, 784, 10));
        // The official label counts of the MNIST test set.
        let counts: Vec<usize> = (0..10)
            .map(|c| d.labels.iter().filter(|&&l| l == c).count())
            .collect();
        assert_eq!(
            counts,
            [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
        );
    }
}
