//! Data-parallel training across processes over MPI (feature `mpi`): [`Mpi`] is the
//! [`Processes`] transport of [`crate::train::Fit::processes`] and
//! [`kiln_runtime::replica::Replicas::across`], on the system's MPI library (Open MPI,
//! MPICH) through the `mpi` crate.
//!
//! Start the program with the MPI launcher, one process per replica:
//!
//! ```text
//! cargo build --release --features mpi --example train
//! mpirun -n 2 target/release/examples/train
//! ```
//!
//! - The gradient sum is one `MPI_Allreduce` (the library picks its algorithm: ring,
//!   recursive doubling...), checked to give every process the same bits, so the replicas'
//!   weights never drift apart.
//! - Batch norm's small per-channel sums are an allgather added up in rank order.
//! - Processes sharing a machine split its cores between their products.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use mpi::collective::{CommunicatorCollectives, Root, SystemOperation};
use mpi::datatype::{Equivalence, PartitionMut};
use mpi::environment::Universe;
use mpi::topology::{Color, Communicator, SimpleCommunicator};
use mpi::Threading;

use kiln_runtime::collective::{add_in_rank_order, Collective};
use kiln_runtime::float::Float;
use kiln_runtime::processes::Processes;

use crate::train::TrainError;

/// A communicator that kiln uses from one thread at a time (every call holds [`Mpi`]'s lock).
struct Comm(SimpleCommunicator);

// SAFETY: MPI is initialised with at least `Threading::Serialized` (checked in `Mpi::init`),
// which allows calls from any thread as long as no two run at once; every use of a `Comm`
// holds the library's lock.
unsafe impl Send for Comm {}
// SAFETY: as for `Send`: shared use holds the library's lock.
unsafe impl Sync for Comm {}

/// This process's place among the processes of an MPI job: the [`Processes`] of a
/// data-parallel run. Dropping the last handle finalises MPI.
pub struct Mpi {
    world: Comm,
    rank: usize,
    size: usize,
    /// The allreduce's receive buffers, kept from step to step.
    scratch_f32: Mutex<Vec<f32>>,
    scratch_f64: Mutex<Vec<f64>>,
    library: Arc<Library>,
}

/// The initialised library: every communicator holds it, so MPI is finalised (when the
/// last one drops) after every communicator is freed.
struct Library {
    /// Held by every MPI call kiln makes.
    lock: Mutex<()>,
    _universe: Universe,
}

impl Library {
    fn lock(&self) -> MutexGuard<'_, ()> {
        self.lock.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Mpi {
    /// Initialises MPI (once per process) and, when several processes share this machine,
    /// splits its cores between their products (unless `KILN_NUM_THREADS` says otherwise).
    pub fn init() -> Result<Arc<Mpi>, TrainError> {
        let invalid = |why: String| TrainError::Invalid { what: "MPI", why };
        let (universe, threading) = mpi::initialize_with_threading(Threading::Serialized)
            .ok_or_else(|| invalid("it is already initialised in this process".into()))?;
        if threading < Threading::Serialized {
            return Err(invalid(format!(
                "the MPI library gives thread level {threading:?}; kiln needs Serialized"
            )));
        }
        let world = universe.world();
        let (rank, size) = (world.rank() as usize, world.size() as usize);
        let on_this_machine = world.split_shared(world.rank()).size() as usize;
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        kiln_runtime::gemm::limit_threads(cores / on_this_machine.max(1));
        Ok(Arc::new(Mpi {
            world: Comm(world),
            rank,
            size,
            scratch_f32: Mutex::new(Vec::new()),
            scratch_f64: Mutex::new(Vec::new()),
            library: Arc::new(Library {
                lock: Mutex::new(()),
                _universe: universe,
            }),
        }))
    }

    fn lock(&self) -> MutexGuard<'_, ()> {
        self.library.lock()
    }
}

