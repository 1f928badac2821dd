//! Numeric CSV with a label column (plain or gzip): every other column is a feature.

use std::path::Path;

use super::gzip::{maybe_gunzip, read_file, utf8};
use super::{DataError, Dataset};

/// Loads a numeric CSV file (optionally gzip) whose column `label_column` (negative counts
/// from the end, `-1` = last) holds integer class labels.
pub fn load_csv(path: impl AsRef<Path>, label_column: isize) -> Result<Dataset, DataError> {
    let path = path.as_ref();
    let bytes = read_file(path)?;
    parse_csv(&path.display().to_string(), &bytes, label_column)
}

/// Parses CSV bytes (optionally gzip); `name` is used in error messages.
pub fn parse_csv(name: &str, raw: &[u8], label_column: isize) -> Result<Dataset, DataError> {
    let text = utf8(name, maybe_gunzip(name, raw)?)?;
    let mut features = Vec::new();
    let mut labels = Vec::new();
    let mut width: Option<usize> = None;
    for (ln, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        let at = |col: usize| format!("line {}, column {}", ln + 1, col + 1);
        let lc = if label_column < 0 {
            cells.len() as isize + label_column
        } else {
            label_column
        };
        if lc < 0 || lc as usize >= cells.len() {
            return Err(DataError::Malformed {
                file: name.to_string(),
                position: format!("line {}", ln + 1),
                expected: format!("a label in column {label_column}"),
                found: format!("{} columns", cells.len()),
            });
        }
        let lc = lc as usize;
        if cells.len() < 2 {
            return Err(DataError::Malformed {
                file: name.to_string(),
                position: format!("line {}", ln + 1),
                expected: "at least one feature column besides the label".into(),
                found: "only the label".into(),
            });
        }
        match width {
            None => width = Some(cells.len() - 1),
            Some(w) if w + 1 != cells.len() => {
                return Err(DataError::Malformed {
                    file: name.to_string(),
                    position: format!("line {}", ln + 1),
                    expected: format!("{} columns like the first row", w + 1),
                    found: format!("{} columns", cells.len()),
                })
            }
            _ => {}
        }
        for (col, cell) in cells.iter().enumerate() {
            if col == lc {
                let label: usize = cell.parse().map_err(|_| DataError::Malformed {
                    file: name.to_string(),
                    position: at(col),
                    expected: "a non-negative integer class label".into(),
                    found: format!("{cell:?}"),
                })?;
                labels.push(label);
            } else {
                let v: f32 = cell.parse().map_err(|_| DataError::Malformed {
                    file: name.to_string(),
                    position: at(col),
                    expected: "a number".into(),
                    found: format!("{cell:?}"),
                })?;
                if !v.is_finite() {
                    return Err(DataError::Malformed {
                        file: name.to_string(),
                        position: at(col),
                        expected: "a finite number".into(),
                        found: cell.to_string(),
                    });
                }
                features.push(v);
            }
        }
    }
    match width {
        Some(width) if !labels.is_empty() => Ok(Dataset {
            features,
            labels,
            width,
        }),
        _ => Err(DataError::Empty {
            file: name.to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_reports_where_it_fails() {
        let d = parse_csv("t.csv", b"1,2,0\n3.5,4,1\n", -1).unwrap();
        assert_eq!(d.features, [1.0, 2.0, 3.5, 4.0]);
        assert_eq!(d.labels, [0, 1]);
        assert_eq!(d.width, 2);
        let e = parse_csv("t.csv", b"1,2,0\n3,x,1\n", -1)
            .unwrap_err()
            .to_string();
        assert_eq!(e, "t.csv: line 2, column 2: expected a number, found \"x\"");
        let e = parse_csv("t.csv", b"1,2,0\n3,1\n", -1)
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "t.csv: line 2: expected 3 columns like the first row, found 2 columns"
        );
        let e = parse_csv("t.csv", b"1,2,-1\n", -1).unwrap_err().to_string();
        assert!(e.contains("non-negative integer class label"), "{e}");
        assert!(matches!(
            parse_csv("e.csv", b"\n\n", -1),
            Err(DataError::Empty { .. })
        ));
        let e = parse_csv("t.csv.gz", &[0x1f, 0x8b, 0, 1, 2], -1)
            .unwrap_err()
            .to_string();
        assert!(e.contains("expected a complete gzip stream"), "{e}");
        // Found by fuzzing: a label-only file made a data set of width 0.
        let e = parse_csv("t.csv", b"0\n1\n", 0).unwrap_err().to_string();
        assert_eq!(
            e,
            "t.csv: line 1: expected at least one feature column besides the label, found only the label"
        );
    }
}
