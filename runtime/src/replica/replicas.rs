//! [`Replicas`]: data-parallel training on threads of one process.

use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::across::Across;
use super::part::{Agreement, Given, Part};
use super::split::{part_range, shard_targets};
use super::thread_group::ThreadGroup;
use crate::collective::Collective as _;
use crate::error::{KilnError, Result};
use crate::float::Float;
use crate::loss::Loss;
use crate::network::{batch_of, guarded_step, Network};
use crate::optim::Optimizer;
use crate::processes::Processes;

/// `R` replicas of a network training as one: replica 0 is the caller's network and
/// [`Replicas::lead`] its training state, where the joined gradients land; the others are
/// copies that take the caller's parameters and buffers at the start of every step.
///
/// A step over a batch equals [`crate::train_step`] over the same batch (see
/// [`crate::replica`]):
///
/// ```
/// use kiln::prelude::*;
/// use kiln::runtime::optim::Sgd;
/// use kiln::runtime::replica::Replicas;
///
/// kiln::network! {
///     struct Net { input: [3], layers: [dense(8), relu, dropout(0.2), dense(2)], loss: softmax_cross_entropy }
/// }
///
/// let x: Vec<f64> = (0..24).map(|i| (i as f64 * 0.37).sin()).collect(); // 8 samples
/// let y = [0, 1, 1, 0, 1, 0, 0, 1];
/// let (mut one, mut two) = (Net::<f64>::new(&mut seeded(1)), Net::<f64>::new(&mut seeded(1)));
/// let (mut opt1, mut opt2) = (Sgd::new(0.1)?, Sgd::new(0.1)?);
/// let mut state = one.train_state(7);
/// let mut replicas = Replicas::new(&two, 2, 7)?;
/// for _ in 0..3 {
///     let a = kiln::runtime::train_step(&mut one, &x, &y, &mut opt1, &mut state)?;
///     let b = replicas.train_step(&mut two, &x, &y, &mut opt2)?;
///     assert!((a - b).abs() < 1e-12 * a.abs());
/// }
/// # Ok::<(), kiln::KilnError>(())
/// ```
pub struct Replicas<T: Float, N: Network<T>> {
    lead: N::Train,
    others: Others<T, N>,
    /// Across processes: this process's side (its replica is the caller's network).
    across: Option<Across<T>>,
}

/// The replicas besides the caller's, and what a step needs around them.
struct Others<T: Float, N: Network<T>> {
    replicas: Vec<(N, N::Train)>,
    /// The sums of the last step's replicas (a group per replica count).
    group: Arc<ThreadGroup>,
    lengths: Vec<usize>,
    /// Samples of the global batch the last step was given.
    given: std::ops::Range<usize>,
    /// The caller's parameters and buffers, flat, copied into the other replicas.
    flat: Vec<T>,
    /// Replicas of the last step (fewer than all when its batch had fewer samples) and the
    /// samples of its batch.
    active: usize,
    samples: usize,
    /// Time spent joining replicas (weights copied out, gradients summed), over `joins`
    /// steps.
    joined: Duration,
    joins: u64,
}

impl<T: Float, N: Network<T> + Clone> Replicas<T, N> {
    /// `replicas` replicas (at least 1) of `net`, their training states seeded with `seed`
    /// (as [`Network::new_train`]: dropout draws as the single-process run's would).
    pub fn new(net: &N, replicas: usize, seed: u64) -> Result<Self> {
        if replicas == 0 {
            return Err(KilnError::InvalidHyperParameter {
                what: "number of replicas",
                value: 0.0,
                why: "must be at least 1",
            });
        }
        Ok(Replicas {
            lead: net.new_train(seed),
            others: Others {
                replicas: (1..replicas)
                    .map(|_| (net.clone(), net.new_train(seed)))
                    .collect(),
                group: Arc::new(ThreadGroup::new(replicas)),
                lengths: Vec::new(),
                given: 0..0,
                flat: Vec::new(),
                active: 0,
                samples: 0,
                joined: Duration::ZERO,
                joins: 0,
            },
            across: None,
        })
    }

