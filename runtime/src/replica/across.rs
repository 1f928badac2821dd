//! A data-parallel step across processes: this process's replica runs its part of the
//! global batch, then one sum over a single flat buffer (every gradient, the loss share and
//! a failure flag per process) joins the processes before the update.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::part::{Agreement, Given, Part};
use super::split::part_of;
use crate::collective::Collective;
use crate::error::{KilnError, Result};
use crate::float::Float;
use crate::loss::Loss;
use crate::network::{batch_of, Network};
use crate::processes::Processes;

/// This process's side of a run across processes.
pub(super) struct Across<T> {
    pub processes: Arc<dyn Processes>,
    /// The batch-norm sums among the first `n` processes, by `n` (made once each: making
    /// one is a collective call).
    groups: Vec<(usize, Option<Arc<dyn Collective>>)>,
    flat: Vec<T>,
    /// Time spent in the flat sum (with flattening the gradients and back), over `sums` steps.
    summed: Duration,
    sums: u64,
}

impl<T: Float> Across<T> {
    pub fn new(processes: Arc<dyn Processes>) -> Self {
        Across {
            processes,
            groups: Vec::new(),
            flat: Vec::new(),
            summed: Duration::ZERO,
            sums: 0,
        }
    }

    /// Mean seconds per step of the gradients' sum across processes.
    pub fn sum_seconds(&self) -> f64 {
        self.summed.as_secs_f64() / self.sums.max(1) as f64
    }

    /// Samples of a global batch of `samples` this process takes.
    pub fn part(&self, samples: usize) -> std::ops::Range<usize> {
        part_of(samples, self.processes.size(), self.processes.rank())
    }

    /// Forward, loss and backward of this process's part of a global batch of `global`
    /// samples, then the gradients (left in `train`) and the loss summed across processes.
    pub fn run<N, Y>(
        &mut self,
        net: &mut N,
        train: &mut N::Train,
        given: &Given<'_, T, Y>,
        global: usize,
        lengths: &[usize],
    ) -> Result<T>
    where
        N: Network<T>,
        Y: Clone,
        N::Loss: Loss<T, Target = [Y]>,
    {
        let steps = N::steps(train).max(1);
        let part = self.part(global);
        if !part.is_empty() {
            batch_of("network input", given.x.len(), steps * N::INPUT)?;
        }
        if given.rows.start > part.start || given.rows.end < part.end {
            return Err(KilnError::LengthMismatch {
                what: "samples given to this process (its part of the global batch)",
                expected: part.len(),
                actual: given.rows.len(),
            });
        }
        let active = self.processes.size().min(global);
        let group = self.group(active);
        let mine = match group {
            Some(sync) if !part.is_empty() => {
                let p = Part {
                    rank: self.processes.rank(),
                    samples: part,
                    global,
                    steps,
                };
                p.run(net, train, given, lengths, sync, Agreement::Processes)
            }
            _ => {
                N::grads_mut(train).visit_params_mut(&mut |_, _, g| g.fill(T::ZERO));
                Ok(0.0)
            }
        };
        self.join::<N>(train, mine)
    }

    /// The sums among the first `active` processes.
    fn group(&mut self, active: usize) -> Option<Arc<dyn Collective>> {
        if let Some((_, g)) = self.groups.iter().find(|(n, _)| *n == active) {
            return g.clone();
        }
        let g = self.processes.first(active);
        self.groups.push((active, g.clone()));
        g
    }

    /// Sums every process's gradients, loss share and failure flag in one flat buffer; the
    /// joined gradients replace this process's own.
    fn join<N: Network<T>>(&mut self, train: &mut N::Train, mine: Result<f64>) -> Result<T> {
        let start = Instant::now();
        let size = self.processes.size();
        let flat = &mut self.flat;
        flat.clear();
        N::grads_mut(train).visit_params_mut(&mut |_, _, g| flat.extend_from_slice(g));
        let grads = flat.len();
        flat.push(T::from_f64(*mine.as_ref().unwrap_or(&0.0)));
        // 2: this process failed; 1: it stopped because another did.
        let flag = match &mine {
            Ok(_) => T::ZERO,
            Err(KilnError::ProcessFailed { .. }) => T::ONE,
            Err(_) => T::from_f64(2.0),
        };
        let rank = self.processes.rank();
        flat.extend((0..size).map(|r| if r == rank { flag } else { T::ZERO }));
        T::sum_across(&*self.processes, flat);
        let flags = &flat[grads + 1..];
        if let Some(first) = flags.iter().position(|&f| f != T::ZERO) {
            let failed = flags.iter().position(|&f| f > T::ONE).unwrap_or(first);
            return Err(mine
                .err()
                .unwrap_or(KilnError::ProcessFailed { rank: failed }));
        }
        let mut at = 0;
        N::grads_mut(train).visit_params_mut(&mut |_, _, g| {
            g.copy_from_slice(&flat[at..at + g.len()]);
            at += g.len();
        });
        self.summed += start.elapsed();
        self.sums += 1;
        Ok(flat[grads])
    }
}
