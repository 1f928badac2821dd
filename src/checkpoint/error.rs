//! Errors from reading and writing checkpoints: each names the file, and a checkpoint that
//! does not fit the network lists every tensor that differs, not just the first.

use std::fmt;

/// One way a checkpoint differs from the network (or optimiser) it is loaded into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mismatch {
    /// The network has this tensor; the file does not.
    Missing { name: String, shape: Vec<usize> },
    /// The file has this tensor; the network does not.
    Unexpected { name: String, shape: Vec<usize> },
    /// Both have it, with different shapes.
    Shape {
        name: String,
        expected: Vec<usize>,
        found: Vec<usize>,
    },
    /// The file stores it in an element type kiln cannot read (not F64, F32, F16 or BF16).
    Dtype { name: String, found: String },
    /// The file holds NaN or infinity in it.
    NonFinite { name: String, index: usize },
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mismatch::Missing { name, shape } => {
                write!(f, "missing `{name}` (the network has it, shape {shape:?})")
            }
            Mismatch::Unexpected { name, shape } => {
                write!(
                    f,
                    "unexpected `{name}` (shape {shape:?}; the network has no such tensor)"
                )
            }
            Mismatch::Shape {
                name,
                expected,
                found,
            } => write!(
                f,
                "`{name}` has shape {found:?} in the file, the network expects {expected:?}"
            ),
            Mismatch::Dtype { name, found } => write!(
                f,
                "`{name}` is stored as {found}; kiln reads F64, F32, F16 and BF16"
            ),
            Mismatch::NonFinite { name, index } => {
                write!(f, "`{name}` holds a NaN or infinity at element {index}")
            }
        }
    }
}

/// A checkpoint could not be written, read, or applied.
#[derive(Debug)]
pub enum CheckpointError {
    /// The file could not be created, written, renamed or read.
    Io {
        file: String,
        source: std::io::Error,
    },
    /// The file is not a readable safetensors file (truncated, bad header, bad offsets).
    Malformed { file: String, why: String },
    /// The file's tensors do not fit the network: every difference, in order.
    Mismatch {
        file: String,
        mismatches: Vec<Mismatch>,
    },
    /// A value kiln stores in the file's metadata is missing or unreadable.
    Metadata {
        file: String,
        key: String,
        why: String,
    },
    /// The optimiser rejected the restored state (e.g. it was built for another network).
    Kiln(kiln_runtime::KilnError),
    /// Nothing was written: a tensor holds NaN or infinity (a diverged run), and the reader
    /// would refuse the file; the file at `file`, if any, is unchanged.
    NonFinite {
        file: String,
        tensor: String,
        index: usize,
    },
}

impl fmt::Display for CheckpointError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CheckpointError::Io { file, source } => write!(f, "{file}: {source}"),
            CheckpointError::Malformed { file, why } => {
                write!(f, "{file}: not a readable safetensors file: {why}")
            }
            CheckpointError::Mismatch { file, mismatches } => {
                write!(
                    f,
                    "{file}: does not fit the network ({} difference{}):",
                    mismatches.len(),
                    if mismatches.len() == 1 { "" } else { "s" }
                )?;
                for m in mismatches {
                    write!(f, "\n  - {m}")?;
                }
                Ok(())
            }
            CheckpointError::Metadata { file, key, why } => {
                write!(f, "{file}: metadata `{key}`: {why}")
            }
            CheckpointError::Kiln(e) => write!(f, "{e}"),
            CheckpointError::NonFinite { file, tensor, index } => write!(
                f,
                "{file}: not written: `{tensor}`[{index}] is NaN or infinite (the run diverged); the previous file is kept"
            ),
        }
    }
}

impl std::error::Error for CheckpointError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CheckpointError::Io { source, .. } => Some(source),
            CheckpointError::Kiln(e) => Some(e),
            _ => None,
        }
    }
}

impl From<kiln_runtime::KilnError> for CheckpointError {
    fn from(e: kiln_runtime::KilnError) -> Self {
        CheckpointError::Kiln(e)
    }
}
