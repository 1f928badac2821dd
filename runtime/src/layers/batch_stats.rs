//! Batch statistics over the whole global batch in data-parallel training (synchronised
//! batch norm, as PyTorch's `SyncBatchNorm`): a replica's per-channel partial sums are summed
//! across replicas, so every replica normalises with the statistics the single-process run
//! computes. Without a shard the sums pass through untouched.

use crate::error::{KilnError, Result};
use crate::float::Float;
use crate::train_ctx::Shard;

/// Sums `v` across the replicas of `shard` (in place; a no-op without one).
pub(crate) fn sum_across<T: Float>(shard: Option<&Shard>, v: &mut [T]) {
    sum_with_count(shard, v, 0);
}

/// [`sum_across`] that also sums `count`, this replica's number of values per channel, and
/// returns the global count (`count` itself without a shard).
pub(crate) fn sum_with_count<T: Float>(shard: Option<&Shard>, v: &mut [T], count: usize) -> usize {
    let Some(s) = shard else { return count };
    let mut all: Vec<f64> = v.iter().map(|x| x.to_f64()).collect();
    all.push(count as f64);
    s.sum(&mut all);
    for (x, &a) in v.iter_mut().zip(&all) {
        *x = T::from_f64(a);
    }
    all[v.len()] as usize
}

/// The per-channel backward sums `gw` (of `dy x^`) and `gb` (of `dy`) over the global batch:
/// summed across the replicas of `shard` into `joined`, or `gw` and `gb` themselves without
/// one. The layer's gradients keep this replica's own sums.
pub(crate) fn global_sums<'a, T: Float>(
    shard: Option<&Shard>,
    gw: &'a [T],
    gb: &'a [T],
    joined: &'a mut Vec<T>,
) -> (&'a [T], &'a [T]) {
    let Some(s) = shard else { return (gw, gb) };
    joined.clear();
    joined.extend_from_slice(gw);
    joined.extend_from_slice(gb);
    sum_across(Some(s), joined);
    joined.split_at(gw.len())
}

/// `count` (values per channel over the global batch) as `T`, or the error naming `what` when
/// fewer than 2 leave no variance to estimate.
pub(crate) fn counted<T: Float>(count: usize, what: &'static str, why: &'static str) -> Result<T> {
    if count < 2 {
        return Err(KilnError::InvalidHyperParameter {
            what,
            value: count as f64,
            why,
        });
    }
    Ok(T::from_usize(count))
}
