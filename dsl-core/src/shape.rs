//! Per-sample shapes as the macro computes them: `[features]` for dense layers; later
//! `[channels, height, width]` for images and `[steps, features]` for sequences.

use std::fmt;

/// The shape of one sample between two layers.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Shape(pub Vec<usize>);

impl Shape {
    pub fn flat(n: usize) -> Self {
        Shape(vec![n])
    }

    /// Number of scalars per sample.
    pub fn numel(&self) -> usize {
        self.0.iter().product()
    }

    /// The feature count of a flat `[n]` shape.
    pub fn as_flat(&self) -> Option<usize> {
        match self.0.as_slice() {
            [n] => Some(*n),
            _ => None,
        }
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[")?;
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                write!(f, ", ")?;
            }
            write!(f, "{d}")?;
        }
        write!(f, "]")
    }
}