    /// This process's replica of a run across `processes` (one replica per process, e.g.
    /// MPI ranks): `net` takes process 0's parameters and buffers, so every process starts
    /// from the same weights, and its training state is seeded with `seed`. Every process
    /// then passes the same global batches (or, through
    /// [`Replicas::forward_backward_part`], only its [`Replicas::part`] of them) and applies
    /// the same update to the same joined gradients.
    pub fn across(processes: Arc<dyn Processes>, net: &mut N, seed: u64) -> Result<Self> {
        let mut r = Self::new(net, 1, seed)?;
        let mut flat = Vec::new();
        flatten_weights(net, &mut flat);
        let mut bytes: Vec<u8> = flat.iter().flat_map(|v| v.to_f64().to_le_bytes()).collect();
        processes.broadcast_bytes(&mut bytes);
        if bytes.len() != flat.len() * 8 {
            return Err(KilnError::LengthMismatch {
                what: "weights broadcast by process 0 (is every process running the same network?)",
                expected: flat.len(),
                actual: bytes.len() / 8,
            });
        }
        for (v, b) in flat.iter_mut().zip(bytes.chunks_exact(8)) {
            *v = T::from_f64(f64::from_le_bytes(b.try_into().expect("8 bytes")));
        }
        copy_weights(net, &flat);
        r.across = Some(Across::new(processes));
        Ok(r)
    }
}

impl<T: Float, N: Network<T>> Replicas<T, N> {
    /// Number of replicas (across processes: the number of processes).
    pub fn replicas(&self) -> usize {
        match &self.across {
            Some(a) => a.processes.size(),
            None => 1 + self.others.replicas.len(),
        }
    }

    /// The processes of a run across processes.
    pub fn processes(&self) -> Option<&Arc<dyn Processes>> {
        self.across.as_ref().map(|a| &a.processes)
    }

    /// The samples of a global batch of `samples` this process's replica takes: all of them
    /// on threads of one process; its contiguous part across processes (empty when the batch
    /// has fewer samples than there are processes and this one has none).
    pub fn part(&self, samples: usize) -> std::ops::Range<usize> {
        match &self.across {
            Some(a) => a.part(samples),
            None => 0..samples,
        }
    }

    /// Replica 0's training state: the joined gradients after a step, and the settings
    /// (clipping, the guard, frozen tensors) the step reads.
    pub fn lead(&mut self) -> &mut N::Train {
        &mut self.lead
    }

    /// Applies `f` to every replica's training state (for settings: steps, frozen tensors,
    /// clipping, re-seeding).
    pub fn each_state(&mut self, mut f: impl FnMut(&mut N::Train)) {
        f(&mut self.lead);
        self.others.replicas.iter_mut().for_each(|(_, t)| f(t));
    }

    /// Mean seconds per step spent joining the replicas on the caller's thread (copying the
    /// weights out to the other replicas and summing their gradients), over the steps that
    /// ran on more than one replica; 0 before any. Batch norm's sums inside the passes are
    /// not included.
    ///
    /// Across processes: the mean seconds per step of the sum of the flat gradient buffer
    /// across processes (the allreduce, with copying the gradients in and out).
    pub fn join_seconds(&self) -> f64 {
        if let Some(a) = &self.across {
            return a.sum_seconds();
        }
        let o = &self.others;
        o.joined.as_secs_f64() / o.joins.max(1) as f64
    }

    /// Each sequence's length in the next steps (padded batches; empty: all full). Each
    /// replica gets the lengths of its own sequences.
    pub fn set_lengths(&mut self, lengths: &[usize]) {
        self.others.lengths.clear();
        self.others.lengths.extend_from_slice(lengths);
    }

    /// Forward, loss and backward over the global batch `x`, the joined gradients left in
    /// [`Replicas::lead`]; returns the loss over the whole batch.
    pub fn forward_backward<Y>(&mut self, net: &mut N, x: &[T], target: &[Y]) -> Result<T>
    where
        Y: Clone + Send + Sync,
        N::Loss: Loss<T, Target = [Y]>,
    {
        let given = Given::whole(x, target, N::steps(&self.lead).max(1), N::INPUT)?;
        let (across, samples) = (self.across.as_mut(), given.rows.len());
        self.others
            .step(across, net, &mut self.lead, &given, samples)
    }

