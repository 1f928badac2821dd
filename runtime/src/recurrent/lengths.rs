//! Sequences of different lengths in one batch, PyTorch's padded (packed) sequences: each
//! sequence `s` of a time-major batch `[steps, sequences, F]` has its own length `len[s]`; the
//! steps after it are padding. Padding steps do not change a sequence's state, their outputs
//! are zero and their output gradients are ignored, so BPTT equals running each sequence alone.
//! Padding comes after a sequence's last step (right padding), so no real step depends on a
//! padding step: the cells run every row as usual, then zero the padding outputs, take each
//! sequence's final state from its own last step, and zero the padding gradients before BPTT.
//! An empty list means every sequence has all `steps` steps.

use crate::error::{KilnError, Result};
use crate::float::Float;

/// Checks `lengths` against a batch of `seqs` sequences of at most `steps` steps.
pub fn check_lengths(lengths: &[usize], steps: usize, seqs: usize) -> Result<()> {
    if lengths.len() != seqs {
        return Err(KilnError::LengthMismatch {
            what: "sequence lengths (one per sequence of the batch)",
            expected: seqs,
            actual: lengths.len(),
        });
    }
    match lengths.iter().position(|&l| l == 0 || l > steps) {
        Some(index) => Err(KilnError::SequenceLength {
            index,
            length: lengths[index],
            steps,
        }),
        None => Ok(()),
    }
}

/// The steps of a padded batch of `rows` rows (`steps x sequences`) holding `lengths.len()`
/// sequences.
pub fn padded_steps(rows: usize, lengths: &[usize]) -> Result<usize> {
    if lengths.is_empty() {
        return Err(KilnError::EmptyShape {
            what: "sequence lengths of a padded batch",
        });
    }
    let steps = rows / lengths.len();
    if steps * lengths.len() != rows {
        return Err(KilnError::LengthMismatch {
            what: "padded batch (steps x sequences rows, time-major)",
            expected: (steps + 1) * lengths.len(),
            actual: rows,
        });
    }
    Ok(steps)
}

/// Which of the `rows` rows (`steps x sequences`, time-major) of a padded batch are real steps.
pub fn kept_rows(rows: usize, lengths: &[usize]) -> Vec<bool> {
    let seqs = lengths.len().max(1);
    (0..rows)
        .map(|r| !is_padding(lengths, r / seqs, r % seqs))
        .collect()
}

/// Whether step `t` of sequence `s` is padding.
pub fn is_padding(lengths: &[usize], t: usize, s: usize) -> bool {
    lengths.get(s).is_some_and(|&l| t >= l)
}

/// The number of steps of sequence `s` (all `steps` without lengths).
pub fn length_of(lengths: &[usize], s: usize, steps: usize) -> usize {
    lengths.get(s).copied().unwrap_or(steps)
}

/// Zeroes the rows of padding steps in `v` (`[steps, seqs, width]`, time-major).
pub fn zero_padding<T: Float>(
    v: &mut [T],
    steps: usize,
    seqs: usize,
    width: usize,
    lengths: &[usize],
) {
    if lengths.len() != seqs || width == 0 {
        return;
    }
    for (t, block) in v.chunks_exact_mut(seqs * width).take(steps).enumerate() {
        for (s, row) in block.chunks_exact_mut(width).enumerate() {
            if t >= lengths[s] {
                row.fill(T::ZERO);
            }
        }
    }
}

/// Writes each sequence's state after its own last step into `state` (`[seqs, stride]`, at
/// `offset` within each row), from `history` (`[steps + 1, seqs, width]`: the initial state,
/// then the state after each step). Nothing to do without lengths.
pub fn final_rows<T: Float>(
    history: &[T],
    seqs: usize,
    width: usize,
    lengths: &[usize],
    state: &mut [T],
    (stride, offset): (usize, usize),
) {
    if lengths.len() != seqs {
        return;
    }
    for (s, &len) in lengths.iter().enumerate() {
        let src = &history[(len * seqs + s) * width..(len * seqs + s + 1) * width];
        state[s * stride + offset..s * stride + offset + width].copy_from_slice(src);
    }
}

/// Each row `t * seqs + s` of a time-major `[steps, seqs]` batch with the row that holds it
/// in the batch of reversed sequences: step `len - 1 - t` of the same sequence within its
/// length, the same step for padding (so padding stays after the reversed steps).
pub fn reversed_rows(
    lengths: &[usize],
    steps: usize,
    seqs: usize,
) -> impl Iterator<Item = (usize, usize)> + '_ {
    (0..steps * seqs).map(move |i| {
        let (t, s) = (i / seqs, i % seqs);
        let len = length_of(lengths, s, steps);
        let r = if t < len { len - 1 - t } else { t };
        (i, r * seqs + s)
    })
}