/// Element-wise sum over `comm` with the same bits everywhere: one `MPI_Allreduce` (the MPI
/// library's tuned algorithm) into `scratch`, copied back. Between two processes every
/// element is one addition, the same bits on both; for more, the standard does not promise
/// equal bits, so a checksum of the result is compared and, should it differ anywhere,
/// process 0's result is sent to all.
fn sum_shared<X: Float + Equivalence>(
    comm: &SimpleCommunicator,
    v: &mut [X],
    scratch: &mut Vec<X>,
) {
    let size = comm.size();
    if size == 1 || v.is_empty() {
        return;
    }
    if scratch.len() < v.len() {
        scratch.resize(v.len(), X::ZERO);
    }
    let sum = &mut scratch[..v.len()];
    comm.all_reduce_into(&*v, &mut *sum, SystemOperation::sum());
    v.copy_from_slice(sum);
    if size > 2 {
        let mine = checksum(v);
        let mut all = vec![0u64; size as usize];
        comm.all_gather_into(&mine, &mut all[..]);
        if all.iter().any(|&h| h != all[0]) {
            comm.process_at_rank(0).broadcast_into(v);
        }
    }
}

/// A hash of `v`'s bits (FNV-1a over the values' bits).
fn checksum<X: Float>(v: &[X]) -> u64 {
    v.iter().fold(0xcbf2_9ce4_8422_2325, |h, x| {
        (h ^ x.to_f64().to_bits()).wrapping_mul(0x0100_0000_01b3)
    })
}

impl Processes for Mpi {
    fn rank(&self) -> usize {
        self.rank
    }

    fn size(&self) -> usize {
        self.size
    }

    fn sum_f64(&self, v: &mut [f64]) {
        let _l = self.lock();
        let mut scratch = self
            .scratch_f64
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        sum_shared(&self.world.0, v, &mut scratch);
    }

    fn sum_f32(&self, v: &mut [f32]) {
        let _l = self.lock();
        let mut scratch = self
            .scratch_f32
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        sum_shared(&self.world.0, v, &mut scratch);
    }

    fn gather_bytes(&self, mine: &[u8]) -> Vec<Vec<u8>> {
        let _l = self.lock();
        let world = &self.world.0;
        let mut lengths = vec![0i32; self.size];
        world.all_gather_into(&(mine.len() as i32), &mut lengths[..]);
        let displs: Vec<i32> = lengths
            .iter()
            .scan(0, |at, &n| {
                let d = *at;
                *at += n;
                Some(d)
            })
            .collect();
        let mut all = vec![0u8; lengths.iter().map(|&n| n as usize).sum()];
        let mut parts = PartitionMut::new(&mut all[..], &lengths[..], &displs[..]);
        world.all_gather_varcount_into(mine, &mut parts);
        lengths
            .iter()
            .zip(&displs)
            .map(|(&n, &d)| all[d as usize..(d + n) as usize].to_vec())
            .collect()
    }

    fn broadcast_bytes(&self, bytes: &mut Vec<u8>) {
        let _l = self.lock();
        let root = self.world.0.process_at_rank(0);
        let mut len = bytes.len() as u64;
        root.broadcast_into(&mut len);
        bytes.resize(len as usize, 0);
        root.broadcast_into(&mut bytes[..]);
    }

    fn first(&self, n: usize) -> Option<Arc<dyn Collective>> {
        let _l = self.lock();
        let color = if self.rank < n {
            Color::with_value(0)
        } else {
            Color::undefined()
        };
        let comm = self.world.0.split_by_color(color)?;
        Some(Arc::new(Group {
            comm: Comm(comm),
            library: self.library.clone(),
        }))
    }
}

/// Batch norm's sums among some of the processes: an allgather added up in rank order.
struct Group {
    // Freed before the library it holds.
    comm: Comm,
    library: Arc<Library>,
}

impl Collective for Group {
    fn replicas(&self) -> usize {
        self.comm.0.size() as usize
    }

    fn sum(&self, _rank: usize, v: &mut [f64]) {
        let _l = self.library.lock();
        let mut all = vec![0.0; v.len() * self.replicas()];
        self.comm.0.all_gather_into(&*v, &mut all[..]);
        add_in_rank_order(all.chunks_exact(v.len().max(1)), v);
    }
}
