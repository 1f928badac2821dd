//! The one operation data-parallel training needs between replicas: an element-wise sum that
//! every replica receives bit for bit the same. Thread replicas implement it over shared
//! memory ([`crate::replica::ThreadGroup`]); processes implement it over their transport.

/// Sums vectors across the replicas of one data-parallel step.
///
/// Every replica calls [`Collective::sum`] the same number of times in the same order with
/// vectors of the same length (the layers of one network in one pass); a call blocks until
/// every replica has made it.
pub trait Collective: Send + Sync {
    /// Number of replicas taking part.
    fn replicas(&self) -> usize;

    /// Replaces `v` of replica `rank` with the element-wise sum of every replica's `v`, added
    /// in rank order (`v0 + v1 + ...`), so every replica gets the same bits whatever the
    /// timing.
    fn sum(&self, rank: usize, v: &mut [f64]);
}

/// `out` = the element-wise sum of `parts` (each as long as `out`), added in rank order:
/// the first copied, the others added one after the other, so every caller with the same
/// parts gets the same bits. The sum behind every [`Collective`].
pub fn add_in_rank_order<'a>(parts: impl IntoIterator<Item = &'a [f64]>, out: &mut [f64]) {
    let mut parts = parts.into_iter();
    if let Some(first) = parts.next() {
        out.copy_from_slice(first);
    }
    for part in parts {
        for (t, &x) in out.iter_mut().zip(part) {
            *t += x;
        }
    }
}