/// A list of a batch's lengths kept in a cache: set before a pass (empty: every sequence full).
pub fn store(into: &mut Vec<usize>, lengths: &[usize]) {
    into.clear();
    into.extend_from_slice(lengths);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activation::Activation;
    use crate::recurrent::{Bidirectional, Gru, GruForm, Lstm, Recurrent, Rnn};
    use crate::rng::{seeded, uniform};

    /// Three sequences of lengths 4, 1, 3 padded to 4 steps with garbage: each one's final
    /// state and real outputs equal those of running it alone, its padding outputs are zero.
    fn padded_state_is_each_sequence_own<R: Recurrent<f64>>(cell: R) {
        let (lengths, steps, n) = ([4usize, 1, 3], 4, 3);
        let mut rng = seeded(9);
        let x: Vec<f64> = (0..steps * n * R::IN)
            .map(|_| uniform(&mut rng, -1.0, 1.0))
            .collect();
        let mut y = vec![0.0; steps * n * R::OUT];
        let mut state = vec![0.0; n * R::STATE];
        let mut c = R::Cache::default();
        R::set_lengths(&mut c, &lengths);
        cell.forward(&x, &mut y, steps, n, &mut state, &mut c);
        for (s, &len) in lengths.iter().enumerate() {
            let xs: Vec<f64> = (0..len)
                .flat_map(|t| x[(t * n + s) * R::IN..(t * n + s + 1) * R::IN].to_vec())
                .collect();
            let mut ys = vec![0.0; len * R::OUT];
            let mut st = vec![0.0; R::STATE];
            cell.forward(&xs, &mut ys, len, 1, &mut st, &mut R::Cache::default());
            let close = |a: &[f64], b: &[f64]| a.iter().zip(b).all(|(p, q)| (p - q).abs() < 1e-12);
            assert!(
                close(&state[s * R::STATE..(s + 1) * R::STATE], &st),
                "state {s}"
            );
            for t in 0..steps {
                let got = &y[(t * n + s) * R::OUT..(t * n + s + 1) * R::OUT];
                if t < len {
                    assert!(
                        close(got, &ys[t * R::OUT..(t + 1) * R::OUT]),
                        "step {t} of {s}"
                    );
                } else {
                    assert!(got.iter().all(|&v| v == 0.0), "padding {t} of {s}");
                }
            }
        }
    }

    #[test]
    fn padding_leaves_every_cell_state_and_zeroes_its_outputs() {
        let r = &mut seeded(1);
        padded_state_is_each_sequence_own(Lstm::<f64, 2, 3>::new(0.0, r).unwrap());
        padded_state_is_each_sequence_own(Gru::<f64, 2, 3>::new(GruForm::PyTorch, r).unwrap());
        padded_state_is_each_sequence_own(Rnn::<f64, 2, 3>::new(Activation::Tanh, r).unwrap());
        padded_state_is_each_sequence_own(Bidirectional::new(
            Lstm::<f64, 2, 3>::new(0.0, r).unwrap(),
            Gru::<f64, 2, 2>::new(GruForm::PyTorch, r).unwrap(),
        ));
    }

    #[test]
    fn lengths_are_checked_and_padding_located() {
        assert!(check_lengths(&[3, 1], 3, 2).is_ok());
        assert!(matches!(
            check_lengths(&[3, 0], 3, 2),
            Err(KilnError::SequenceLength { index: 1, .. })
        ));
        assert!(check_lengths(&[4, 1], 3, 2).is_err());
        assert!(check_lengths(&[3], 3, 2).is_err());
        let mut v = [1.0f64; 3 * 2 * 2];
        zero_padding(&mut v, 3, 2, 2, &[3, 1]);
        assert_eq!(v, [1., 1., 1., 1., 1., 1., 0., 0., 1., 1., 0., 0.]);
        // Rows (t, s) of lengths [3, 1] over 3 steps: sequence 0 reversed in place, sequence 1
        // (one step) kept, its padding steps kept after it.
        let rows: Vec<_> = reversed_rows(&[3, 1], 3, 2).collect();
        assert_eq!(rows, [(0, 4), (1, 1), (2, 2), (3, 3), (4, 0), (5, 5)]);
        let full: Vec<_> = reversed_rows(&[], 3, 2).map(|(_, r)| r).collect();
        assert_eq!(full, [4, 5, 2, 3, 0, 1]);
    }
}
