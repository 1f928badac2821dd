//! Numeric CSV with a label column (plain or gzip): every other column is a feature. Read a
//! line at a time, straight into the data set, within the loader's memory bound.

use std::path::Path;

use super::load_options::Budget;
use super::source::{utf8, Source};
use super::{DataError, Dataset, LoadOptions};

/// Loads a numeric CSV file (optionally gzip) whose column `label_column` (negative counts
/// from the end, `-1` = last) holds integer class labels.
pub fn load_csv(path: impl AsRef<Path>, label_column: isize) -> Result<Dataset, DataError> {
    load_csv_with(path, label_column, &LoadOptions::default())
}

/// [`load_csv`] within the memory bound of `options`, checking labels against its class
/// count (an out-of-range label is reported by its line and column).
pub fn load_csv_with(
    path: impl AsRef<Path>,
    label_column: isize,
    options: &LoadOptions,
) -> Result<Dataset, DataError> {
    csv_dataset(Source::file(path.as_ref())?, label_column, options)
}

/// Parses CSV bytes (optionally gzip); `name` is used in error messages.
pub fn parse_csv(name: &str, raw: &[u8], label_column: isize) -> Result<Dataset, DataError> {
    csv_dataset(
        Source::bytes(name, raw),
        label_column,
        &LoadOptions::default(),
    )
}

/// The rows of a CSV stream as a data set.
fn csv_dataset(
    mut src: Source,
    label_column: isize,
    options: &LoadOptions,
) -> Result<Dataset, DataError> {
    let name = src.name.clone();
    let mut budget = Budget::new(&name, options);
    let (mut features, mut labels) = (Vec::new(), Vec::new());
    let mut width: Option<usize> = None;
    let mut line = Vec::new();
    let mut ln = 0;
    while src.read_line(&mut line, options.max_bytes)? {
        ln += 1;
        let text = utf8(&name, &format!("line {ln}, "), &line)?.trim();
        if text.is_empty() {
            continue;
        }
        let row = Row {
            name: &name,
            ln,
            cells: text.split(',').map(str::trim).collect(),
        };
        let lc = row.label_column(label_column)?;
        match width {
            None => width = Some(row.cells.len() - 1),
            Some(w) if w + 1 != row.cells.len() => {
                return Err(row.error(
                    format!("line {ln}"),
                    format!("{} columns like the first row", w + 1),
                    format!("{} columns", row.cells.len()),
                ))
            }
            _ => {}
        }
        for (col, cell) in row.cells.iter().enumerate() {
            if col == lc {
                let label = row.label(col)?;
                options.check_label(&name, || format!("line {ln}, column {}", col + 1), label)?;
                budget.push(&mut labels, label)?;
            } else {
                budget.push(&mut features, row.number(col, cell)?)?;
            }
        }
    }
    match width {
        Some(width) if !labels.is_empty() => Ok(Dataset {
            features,
            labels,
            width,
        }),
        _ => Err(DataError::Empty { file: name }),
    }
}

/// One non-empty line's cells, with where it is for errors.
struct Row<'a> {
    name: &'a str,
    ln: usize,
    cells: Vec<&'a str>,
}

impl Row<'_> {
    fn error(&self, position: String, expected: String, found: String) -> DataError {
        DataError::Malformed {
            file: self.name.to_string(),
            position,
            expected,
            found,
        }
    }

    /// The label's column (`label_column` may count from the end); errors unless it exists
    /// and leaves at least one feature.
    fn label_column(&self, label_column: isize) -> Result<usize, DataError> {
        let n = self.cells.len();
        let lc = if label_column < 0 {
            n as isize + label_column
        } else {
            label_column
        };
        if lc < 0 || lc as usize >= n {
            return Err(self.error(
                format!("line {}", self.ln),
                format!("a label in column {label_column}"),
                format!("{n} columns"),
            ));
        }
        if n < 2 {
            return Err(self.error(
                format!("line {}", self.ln),
                "at least one feature column besides the label".into(),
                "only the label".into(),
            ));
        }
        Ok(lc as usize)
    }

    fn at(&self, col: usize) -> String {
        format!("line {}, column {}", self.ln, col + 1)
    }

    fn label(&self, col: usize) -> Result<usize, DataError> {
        let cell = self.cells[col];
        cell.parse().map_err(|_| {
            self.error(
                self.at(col),
                "a non-negative integer class label".into(),
                format!("{cell:?}"),
            )
        })
    }

    fn number(&self, col: usize, cell: &str) -> Result<f32, DataError> {
        match cell.parse::<f32>() {
            Ok(v) if v.is_finite() => Ok(v),
            Ok(_) => Err(self.error(self.at(col), "a finite number".into(), cell.into())),
            Err(_) => Err(self.error(self.at(col), "a number".into(), format!("{cell:?}"))),
        }
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
