//! Per-sample shapes as the macro computes them: `[features]` for dense layers; later
//! `[channels, height, width]` for images and `[steps, features]` for sequences.

use std::fmt;

/// The largest count a declaration may write (a width, channels, a kernel, a padding): with
/// every count below it, the macro's size arithmetic cannot overflow.
pub const MAX_COUNT: u64 = 1 << 24;

/// The most scalars one sample may have between two layers.
pub const MAX_NUMEL: usize = 1 << 32;

/// The shape of one sample between two layers.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Shape(pub Vec<usize>);

impl Shape {
    pub fn flat(n: usize) -> Self {
        Shape(vec![n])
    }

    /// Number of scalars per sample (saturating: a shape over [`MAX_NUMEL`] is an error of
    /// its own before anything is emitted).
    pub fn numel(&self) -> usize {
        self.0.iter().fold(1usize, |a, &d| a.saturating_mul(d))
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
