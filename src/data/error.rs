//! Errors from reading data: each names the file, where in it, and what was expected.

use std::fmt;

/// A data file could not be read or does not have the expected form.
#[derive(Debug)]
pub enum DataError {
    /// The file could not be opened or read.
    Io {
        file: String,
        source: std::io::Error,
    },
    /// The content is malformed at `position` (e.g. `line 12, column 3` or `byte 16`).
    Malformed {
        file: String,
        position: String,
        expected: String,
        found: String,
    },
    /// A cell of a table has no value (empty, `NA`, `NaN`, ...) at `line` in `column`.
    Missing {
        file: String,
        line: usize,
        column: String,
    },
    /// The file holds no samples.
    Empty { file: String },
    /// Loading the file would take more memory than the loader may allocate.
    TooLarge {
        file: String,
        needed: u64,
        max_bytes: u64,
    },
    /// A parameter of the request is invalid (e.g. a split fraction outside (0, 1)).
    Invalid { what: &'static str, why: String },
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DataError::Io { file, source } => write!(f, "{file}: {source}"),
            DataError::Malformed {
                file,
                position,
                expected,
                found,
            } => write!(f, "{file}: {position}: expected {expected}, found {found}"),
            DataError::Missing { file, line, column } => {
                write!(f, "{file}: line {line}, column {column:?}: missing value")
            }
            DataError::Empty { file } => write!(f, "{file}: holds no samples"),
            DataError::TooLarge {
                file,
                needed,
                max_bytes,
            } => write!(
                f,
                "{file}: the data needs at least {needed} bytes of memory, more than the loader's limit of {max_bytes} (LoadOptions::max_bytes)"
            ),
            DataError::Invalid { what, why } => write!(f, "invalid {what}: {why}"),
        }
    }
}

impl std::error::Error for DataError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DataError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}