    /// [`Replicas::forward_backward`] given only samples [`Replicas::part`]`(samples)` of a
    /// global batch of `samples` (inputs and targets laid out as for a batch of that part
    /// alone): across processes, each process reads only its own rows.
    pub fn forward_backward_part<Y>(
        &mut self,
        net: &mut N,
        x: &[T],
        target: &[Y],
        samples: usize,
    ) -> Result<T>
    where
        Y: Clone + Send + Sync,
        N::Loss: Loss<T, Target = [Y]>,
    {
        let given = Given {
            x,
            target,
            rows: self.part(samples),
        };
        let across = self.across.as_mut();
        self.others
            .step(across, net, &mut self.lead, &given, samples)
    }

    /// A whole data-parallel step: [`Replicas::forward_backward`], then the guard's checks,
    /// clipping and the optimiser's update on the caller's network (as
    /// [`crate::train_step`], whose guard it shares); returns the loss.
    pub fn train_step<Y>(
        &mut self,
        net: &mut N,
        x: &[T],
        target: &[Y],
        opt: &mut dyn Optimizer<T>,
    ) -> Result<T>
    where
        Y: Clone + Send + Sync,
        N::Loss: Loss<T, Target = [Y]>,
    {
        let (others, across) = (&mut self.others, &mut self.across);
        guarded_step(net, opt, &mut self.lead, |net, lead| {
            let given = Given::whole(x, target, N::steps(lead).max(1), N::INPUT)?;
            let samples = given.rows.len();
            others.step(across.as_mut(), net, lead, &given, samples)
        })
    }

    /// Calls `f(output, targets)` for each replica's output of the last step, in rank order,
    /// with its part of the step's `target` (the target the step was given: for metrics over
    /// the whole batch). Across processes, only this process's replica's.
    pub fn each_output<Y: Clone>(
        &mut self,
        target: &[Y],
        mut f: impl FnMut(&[T], &[Y]),
    ) -> Result<()> {
        let (active, n) = (self.others.active, self.others.samples);
        let steps = N::steps(&self.lead).max(1);
        let given = self.others.given.clone();
        // Each replica here with its samples of the global batch.
        let parts: Vec<_> = match &self.across {
            Some(a) => Some(a.part(n))
                .filter(|p| !p.is_empty())
                .into_iter()
                .collect(),
            None => (0..active).map(|p| part_range(n, active, p)).collect(),
        };
        let rest = self.others.replicas.iter_mut().map(|(_, t)| t);
        for (t, part) in core::iter::once(&mut self.lead).chain(rest).zip(parts) {
            let out = N::output_and_grad(t).0;
            let mine = part.start - given.start..part.end - given.start;
            let rows = out.len() / N::OUTPUT;
            f(
                out,
                &shard_targets(target, rows, steps, given.len(), &mine)?,
            );
        }
        Ok(())
    }
}

impl<T: Float, N: Network<T>> Others<T, N> {
    /// One step's forward and backward over the rows `given` holds of a global batch of
    /// `samples`: across processes through `across`, else on the threads.
    fn step<Y>(
        &mut self,
        across: Option<&mut Across<T>>,
        net: &mut N,
        lead: &mut N::Train,
        given: &Given<'_, T, Y>,
        samples: usize,
    ) -> Result<T>
    where
        Y: Clone + Send + Sync,
        N::Loss: Loss<T, Target = [Y]>,
    {
        self.given = given.rows.clone();
        match across {
            Some(a) => {
                self.samples = samples;
                a.run(net, lead, given, samples, &self.lengths)
            }
            None => self.run(net, lead, given),
        }
    }

