//! Data-parallel training: `R` replicas each hold the network and a training state, take a
//! contiguous part of every global batch, and join their gradients before one optimiser
//! step, so a step equals the single-process step over the whole batch (to the reordering
//! of sums).
//!
//! - Each replica's loss and gradient are weighted by its share of what the loss averages
//!   over ([`crate::loss::Loss::mean_over`]), then the gradients are summed in rank order.
//! - Batch norm takes its statistics over the global batch (synchronised batch norm): the
//!   replicas sum their per-channel sums in the forward and backward passes, so every
//!   replica normalises, and updates its running statistics, exactly as the single process
//!   does.
//! - Dropout draws each sample's mask from the place in the random stream the
//!   single-process run draws it from ([`crate::train_ctx::TrainCtx::draw_rows`]), so the
//!   masks do not depend on the number of replicas.
//! - Sequence networks are split by sequences (each replica takes the time-major rows of its
//!   sequences).
//!
//! [`Replicas`] runs the replicas as threads of one process, or one per process across
//! processes ([`Replicas::across`], over a [`crate::processes::Processes`] such as kiln's
//! MPI transport); the sums inside the passes go through a
//! [`crate::collective::Collective`]. Across processes, the gradients, the loss and a
//! failure flag per process are joined by one sum over a single flat buffer per step.

mod across;
mod part;
mod replicas;
mod split;
mod thread_group;

pub use replicas::Replicas;
pub use split::{part_of, part_range};
pub use thread_group::ThreadGroup;
