//! What composites (`residual`, `concat`, blocks) need in the embedded form: disjoint views of
//! the scratch's work area, where their branches' outputs live, and the residual join.

use crate::float::Float;

/// Views of the work area: the `R` regions read (each `(offset, len)`) and the one written,
/// which none of them overlaps (the generated layout guarantees it; an overlap is a bug).
pub fn split_work<T, const R: usize>(
    work: &mut [T],
    reads: [(usize, usize); R],
    write: (usize, usize),
) -> ([&[T]; R], &mut [T]) {
    let (lo, rest) = work.split_at_mut(write.0);
    let (w, hi) = rest.split_at_mut(write.1);
    let (lo, hi): (&[T], &[T]) = (lo, hi);
    let end = write.0 + write.1;
    let reads = reads.map(|(o, n)| {
        if o + n <= write.0 {
            &lo[o..o + n]
        } else if o >= end {
            &hi[o - end..o - end + n]
        } else {
            panic!("kiln bug: an embedded read region overlaps the written one")
        }
    });
    (reads, w)
}

/// `y = a + b`, element by element: a residual block's join before its activation (the
/// heap-backed `Residual` and the embedded form both).
pub fn add<T: Float>(a: &[T], b: &[T], y: &mut [T]) {
    for ((y, &a), &b) in y.iter_mut().zip(a).zip(b) {
        *y = a + b;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_on_either_side_of_the_written_one() {
        let mut work: [f32; 10] = core::array::from_fn(|i| i as f32);
        let ([a, b], w) = split_work(&mut work, [(0, 2), (7, 3)], (3, 4));
        assert_eq!((a, b), (&[0.0, 1.0][..], &[7.0, 8.0, 9.0][..]));
        add(a, &b[..2], &mut w[..2]);
        assert_eq!(work[3..5], [7.0, 9.0]);
    }

    #[test]
    #[should_panic(expected = "overlaps")]
    fn an_overlap_is_a_bug() {
        let mut work = [0.0f64; 8];
        let _ = split_work(&mut work, [(2, 3)], (4, 2));
    }
}