    /// One data-parallel forward and backward: the global batch split, every replica's pass
    /// on its own thread (replica 0 on the caller's), the gradients summed into `lead`.
    fn run<Y>(&mut self, net: &mut N, lead: &mut N::Train, given: &Given<'_, T, Y>) -> Result<T>
    where
        Y: Clone + Send + Sync,
        N::Loss: Loss<T, Target = [Y]>,
    {
        let (x, target) = (given.x, given.target);
        let steps = N::steps(lead).max(1);
        let samples = batch_of("network input", x.len(), steps * N::INPUT)?;
        let active = (1 + self.replicas.len()).min(samples);
        (self.active, self.samples) = (active, samples);
        if active == 1 {
            if let Some(ctx) = N::train_ctx(lead) {
                ctx.set_shard(None);
            }
            N::set_lengths(lead, &self.lengths);
            return crate::network::forward_backward(net, x, target, lead);
        }
        if self.group.replicas() != active {
            self.group = Arc::new(ThreadGroup::new(active));
        }
        self.group.reset();
        let start = Instant::now();
        flatten_weights(net, &mut self.flat);
        let mut joined = start.elapsed();
        let loss = self.run_parts(net, lead, given, active, steps)?;
        let start = Instant::now();
        self.sum_grads(lead, active);
        joined += start.elapsed();
        self.joined += joined;
        self.joins += 1;
        Ok(T::from_f64(loss))
    }

    /// Every active replica's part of the step, each on its own thread; returns the loss
    /// over the global batch, or the error of the replica that failed first.
    fn run_parts<Y>(
        &mut self,
        net: &mut N,
        lead: &mut N::Train,
        given: &Given<'_, T, Y>,
        active: usize,
        steps: usize,
    ) -> Result<f64>
    where
        Y: Clone + Send + Sync,
        N::Loss: Loss<T, Target = [Y]>,
    {
        let samples = self.samples;
        let part = |p: usize| Part {
            rank: p,
            samples: part_range(samples, active, p),
            global: samples,
            steps,
        };
        let (group, lengths, flat) = (&self.group, &self.lengths[..], &self.flat[..]);
        let replicas = core::iter::once((&mut *net, &mut *lead))
            .chain(self.replicas[..active - 1].iter_mut().map(|(n, t)| (n, t)));
        let slots: Vec<Mutex<(&mut N, &mut N::Train)>> = replicas.map(Mutex::new).collect();
        let shares: Vec<Mutex<Option<Result<f64>>>> =
            (0..active).map(|_| Mutex::new(None)).collect();
        let work = |p: usize| {
            let mut slot = slots[p].lock().unwrap_or_else(PoisonError::into_inner);
            let (n, t) = &mut *slot;
            let ran = catch_unwind(AssertUnwindSafe(|| {
                if p > 0 {
                    // Each replica takes the caller's weights on its own thread.
                    copy_weights(*n, flat);
                }
                let r = crate::gemm::serial(|| {
                    part(p).run(*n, *t, given, lengths, group.clone(), Agreement::Threads)
                });
                if r.is_err() {
                    // Release the other replicas from their sums.
                    group.abort(p);
                }
                r
            }));
            match ran {
                Ok(r) => *shares[p].lock().unwrap_or_else(PoisonError::into_inner) = Some(r),
                Err(panic) => {
                    group.abort(p);
                    resume_unwind(panic);
                }
            }
        };
        // The GEMM pool's persistent threads keep their buffers from step to step; when it
        // is busy or smaller than the replicas, threads of their own.
        if !crate::gemm::try_parallel_fn(active, &work) {
            std::thread::scope(|s| {
                let work = &work;
                for p in 1..active {
                    s.spawn(move || work(p));
                }
                work(0);
            });
        }
        drop(slots);
        let mut shares: Vec<Result<f64>> = shares
            .into_iter()
            .map(|m| {
                let r = m.into_inner().unwrap_or_else(PoisonError::into_inner);
                r.expect("every replica's part ran")
            })
            .collect();
        if let Some(first) = self.group.first_abort() {
            // The others' errors, if any, follow from the abort.
            return shares.swap_remove(first);
        }
        shares.into_iter().sum()
    }

    /// Adds the gradients of replicas `1..active` to `lead`'s, in rank order.
    fn sum_grads(&mut self, lead: &mut N::Train, active: usize) {
        let g0 = N::grads_mut(lead);
        for (_, t) in &self.replicas[..active - 1] {
            g0.visit_with_grads(N::grads(t), &mut |p| {
                for (v, &g) in p.value.iter_mut().zip(p.grad) {
                    *v += g;
                }
            });
        }
    }
}

/// The parameters, then the buffers, of `net` into `flat`.
fn flatten_weights<T: Float, N: Network<T>>(net: &N, flat: &mut Vec<T>) {
    flat.clear();
    net.visit_params(&mut |_, _, v| flat.extend_from_slice(v));
    net.visit_buffers(&mut |_, v| flat.extend_from_slice(v));
}

/// [`flatten_weights`]'s output back into a network of the same type.
fn copy_weights<T: Float, N: Network<T>>(net: &mut N, flat: &[T]) {
    let mut at = 0;
    let mut copy = |v: &mut [T]| {
        v.copy_from_slice(&flat[at..at + v.len()]);
        at += v.len();
    };
    net.visit_params_mut(&mut |_, _, v| copy(v));
    net.visit_buffers_mut(&mut |_, v| copy(v));
}
