//! A token corpus cut into fixed-length windows for a language model: window `i` is tokens
//! `i*steps .. i*steps+steps` as inputs and the same positions shifted by one as targets.

use kiln_runtime::float::Float;

use super::DataError;

/// How a token is fed to the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenRows {
    /// One row of one value, the id (for `embedding` / `one_hot` first layers).
    Ids,
    /// One row of `vocab` values, one-hot (for networks taking `[seq, vocab]`).
    OneHot {
        /// The vocabulary size: the width of each row, and the bound every id must be below.
        vocab: usize,
    },
}

/// Non-overlapping windows over a token sequence.
///
/// ```
/// use kiln::data::{Samples, TextWindows, TokenRows, Vocab};
///
/// # fn main() -> Result<(), kiln::data::DataError> {
/// let text = "hello world";
/// let vocab = Vocab::from_text(text)?;
/// let windows = TextWindows::new(vocab.encode(text)?, 4, TokenRows::Ids)?;
/// assert_eq!((windows.windows(), windows.window_len()), (2, 4)); // "hell", "o wo"
/// let (mut x, mut next) = (Vec::<f32>::new(), Vec::new());
/// windows.gather(&[0], &mut x, &mut next)?;
/// assert_eq!(vocab.decode(&next)?, "ello"); // every step's label is the next character
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct TextWindows {
    ids: Vec<usize>,
    steps: usize,
    rows: TokenRows,
}

impl TextWindows {
    /// Windows of `steps` tokens over `ids` (every full window that has a next token to
    /// predict). Errors if `steps` is 0, the corpus is shorter than one window plus one token,
    /// or a one-hot id is outside the vocabulary.
    pub fn new(ids: Vec<usize>, steps: usize, rows: TokenRows) -> Result<TextWindows, DataError> {
        if steps == 0 {
            return Err(DataError::Invalid {
                what: "window length",
                why: "must be at least 1".into(),
            });
        }
        // `steps + 1` would overflow for `usize::MAX`.
        if ids.len() <= steps {
            return Err(DataError::Invalid {
                what: "token corpus",
                why: format!(
                    "{} tokens cannot fill one window of {steps} plus its next token",
                    ids.len()
                ),
            });
        }
        if let TokenRows::OneHot { vocab } = rows {
            if let Some((at, &id)) = ids.iter().enumerate().find(|(_, &id)| id >= vocab) {
                return Err(DataError::Invalid {
                    what: "token id",
                    why: format!("{id} at position {at} is outside the vocabulary of {vocab}"),
                });
            }
        }
        Ok(TextWindows { ids, steps, rows })
    }

    /// Number of windows.
    pub fn windows(&self) -> usize {
        (self.ids.len() - 1) / self.steps
    }

    /// Tokens per window.
    pub fn window_len(&self) -> usize {
        self.steps
    }

    /// Values per row: 1 for ids, the vocabulary for one-hot rows.
    pub fn row_width(&self) -> usize {
        match self.rows {
            TokenRows::Ids => 1,
            TokenRows::OneHot { vocab } => vocab,
        }
    }

    /// Appends step `t` of window `w`: its input row and the next token as the label.
    pub(super) fn push_step<T: Float>(
        &self,
        w: usize,
        t: usize,
        x: &mut Vec<T>,
        labels: &mut Vec<usize>,
    ) {
        let at = w * self.steps + t;
        let id = self.ids[at];
        match self.rows {
            TokenRows::Ids => x.push(T::from_usize(id)),
            TokenRows::OneHot { vocab } => {
                let start = x.len();
                x.resize(start + vocab, T::ZERO);
                x[start + id] = T::ONE;
            }
        }
        labels.push(self.ids[at + 1]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Samples;

    #[test]
    fn batches_are_time_major_with_next_token_labels() {
        let w = TextWindows::new((0..9).collect(), 3, TokenRows::Ids).unwrap();
        assert_eq!(w.windows(), 2);
        let (mut x, mut y) = (Vec::<f32>::new(), Vec::new());
        w.gather(&[1, 0], &mut x, &mut y).unwrap();
        assert_eq!(x, [3.0, 0.0, 4.0, 1.0, 5.0, 2.0]);
        assert_eq!(y, [4, 1, 5, 2, 6, 3]);
        let oh = TextWindows::new(vec![0, 2, 1, 0], 2, TokenRows::OneHot { vocab: 3 }).unwrap();
        oh.gather(&[0], &mut x, &mut y).unwrap();
        assert_eq!(x, [1.0, 0.0, 0.0, 0.0, 0.0, 1.0]);
        assert_eq!(y, [2, 1]);
    }

    #[test]
    fn rejects_what_cannot_be_windowed() {
        let msg = |r: Result<TextWindows, DataError>| r.unwrap_err().to_string();
        assert!(msg(TextWindows::new(vec![1, 2], 0, TokenRows::Ids)).contains("at least 1"));
        assert!(msg(TextWindows::new(vec![1, 2], 2, TokenRows::Ids)).contains("2 tokens"));
        // Found by fuzzing: `steps + 1` overflowed for the largest window length.
        assert!(msg(TextWindows::new(vec![1, 2], usize::MAX, TokenRows::Ids)).contains("2 tokens"));
        assert!(msg(TextWindows::new(
            vec![0, 5, 1],
            1,
            TokenRows::OneHot { vocab: 4 }
        ))
        .contains("5 at position 1"));
        let w = TextWindows::new(vec![0, 1, 2], 1, TokenRows::Ids).unwrap();
        assert!(w
            .gather(&[2], &mut Vec::<f32>::new(), &mut Vec::new())
            .unwrap_err()
            .to_string()
            .contains("2 is outside"));
    }
}
