//! What data-parallel training needs from a transport between processes (MPI ranks, one
//! replica each): sums that give every process the same bits, byte exchanges, and the
//! collective of the processes that have samples in a step. kiln's `mpi` feature implements
//! it over the system's MPI library.

use std::sync::Arc;

use crate::collective::Collective;

/// The processes training one network together, one replica each.
///
/// Every process makes the same calls in the same order; each call returns when every
/// process of the group has made it.
pub trait Processes: Send + Sync {
    /// This process's rank, `0..size()`.
    fn rank(&self) -> usize;

    /// Number of processes.
    fn size(&self) -> usize;

    /// Replaces `v` by the element-wise sum of every process's `v`; every process receives
    /// the same bits, so replicas that apply the same update keep the same weights.
    fn sum_f64(&self, v: &mut [f64]);

    /// [`Processes::sum_f64`] for `f32` (gradients of `f32` networks travel as `f32`).
    fn sum_f32(&self, v: &mut [f32]);

    /// Every process's `mine`, in rank order (lengths may differ).
    fn gather_bytes(&self, mine: &[u8]) -> Vec<Vec<u8>>;

    /// Replaces `bytes` on every process by process 0's.
    fn broadcast_bytes(&self, bytes: &mut Vec<u8>);

    /// The sums among processes `0..n` (batch norm's, on a step whose batch has samples for
    /// only the first `n`): every process calls it with the same `n`; the others get `None`.
    fn first(&self, n: usize) -> Option<Arc<dyn Collective>>;
}
