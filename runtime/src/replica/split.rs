//! How a global batch splits across replicas: contiguous, near-equal parts of its samples,
//! each replica's rows gathered time-major when a sample is a sequence.

use std::borrow::Cow;
use std::ops::Range;

use crate::error::{KilnError, Result};

/// Samples of replica `p` when `samples` are split into `parts` near-equal contiguous
/// ranges (the first `samples % parts` get one more).
pub fn part_range(samples: usize, parts: usize, p: usize) -> Range<usize> {
    let (base, rem) = (samples / parts, samples % parts);
    let start = p * base + p.min(rem);
    start..start + base + usize::from(p < rem)
}

/// Samples of replica `p` of `parts` when no part may be empty: the batch is split among the
/// first `min(parts, samples)` (as [`part_range`]) and the others get none.
pub fn part_of(samples: usize, parts: usize, p: usize) -> Range<usize> {
    let active = parts.min(samples);
    if p < active {
        part_range(samples, active, p)
    } else {
        samples..samples
    }
}

/// The rows of samples `part` out of `[steps, samples, width]` time-major rows (a slice of
/// `rows` when there is one step).
pub fn gather_rows<'a, X: Clone>(
    rows: &'a [X],
    steps: usize,
    samples: usize,
    width: usize,
    part: &Range<usize>,
) -> Cow<'a, [X]> {
    if steps == 1 || (part.start == 0 && part.end == samples) {
        return Cow::Borrowed(&rows[part.start * width..steps * part.end * width]);
    }
    let mut out = Vec::with_capacity(steps * part.len() * width);
    for t in 0..steps {
        let first = t * samples;
        out.extend_from_slice(&rows[(first + part.start) * width..(first + part.end) * width]);
    }
    Cow::Owned(out)
}

/// The targets of samples `part` for outputs of `rows_out` rows: one row per sample, or
/// one per step and sample (time-major) in a sequence network with per-step outputs.
pub fn shard_targets<'a, Y: Clone>(
    target: &'a [Y],
    rows_out: usize,
    steps: usize,
    samples: usize,
    part: &Range<usize>,
) -> Result<Cow<'a, [Y]>> {
    let steps = if rows_out == part.len() { 1 } else { steps };
    let global_rows = steps * samples;
    if steps * part.len() != rows_out || !target.len().is_multiple_of(global_rows) {
        return Err(KilnError::LengthMismatch {
            what: "loss target (the same entries for every output row of the global batch)",
            expected: (target.len() / global_rows.max(1) + 1) * global_rows,
            actual: target.len(),
        });
    }
    let width = target.len() / global_rows;
    Ok(gather_rows(target, steps, samples, width, part))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_cover_the_batch() {
        for (samples, parts) in [(7, 2), (2, 2), (64, 3), (5, 5)] {
            let mut next = 0;
            for p in 0..parts {
                let r = part_range(samples, parts, p);
                assert_eq!(r.start, next);
                assert!(r.len() == samples / parts || r.len() == samples / parts + 1);
                next = r.end;
            }
            assert_eq!(next, samples);
        }
    }

    #[test]
    fn time_major_rows_of_a_part() {
        // 2 steps of 3 samples, 2 values each: sample s at step t is 10 t + s.
        let rows: Vec<i32> = (0..2)
            .flat_map(|t| (0..3).flat_map(move |s| [10 * t + s, -(10 * t + s)]))
            .collect();
        let got = gather_rows(&rows, 2, 3, 2, &(1..3));
        assert_eq!(&got[..], [1, -1, 2, -2, 11, -11, 12, -12]);
        let labels = [0, 1, 2, 10, 11, 12];
        assert_eq!(
            &shard_targets(&labels, 4, 2, 3, &(1..3)).unwrap()[..],
            [1, 2, 11, 12]
        );
        assert_eq!(
            &shard_targets(&labels[..3], 2, 2, 3, &(1..3)).unwrap()[..],
            [1, 2]
        );
        assert!(shard_targets(&labels[..5], 2, 2, 3, &(1..3)).is_err());
    }
}
