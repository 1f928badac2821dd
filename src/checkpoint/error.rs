//! Errors from reading and writing checkpoints: each names the file, and a checkpoint that
//! does not fit the network lists every tensor that differs, not just the first.

use std::fmt;

/// One way a checkpoint differs from the network (or optimiser) it is loaded into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mismatch {
    /// The network has this tensor; the file does not.
    Missing {
        /// The tensor's name, as the network calls it (e.g. `fc1.weight`).
        name: String,
        /// The shape the network has for it.
        shape: Vec<usize>,
    },
    /// The file has this tensor; the network does not.
    Unexpected {
        /// The tensor's name in the file.
        name: String,
        /// Its shape in the file.
        shape: Vec<usize>,
    },
    /// Both have it, with different shapes.
    Shape {
        /// The tensor's name.
        name: String,
        /// The shape the network has.
        expected: Vec<usize>,
        /// The shape the file has.
        found: Vec<usize>,
    },
    /// The file stores it in an element type kiln cannot read (not F64, F32, F16 or BF16).
    Dtype {
        /// The tensor's name.
        name: String,
        /// The element type the file declares (e.g. `I64`).
        found: String,
    },
    /// The file holds NaN or infinity in it.
    NonFinite {
        /// The tensor's name.
        name: String,
        /// Position of the first non-finite element, counted over the tensor's elements in
        /// row-major order from 0.
        index: usize,
    },
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
        /// The checkpoint's path.
        file: String,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The file is not a readable safetensors file (truncated, bad header, bad offsets).
    Malformed {
        /// The checkpoint's path.
        file: String,
        /// What is wrong with it.
        why: String,
    },
    /// The file's tensors do not fit the network: every difference, in order.
    Mismatch {
        /// The checkpoint's path.
        file: String,
        /// Every tensor that differs, in the order the network lists its tensors.
        mismatches: Vec<Mismatch>,
    },
    /// A value kiln stores in the file's metadata is missing or unreadable.
    Metadata {
        /// The checkpoint's path.
        file: String,
        /// The metadata key (e.g. the optimiser's step count).
        key: String,
        /// What is wrong with its value.
        why: String,
    },
    /// The optimiser rejected the restored state (e.g. it was built for another network).
    Kiln(kiln_runtime::KilnError),
    /// Nothing was written: a tensor holds NaN or infinity (a diverged run), and the reader
    /// would refuse the file; the file at `file`, if any, is unchanged.
    NonFinite {
        /// The path that was not written.
        file: String,
        /// The name of the tensor holding the non-finite value.
        tensor: String,
        /// Position of the first non-finite element in that tensor, row-major from 0.
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
