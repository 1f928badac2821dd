//! "Did you mean" for names: typo distance, and spellings that differ only in case and
//! underscores (`MaxPool2d`, `maxpool2d` and `max_pool2d` are one name here).

/// The candidate closest to `name`, if one is close enough to be a typo; ties go to the
/// earlier candidate, so lists put the common names first.
pub fn closest<'a>(name: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|n| (edit_distance(name, n), *n))
        .filter(|(d, n)| *d <= 2.max(n.len() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, n)| n)
}

/// `name` lower-cased without underscores: PyTorch's `BatchNorm2d` and kiln's `batch_norm2d`
/// both become `batchnorm2d`.
pub fn folded(name: &str) -> String {
    name.chars()
        .filter(|c| *c != '_')
        .flat_map(char::to_lowercase)
        .collect()
}

/// Edit distance counting a swap of two neighbours as one edit (`rleu` is one from `relu`).
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut d = vec![vec![0; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    #[test]
    fn typos_and_spellings() {
        assert_eq!(super::closest("rleu", &["dense", "relu"]), Some("relu"));
        assert_eq!(super::closest("zzzzzz", &["dense", "relu"]), None);
        assert_eq!(super::folded("MaxPool2d"), super::folded("max_pool2d"));
    }
}
