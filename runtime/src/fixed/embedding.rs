//! Token inputs, batch 1: an id (stored in the element type, one value) looked up in an
//! embedding table or expanded to a one-hot row. An id that is not an integer in
//! `0..vocabulary` is an error, never a panic.

use crate::error::{KilnError, Result};
use crate::float::Float;

/// The id in `x` (one value), checked against the vocabulary.
fn id<T: Float>(x: &[T], vocab: usize) -> Result<usize> {
    let f = match x {
        [v] => v.to_f64(),
        _ => panic!("kiln bug: a token row holds one id"),
    };
    if f >= 0.0 && f < vocab as f64 && libm::trunc(f) == f {
        Ok(f as usize)
    } else {
        Err(KilnError::TokenOutOfRange {
            index: 0,
            value: f,
            vocab,
        })
    }
}

/// `nn.Embedding`'s table, `[V, D]`.
#[derive(Clone, Debug)]
pub struct Embedding<T, const V: usize, const D: usize> {
    /// One row of `D` values per token id: `weight[id]` is the vector token `id` maps to.
    pub weight: [[T; D]; V],
}

impl<T: Float, const V: usize, const D: usize> Embedding<T, V, D> {
    /// All zeros.
    pub const ZERO: Self = Embedding {
        weight: [[T::ZERO; D]; V],
    };

    /// `y = weight[id]`.
    pub fn forward(&self, x: &[T], y: &mut [T]) -> Result<()> {
        y.copy_from_slice(&self.weight[id(x, V)?]);
        Ok(())
    }
}

/// `y` = the one-hot row of the id in `x`.
pub fn one_hot<T: Float, const V: usize>(x: &[T], y: &mut [T]) -> Result<()> {
    let i = id(x, V)?;
    y.fill(T::ZERO);
    y[i] = T::ONE;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn looks_up_and_rejects_strangers() {
        let mut e = Embedding::<f32, 3, 2>::ZERO;
        e.weight[2] = [1.5, -2.0];
        let mut y = [0.0; 2];
        e.forward(&[2.0], &mut y).unwrap();
        assert_eq!(y, [1.5, -2.0]);
        for bad in [3.0, -1.0, 0.5, f32::NAN] {
            assert!(matches!(
                e.forward(&[bad], &mut y),
                Err(KilnError::TokenOutOfRange { vocab: 3, .. })
            ));
        }
        let mut oh = [9.0; 4];
        one_hot::<f32, 4>(&[1.0], &mut oh).unwrap();
        assert_eq!(oh, [0.0, 1.0, 0.0, 0.0]);
        assert!(one_hot::<f32, 4>(&[4.0], &mut oh).is_err());
    }
}
