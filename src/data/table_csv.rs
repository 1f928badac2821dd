//! CSV with a header row (plain or gzip) into a [`Table`]: columns by name, the target
//! column(s) chosen by name, every other column a feature; a missing value is an error naming
//! its line and column.

use std::path::Path;

use super::load_options::Budget;
use super::source::{utf8, Source};
use super::{DataError, LoadOptions, Table};

/// Cells read as "no value" (pandas' default NA spellings that can appear in a numeric column).
const MISSING: [&str; 9] = ["", "NA", "N/A", "NaN", "nan", "null", "NULL", "None", "?"];

/// Loads a CSV file with a header row (optionally gzip); `targets` names the target columns.
pub fn load_table(path: impl AsRef<Path>, targets: &[&str]) -> Result<Table, DataError> {
    load_table_with(path, targets, &LoadOptions::default())
}

/// [`load_table`] within the memory bound of `options` (features and targets as `f64`).
pub fn load_table_with(
    path: impl AsRef<Path>,
    targets: &[&str],
    options: &LoadOptions,
) -> Result<Table, DataError> {
    table(Source::file(path.as_ref())?, targets, options)
}

/// Parses CSV bytes with a header row (optionally gzip); `name` is used in error messages.
pub fn parse_table(name: &str, raw: &[u8], targets: &[&str]) -> Result<Table, DataError> {
    table(Source::bytes(name, raw), targets, &LoadOptions::default())
}

/// The next non-blank line of `src` as cells, with its 1-based number; `None` at the end.
fn next_cells(
    src: &mut Source,
    line: &mut Vec<u8>,
    ln: &mut usize,
    max: u64,
) -> Result<Option<(usize, Vec<String>)>, DataError> {
    while src.read_line(line, max)? {
        *ln += 1;
        let text = utf8(&src.name, &format!("line {ln}, "), line)?;
        if !text.trim().is_empty() {
            return Ok(Some((*ln, split_line(text))));
        }
    }
    Ok(None)
}

/// A CSV stream with a header row as a table, a line at a time.
fn table(mut src: Source, targets: &[&str], options: &LoadOptions) -> Result<Table, DataError> {
    let name = src.name.clone();
    let (mut line, mut ln) = (Vec::new(), 0);
    let max = options.max_bytes;
    let Some((hl, columns)) = next_cells(&mut src, &mut line, &mut ln, max)? else {
        return Err(DataError::Empty { file: name });
    };
    let target_col = target_columns(&name, hl - 1, &columns, targets)?;
    let feature_col: Vec<usize> = (0..columns.len())
        .filter(|c| !target_col.contains(c))
        .collect();
    let mut budget = Budget::new(&name, options);
    let (mut features, mut values, mut row) = (Vec::new(), Vec::new(), Vec::new());
    while let Some((at, cells)) = next_cells(&mut src, &mut line, &mut ln, max)? {
        if cells.len() != columns.len() {
            return Err(DataError::Malformed {
                file: name,
                position: format!("line {at}"),
                expected: format!("{} columns like the header", columns.len()),
                found: format!("{} columns", cells.len()),
            });
        }
        row.clear();
        for (column, cell) in columns.iter().zip(&cells) {
            row.push(number(&name, at - 1, column, cell)?);
        }
        for &c in &feature_col {
            budget.push(&mut features, row[c])?;
        }
        for &c in &target_col {
            budget.push(&mut values, row[c])?;
        }
    }
    if values.is_empty() {
        return Err(DataError::Empty { file: name });
    }
    let names = |cols: &[usize]| cols.iter().map(|&c| columns[c].clone()).collect();
    Table::new(features, names(&feature_col), values, names(&target_col))
}

