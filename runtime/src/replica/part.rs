//! One replica's part of a data-parallel step: its rows of the global batch, the forward
//! pass, its share of the loss, and the backward pass.

use std::ops::Range;
use std::sync::Arc;

use super::split::{gather_rows, shard_targets};
use crate::collective::Collective;
use crate::error::{KilnError, Result};
use crate::float::Float;
use crate::loss::Loss;
use crate::network::{batch_of, Network};
use crate::train_ctx::Shard;

/// The rows of a global batch a caller hands over: samples `rows` of it (all of them, or
/// only the part of the replica that runs them), inputs time-major as the network takes them.
pub(super) struct Given<'a, T, Y> {
    pub x: &'a [T],
    pub target: &'a [Y],
    pub rows: Range<usize>,
}

impl<'a, T, Y> Given<'a, T, Y> {
    /// A whole global batch of samples of `steps` rows `width` wide.
    pub fn whole(x: &'a [T], target: &'a [Y], steps: usize, width: usize) -> Result<Self> {
        let samples = batch_of("network input", x.len(), steps * width)?;
        Ok(Given {
            x,
            target,
            rows: 0..samples,
        })
    }
}

/// How the replicas of a step learn their shares of the loss and of each other's failures.
#[derive(Clone, Copy)]
pub(super) enum Agreement {
    /// Threads of one process: a failing replica aborts the group, which releases the others.
    Threads,
    /// Processes: every part joins one sum of its share and a failure flag per process, so
    /// all of them see a failed loss and skip the backward pass together.
    Processes,
}

/// One replica's part of a step.
pub(super) struct Part {
    pub rank: usize,
    pub samples: Range<usize>,
    pub global: usize,
    pub steps: usize,
}

impl Part {
    /// The replica's forward, loss and backward on its samples; returns its share of the
    /// global loss.
    #[allow(clippy::too_many_arguments)]
    pub fn run<T, N, Y>(
        &self,
        net: &mut N,
        train: &mut N::Train,
        given: &Given<'_, T, Y>,
        lengths: &[usize],
        sync: Arc<dyn Collective>,
        agreement: Agreement,
    ) -> Result<f64>
    where
        T: Float,
        N: Network<T>,
        Y: Clone,
        N::Loss: Loss<T, Target = [Y]>,
    {
        self.enter::<T, N>(train, lengths, sync.clone())?;
        let mine = self.samples.start - given.rows.start..self.samples.end - given.rows.start;
        let x = gather_rows(given.x, self.steps, given.rows.len(), N::INPUT, &mine);
        if let Err(e) = net.forward_train_flat(&x, train) {
            let e = self.in_global_rows(e, self.steps > 1);
            if let Agreement::Processes = agreement {
                // The others learn of it where they agree on their shares (if no batch-norm
                // sum of theirs is still to come: then the MPI library stops the job).
                self.agree(Err(e.clone()), &*sync)?;
            }
            return Err(e);
        }
        let keep = N::output_rows_kept(train);
        let (out, d_out) = N::output_and_grad(train);
        let rows_out = out.len() / N::OUTPUT;
        let judged = shard_targets(given.target, rows_out, self.steps, given.rows.len(), &mine)
            .and_then(|target| {
                let loss = net.loss_fn();
                let value =
                    loss.loss_and_grad_kept(out, N::OUTPUT, &target, keep.as_deref(), d_out)?;
                let mean = loss.mean_over(out.len(), N::OUTPUT, &target, keep.as_deref())?;
                Ok((value.to_f64(), mean))
            })
            .map_err(|e| self.in_global_rows(e, rows_out != self.samples.len()));
        let (value, share) = match agreement {
            Agreement::Threads => {
                let (value, mean) = judged?;
                (value, self.share(mean, &*sync))
            }
            Agreement::Processes => self.agree(judged, &*sync)?,
        };
        if share != 1.0 {
            let w = T::from_f64(share);
            let d_out = N::output_and_grad(train).1;
            d_out
                .iter_mut()
                .for_each(|d| *d = if share == 0.0 { T::ZERO } else { *d * w });
        }
        net.backward_flat(&x, train, None)?;
        Ok(if share == 0.0 { 0.0 } else { value * share })
    }

    /// `e` with the row it names (of this part's rows, time-major `[steps, samples]` when
    /// `per_step`) numbered as in the global batch, as the single-process step names it.
    fn in_global_rows(&self, e: KilnError, per_step: bool) -> KilnError {
        let (start, n) = (self.samples.start, self.samples.len().max(1));
        let global = |i: usize| match per_step {
            true => i / n * self.global + start + i % n,
            false => start + i,
        };
        match e {
            KilnError::LabelOutOfRange {
                index,
                label,
                classes,
            } => KilnError::LabelOutOfRange {
                index: global(index),
                label,
                classes,
            },
            KilnError::TokenOutOfRange {
                index,
                value,
                vocab,
            } => KilnError::TokenOutOfRange {
                index: global(index),
                value,
                vocab,
            },
            e => e,
        }
    }

    /// Gives the training state this part's place in the batch and its sequences' lengths.
    fn enter<T: Float, N: Network<T>>(
        &self,
        train: &mut N::Train,
        lengths: &[usize],
        sync: Arc<dyn Collective>,
    ) -> Result<()> {
        if let Some(ctx) = N::train_ctx(train) {
            ctx.set_shard(Some(Shard {
                rank: self.rank,
                offset: self.samples.start,
                samples: self.samples.len(),
                global: self.global,
                sync,
            }));
        }
        if !lengths.is_empty() {
            let mine = lengths
                .get(self.samples.clone())
                .ok_or(KilnError::LengthMismatch {
                    what: "sequence lengths (one per sequence of the batch)",
                    expected: self.global,
                    actual: lengths.len(),
                })?;
            N::set_lengths(train, mine);
        }
        Ok(())
    }

    /// This part's share of a loss that averages over `mean` of its terms (`None`: a sum,
    /// whose parts add up as they are).
    fn share(&self, mean: Option<f64>, sync: &dyn Collective) -> f64 {
        let Some(mine) = mean else { return 1.0 };
        let mut all = [mine];
        sync.sum(self.rank, &mut all);
        if mine == 0.0 {
            0.0
        } else {
            mine / all[0]
        }
    }

    /// [`Part::share`] across processes, joined with a failure flag per process: a part whose
    /// loss failed returns its error, the others [`KilnError::ProcessFailed`], before any
    /// backward pass (whose batch-norm sums the failed part would not join).
    fn agree(
        &self,
        judged: Result<(f64, Option<f64>)>,
        sync: &dyn Collective,
    ) -> Result<(f64, f64)> {
        let mut all = vec![0.0; 1 + sync.replicas()];
        match &judged {
            Ok((_, mean)) => all[0] = mean.unwrap_or(0.0),
            Err(_) => all[1 + self.rank] = 1.0,
        }
        sync.sum(self.rank, &mut all);
        if let Some(rank) = all[1..].iter().position(|&f| f != 0.0) {
            return Err(judged.err().unwrap_or(KilnError::ProcessFailed { rank }));
        }
        let (value, mean) = judged?;
        let share = match mean {
            None => 1.0,
            Some(0.0) => 0.0,
            Some(mine) => mine / all[0],
        };
        Ok((value, share))
    }
}
