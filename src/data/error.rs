//! Errors from reading data: each names the file, where in it, and what was expected.

use std::fmt;

/// A data file could not be read or does not have the expected form.
#[derive(Debug)]
pub enum DataError {
    /// The file could not be opened or read.
    Io {
        /// The file's path (or the name given to an in-memory source).
        file: String,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The content is malformed at `position` (e.g. `line 12, column 3` or `byte 16`).
    Malformed {
        /// The file's path (or the name given to an in-memory source).
        file: String,
        /// Where in the file, in words: `line 12, column 3`, `byte 16`, ...
        position: String,
        /// What the loader expected there.
        expected: String,
        /// What it found instead.
        found: String,
    },
    /// A cell of a table has no value (empty, `NA`, `NaN`, ...) at `line` in `column`.
    Missing {
        /// The file's path (or the name given to an in-memory source).
        file: String,
        /// The line of the file, counted from 1 (the header is line 1).
        line: usize,
        /// The column's name, from the header.
        column: String,
    },
    /// The file holds no samples.
    Empty {
        /// The file's path (or the name given to an in-memory source).
        file: String,
    },
    /// Loading the file would take more memory than the loader may allocate.
    TooLarge {
        /// The file's path (or the name given to an in-memory source).
        file: String,
        /// Bytes the data would need (a lower bound).
        needed: u64,
        /// The loader's limit in bytes (`LoadOptions::max_bytes`).
        max_bytes: u64,
    },
    /// A parameter of the request is invalid (e.g. a split fraction outside (0, 1)).
    Invalid {
        /// The parameter, in words (e.g. `split fraction`).
        what: &'static str,
        /// Why its value is rejected.
        why: String,
    },
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