/// The header columns of `targets`, in their order; errors for an unknown, repeated or missing
/// name.
fn target_columns(
    name: &str,
    header_line: usize,
    columns: &[String],
    targets: &[&str],
) -> Result<Vec<usize>, DataError> {
    let header = || format!("line {} (the header)", header_line + 1);
    if let Some(c) = columns.iter().position(|c| c.is_empty()) {
        return Err(DataError::Malformed {
            file: name.to_string(),
            position: header(),
            expected: "a name for every column".into(),
            found: format!("column {} unnamed", c + 1),
        });
    }
    for (i, c) in columns.iter().enumerate() {
        if columns[..i].contains(c) {
            return Err(DataError::Malformed {
                file: name.to_string(),
                position: header(),
                expected: "distinct column names".into(),
                found: format!("{c:?} twice"),
            });
        }
    }
    if targets.is_empty() || targets.len() >= columns.len() {
        return Err(DataError::Invalid {
            what: "target columns",
            why: format!(
                "name at least one target and leave at least one feature among the {} columns of {name}",
                columns.len()
            ),
        });
    }
    let mut target_col = Vec::with_capacity(targets.len());
    for (i, t) in targets.iter().enumerate() {
        let Some(c) = columns.iter().position(|c| c == t) else {
            return Err(DataError::Invalid {
                what: "target column",
                why: format!(
                    "{name} has no column {t:?}; its columns are {}",
                    columns.join(", ")
                ),
            });
        };
        if targets[..i].contains(t) {
            return Err(DataError::Invalid {
                what: "target columns",
                why: format!("{t:?} is named twice"),
            });
        }
        target_col.push(c);
    }
    Ok(target_col)
}

/// One cell as a finite number, or an error naming the line and column.
fn number(name: &str, ln: usize, column: &str, cell: &str) -> Result<f64, DataError> {
    if MISSING.contains(&cell) {
        return Err(DataError::Missing {
            file: name.to_string(),
            line: ln + 1,
            column: column.to_string(),
        });
    }
    match cell.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err(DataError::Malformed {
            file: name.to_string(),
            position: format!("line {}, column {column:?}", ln + 1),
            expected: "a finite number".into(),
            found: format!("{cell:?}"),
        }),
    }
}

/// Cells of one line, trimmed; a cell in double quotes may hold commas, and `""` inside it is
/// one quote (RFC 4180, within a line).
fn split_line(line: &str) -> Vec<String> {
    let mut cells = Vec::new();
    let mut cell = String::new();
    let (mut quoted, mut chars) = (false, line.chars().peekable());
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cell.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => cells.push(std::mem::take(&mut cell).trim().to_string()),
            c => cell.push(c),
        }
    }
    cells.push(cell.trim().to_string());
    cells
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_columns_by_name_in_the_named_order() {
        let csv = b"a, \"b, c\",y1,y2\n1,2,3,4\n\n5,6,7,8\n";
        let t = parse_table("t.csv", csv, &["y2", "y1"]).unwrap();
        assert_eq!(t.feature_names, ["a", "b, c"]);
        assert_eq!(t.target_names, ["y2", "y1"]);
        assert_eq!(t.features, [1.0, 2.0, 5.0, 6.0]);
        assert_eq!(t.targets, [4.0, 3.0, 8.0, 7.0]);
    }

    #[test]
    fn errors_name_the_line_and_column() {
        let err = |csv: &[u8], targets: &[&str]| {
            parse_table("t.csv", csv, targets).unwrap_err().to_string()
        };
        assert_eq!(
            err(b"a,price\n1,2\n3,NA\n", &["price"]),
            "t.csv: line 3, column \"price\": missing value"
        );
        assert_eq!(
            err(b"a,price\n1,2\n,4\n", &["price"]),
            "t.csv: line 3, column \"a\": missing value"
        );
        assert_eq!(
            err(b"a,price\n1,x\n", &["price"]),
            "t.csv: line 2, column \"price\": expected a finite number, found \"x\""
        );
        assert!(err(b"a,price\n1,2\n", &["cost"])
            .contains("no column \"cost\"; its columns are a, price"));
        assert!(err(b"a,price\n1,2,3\n", &["price"]).contains("expected 2 columns like the header"));
        assert!(err(b"a,a\n1,2\n", &["a"]).contains("distinct column names"));
        assert!(err(b"a,price\n1,2\n", &["price", "a"]).contains("leave at least one feature"));
        assert!(err(b"a,b,price\n1,2,3\n", &["price", "price"]).contains("named twice"));
        assert!(err(b"a,price\n", &["price"]).contains("holds no samples"));
        assert!(err(b"a,price\n1,inf\n", &["price"]).contains("finite number"));
    }
}
