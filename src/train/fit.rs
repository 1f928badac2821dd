//! The training loop: epochs of shuffled mini-batches with any optimiser and schedule, a
//! progress display, per-epoch validation, early stopping, checkpoints a run resumes from
//! exactly, a training-curve plot, and a hook for the caller's own logging.
//!
//! Every random choice of epoch `e` (batch order, dropout masks, augmentation) is seeded by
//! `(seed, e)` alone, so a run resumed from the checkpoint written after epoch `e` repeats the
//! uninterrupted run bit for bit.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use kiln_runtime::float::Float;
use kiln_runtime::loss::Loss;
use kiln_runtime::network::{check_params, check_step, GradsOf, Network, WithGrads};
use kiln_runtime::optim::{clip_grad_norm, Optimizer};
use kiln_runtime::processes::Processes;
use kiln_runtime::replica::Replicas;
use kiln_runtime::restore_point::{put_weights, weights_into, RestorePoint};
use kiln_runtime::rng::seeded;
use kiln_runtime::schedule::LrSchedule;

use super::across::{agree, gather_outputs, read_shared};
use super::batch_memory::check_batch_memory;
use super::early_stopping::Verdict;
use super::evaluate::{check_fits, evaluate_across};
use super::fingerprint::fingerprint;
use super::loss_spikes::LossSpikes;
use super::{
    EarlyStopping, EpochRecord, History, Progress, ReduceLrOnPlateau, Tally, TargetKind, TrainError,
};
use crate::checkpoint::{
    load_training_from_bytes, load_weights, metadata_from_bytes, save_training, save_weights_with,
};
use crate::data::{permutation, Augment, Samples};

/// Epochs of history a training checkpoint keeps (the latest), so its size stays bounded
/// however long the run; early stopping and learning-rate reduction keep their own state.
const KEPT_EPOCHS: usize = 1000;

/// Where an epoch stands in the run, and the state its steps carry.
struct EpochRun<'p, T> {
    epoch: usize,
    per_epoch: usize,
    /// The state a failing (or skipped) step is put back to.
    point: &'p mut RestorePoint<T>,
    spikes: Option<&'p mut LossSpikes>,
}

/// What a callback wants after an epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// Go on with the next epoch.
    Continue,
    /// End the run after this epoch (its checkpoint and plot are still written).
    Stop,
}

type Callback<'a> = Box<dyn FnMut(&EpochRecord) -> Control + 'a>;

/// A training run's settings; [`Fit::run`] trains.
///
/// One epoch of a small classifier on the bundled digits:
///
/// ```
/// use kiln::data::digits;
/// use kiln::prelude::*;
/// use kiln::runtime::optim::Adam;
/// use kiln::train::Fit;
///
/// network! {
///     struct Mlp {
///         input: [64],
///         layers: [dense(32), relu, dense(10)],
///         loss: softmax_cross_entropy,
///     }
/// }
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let mut data = digits()?;
/// data.scale(1.0 / 16.0); // pixels 0..16 to [0, 1]
/// let (train, val) = data.split(0.8, 1)?;
/// let mut net = Mlp::<f32>::new(&mut seeded(1));
/// let mut opt = Adam::new(1e-2)?;
/// let fit = Fit::new(1, 32)?.seed(1).quiet(); // 1 epoch, batches of 32, no progress bar
/// let history = fit.run(&mut net, &mut opt, &train, Some(&val))?;
/// assert_eq!(history.epochs.len(), 1);
/// let val = history.last().unwrap().val.as_ref().unwrap();
/// assert!(val.accuracy.unwrap() > 0.5, "{val:?}");
/// # Ok(())
/// # }
/// ```
pub struct Fit<'a> {
    epochs: usize,
    batch: usize,
    seed: u64,
    eval_batch: usize,
    schedule: Option<Box<dyn LrSchedule + 'a>>,
    clip: Option<f64>,
    early: Option<EarlyStopping>,
    plateau: Option<ReduceLrOnPlateau>,
    metadata: Vec<(String, String)>,
    freeze: Vec<String>,
    checkpoint: Option<PathBuf>,
    resume: Option<PathBuf>,
    plot: Option<(PathBuf, String)>,
    augment: Option<Augment>,
    callbacks: Vec<Callback<'a>>,
    quiet: bool,
    check_finite: bool,
    spikes: Option<LossSpikes>,
    memory_limit: Option<u64>,
    replicas: usize,
    processes: Option<Arc<dyn Processes>>,
}

impl<'a> Fit<'a> {
    /// `epochs` passes over the training set in mini-batches of `batch` samples (the last
    /// batch of an epoch takes what is left). Both must be at least 1.
    pub fn new(epochs: usize, batch: usize) -> Result<Fit<'a>, TrainError> {
        for (what, v) in [("number of epochs", epochs), ("batch size", batch)] {
            if v == 0 {
                return Err(TrainError::Invalid {
                    what,
                    why: "must be at least 1".into(),
                });
            }
        }
        Ok(Fit {
            epochs,
            batch,
            seed: 0,
            eval_batch: 512,
            schedule: None,
            clip: None,
            early: None,
            plateau: None,
            metadata: Vec::new(),
            freeze: Vec::new(),
            checkpoint: None,
            resume: None,
            plot: None,
            augment: None,
            callbacks: Vec::new(),
            quiet: false,
            check_finite: true,
            spikes: None,
            memory_limit: None,
            replicas: 1,
            processes: None,
        })
    }

    /// Seed of the batch order, dropout masks and augmentation (default 0).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Samples per batch when evaluating (default 512; only speed depends on it).
    pub fn eval_batch(mut self, n: usize) -> Self {
        self.eval_batch = n.max(1);
        self
    }

    /// Sets the learning rate before every step `k` (0-based over the whole run).
    pub fn schedule(mut self, s: impl LrSchedule + 'a) -> Self {
        self.schedule = Some(Box::new(s));
        self
    }

    /// Rescales the gradients to a global L2 norm of at most `max_norm` before each update
    /// (PyTorch's `clip_grad_norm_`). `max_norm` must be finite and positive.
    pub fn clip_grad_norm(mut self, max_norm: f64) -> Result<Self, TrainError> {
        if !(max_norm.is_finite() && max_norm > 0.0) {
            return Err(TrainError::Invalid {
                what: "gradient clipping norm",
                why: format!("must be finite and > 0, got {max_norm}"),
            });
        }
        self.clip = Some(max_norm);
        Ok(self)
    }

    /// Stops when a validation metric stops improving.
    pub fn early_stopping(mut self, es: EarlyStopping) -> Self {
        self.early = Some(es);
        self
    }

    /// Lowers the learning rate when a validation metric stops improving (read after every
    /// epoch); not combined with a per-step [`Fit::schedule`].
    pub fn reduce_lr_on_plateau(mut self, p: ReduceLrOnPlateau) -> Self {
        self.plateau = Some(p);
        self
    }

    /// Extra entries for the metadata of every checkpoint the run writes (e.g. the data's
    /// [`crate::data::Scaling::metadata`], so the saved model predicts on raw rows).
    pub fn metadata(mut self, entries: Vec<(String, String)>) -> Self {
        self.metadata.extend(entries);
        self
    }

    /// Trains only part of the network (fine-tuning): the parameter tensors named, or under
    /// the layers named (`layers.0`, `layers.3.main`, `layers.0.bias`), keep their values, get
    /// no optimiser state, and the frozen layers at the front get no backward pass. An unknown
    /// name is an error when the run starts.
    pub fn freeze<S: AsRef<str>>(mut self, names: &[S]) -> Self {
        self.freeze
            .extend(names.iter().map(|n| n.as_ref().to_string()));
        self
    }

    /// Writes a training checkpoint to `path` after every epoch (and, with early stopping,
    /// the best epoch's weights to `<stem>.best.safetensors` beside it).
    pub fn checkpoint(mut self, path: impl Into<PathBuf>) -> Self {
        self.checkpoint = Some(path.into());
        self
    }

    /// Continues the run saved in `path` by [`Fit::checkpoint`]: weights, optimiser state,
    /// history (its latest 1000 epochs) and early-stopping state are restored and training
    /// resumes after the saved epoch. The run must use the same training set (its size,
    /// shape and a hash of its values are compared), batch size and seed.
    pub fn resume(mut self, path: impl Into<PathBuf>) -> Self {
        self.resume = Some(path.into());
        self
    }

    /// Writes the loss and accuracy curves (train vs validation) to `path` as SVG after every
    /// epoch, titled `title`.
    pub fn plot(mut self, path: impl Into<PathBuf>, title: &str) -> Self {
        self.plot = Some((path.into(), title.into()));
        self
    }

    /// Applies random image transforms to every training batch (never to validation).
    pub fn augment(mut self, a: Augment) -> Self {
        self.augment = Some(a);
        self
    }

    /// Calls `f` after every epoch with its record; [`Control::Stop`] ends the run.
    pub fn on_epoch(mut self, f: impl FnMut(&EpochRecord) -> Control + 'a) -> Self {
        self.callbacks.push(Box::new(f));
        self
    }

    /// The training guard (default on): every step checks its loss, its gradients and the
    /// updated parameters for NaN/infinity. A step that fails stops the run with an error
    /// naming the step and the first tensor that went non-finite, and the network (weights
    /// and batch norm statistics) and optimiser are put back exactly as they were before that
    /// step; no checkpoint with a non-finite value is ever written. Costs a copy of the
    /// weights and optimiser state and two checking passes per step. Off, only the loss is
    /// checked and a failure puts back the state of the epoch's start instead.
    pub fn check_finite(mut self, on: bool) -> Self {
        self.check_finite = on;
        self
    }

    /// Skips the update of a step whose batch loss is more than `factor` (> 1) times the
    /// running mean of the losses of the steps taken (about the last 50; judged from the
    /// 21st step), so one bad batch cannot wreck a run. The network and optimiser stay as
    /// before that step; each epoch's record counts its skipped steps.
    pub fn skip_loss_spikes(mut self, factor: f64) -> Result<Self, TrainError> {
        self.spikes = Some(LossSpikes::new(factor)?);
        Ok(self)
    }

    /// Refuses (before training) a batch whose training buffers would need more than `bytes`,
    /// estimated from two small passes over the declared network. Default: the memory the
    /// system reports available (Linux), so a batch too large for the machine is an error
    /// that names the largest batch that fits, not an aborted process.
    pub fn batch_memory_limit(mut self, bytes: u64) -> Self {
        self.memory_limit = Some(bytes);
        self
    }

    /// Trains on `n` thread replicas of the network (data parallelism, default 1): each
    /// takes a contiguous part of every batch and their gradients are joined before the
    /// one update, so the run equals the single-process run to the reordering of sums (batch
    /// norm takes the whole batch's statistics, dropout the same masks; see
    /// [`kiln_runtime::replica`]). It pays off where one replica's products are too small to
    /// split well across cores (small models at small batches). Checkpoints are the same
    /// whatever `n`, so a run resumes with any replica count. `n` must be at least 1.
    pub fn replicas(mut self, n: usize) -> Result<Self, TrainError> {
        if n == 0 {
            return Err(TrainError::Invalid {
                what: "number of replicas",
                why: "must be at least 1".into(),
            });
        }
        self.replicas = n;
        Ok(self)
    }

    /// Trains as one of several processes (data parallelism across processes, one replica
    /// each; with the `mpi` feature, `kiln::mpi::Mpi` over `mpirun`). Every process runs
    /// the same program with the same data and settings:
    /// - process 0's initial weights (or the checkpoint it resumes from, which only it
    ///   reads) go to every process;
    /// - each process gathers only its part of every batch (the whole batch with
    ///   [`Fit::augment`], whose transforms draw from one stream) and of every validation
    ///   batch;
    /// - one sum joins the gradients of a step, so every process applies the same update;
    /// - every process gets the same history; only process 0 shows progress and writes
    ///   checkpoints and the plot, and its callbacks' verdict (stop or go on) is every
    ///   process's.
    ///
    /// The run equals the single-process run to the reordering of sums, as with
    /// [`Fit::replicas`], and its checkpoints resume with any number of processes. Not
    /// combined with `replicas(n)` for `n > 1`: start more processes instead.
    pub fn processes(mut self, processes: Arc<dyn Processes>) -> Self {
        self.processes = Some(processes);
        self
    }

    /// No progress display or epoch lines (callbacks still run).
    pub fn quiet(mut self) -> Self {
        self.quiet = true;
        self
    }

    /// Trains `net` with `opt` on `train`, validating on `val` after every epoch. Works for
    /// any loss whose targets the data gives (`usize` class labels or float targets) and for
    /// `f32` and `f64` networks; the metrics follow the data's task.
    pub fn run<T, Y, N>(
        mut self,
        net: &mut N,
        opt: &mut dyn Optimizer<T>,
        train: &dyn Samples<T, Y>,
        val: Option<&dyn Samples<T, Y>>,
    ) -> Result<History, TrainError>
    where
        T: Float,
        Y: TargetKind,
        N: Network<T> + Clone,
        N::Loss: Loss<T, Target = [Y]>,
    {
        self.check_run::<T, Y, N>(train, val)?;
        let per_epoch = train.len().div_ceil(self.batch);
        let processes = self.processes.clone();
        let mut replicas = self.replicas_of(net, train.steps())?;
        // Process 0 (or the only one) shows progress and writes the files.
        let writes = processes.as_ref().is_none_or(|p| p.rank() == 0);
        let state = replicas.lead();
        check_batch_memory(net, opt, state, train, self.batch, self.memory_limit)?;
        let data = fingerprint(train)?;
        let mut history = History::default();
        let mut best_weights: Option<Vec<T>> = None;

        let mut start = 0;
        if let Some(path) = self.resume.clone() {
            let bytes = read_shared(processes.as_deref(), &path)?;
            let file = path.display().to_string();
            let lead = replicas.lead();
            start = self.restore(&file, &bytes, net, opt, lead, &data, &mut history)?;
        }
        let mut progress = if self.quiet || !writes {
            Progress::hidden()
        } else {
            Progress::new(((self.epochs.saturating_sub(start)) * per_epoch) as u64)
        };
        // The optimiser's state exists from the start, so the first epoch's snapshot holds it.
        let state = replicas.lead();
        opt.init_state(&mut WithGrads {
            net: &mut *net,
            grads: N::grads(state),
            frozen: N::frozen(state),
        })?;
        // Taken before every step under the guard, else at the start of every epoch.
        let mut point = RestorePoint::new();
        let mut spikes = self.spikes.take();
        for epoch in start..self.epochs {
            let t0 = Instant::now();
            if !(self.check_finite || spikes.is_some()) {
                point.take(&*net, opt);
            }
            let run = EpochRun {
                epoch,
                per_epoch,
                point: &mut point,
                spikes: spikes.as_mut(),
            };
            let (train_metrics, skipped) =
                match self.train_epoch(net, opt, &mut replicas, train, run, &mut progress) {
                    Ok(m) => m,
                    Err(e) => {
                        if e.is_diverged() {
                            point.restore(net, opt)?;
                        }
                        return Err(e);
                    }
                };
            let val_metrics = match val {
                Some(v) => Some(evaluate_across(
                    &*net,
                    v,
                    self.eval_batch,
                    processes.as_deref(),
                )?),
                None => None,
            };
            let mut record = EpochRecord {
                epoch: epoch + 1,
                train: train_metrics,
                val: val_metrics,
                lr: opt.learning_rate(),
                seconds: t0.elapsed().as_secs_f64(),
                skipped_steps: skipped,
            };
            if let Some(p) = self.plateau.as_mut() {
                let lr = p.update(&record, record.lr)?;
                opt.set_learning_rate(lr)?;
                record.lr = lr;
            }
            progress.println(&epoch_line(&record, self.epochs));

            let across = processes.is_some();
            let (stop, mut written) =
                self.early_verdict(&*net, &record, &mut best_weights, writes, across)?;
            if stop {
                history.stopped_early = Some(record.epoch);
            }
            // Only the latest epoch keeps its confusion matrix (callbacks see every one), so
            // a long run's history stays a few numbers per epoch.
            if let Some(v) = history.epochs.last_mut().and_then(|r| r.val.as_mut()) {
                v.confusion = None;
            }
            history.epochs.push(record);
            let mut run_state = vec![("kiln.train.data".to_string(), data.clone())];
            if let Some(g) = &spikes {
                run_state.push(("kiln.train.loss_spikes".into(), g.encode()));
            }
            let frozen = N::frozen(replicas.lead());
            if writes && written.is_ok() {
                written = self
                    .save_epoch(net, opt, frozen, epoch, &history, run_state)
                    .and_then(|_| self.write_plot(&history))
                    .map(|_| true);
            }
            if self.decide(&history, stop, written, processes.as_deref())? {
                break;
            }
        }
        progress.finish();
        self.restore_best(net, best_weights, &mut history, writes)?;
        Ok(history)
    }

    /// The run's replicas (threads, or this process's across processes) with the data's
    /// step count and the frozen tensors set.
    fn replicas_of<T: Float, N: Network<T> + Clone>(
        &self,
        net: &mut N,
        steps: usize,
    ) -> Result<Replicas<T, N>, TrainError> {
        let mut replicas = match &self.processes {
            Some(p) => Replicas::across(p.clone(), net, self.seed)?,
            None => Replicas::new(net, self.replicas, self.seed)?,
        };
        replicas.each_state(|t| N::set_steps(t, steps));
        for name in &self.freeze {
            let mut matched = Ok(0);
            replicas.each_state(|t| matched = N::set_frozen(t, name, true));
            matched?;
        }
        Ok(replicas)
    }

    /// Early stopping's verdict on the epoch (whether to stop), keeping the best weights
    /// when it improved; the second value is whether the best weights' file could be written
    /// (process 0's; the others keep the weights in memory, the file may be out of reach).
    #[allow(clippy::type_complexity)]
    fn early_verdict<T: Float, N: Network<T>>(
        &mut self,
        net: &N,
        record: &EpochRecord,
        best: &mut Option<Vec<T>>,
        writes: bool,
        across: bool,
    ) -> Result<(bool, Result<bool, TrainError>), TrainError> {
        let Some(es) = self.early.as_mut() else {
            return Ok((false, Ok(true)));
        };
        let mut written = Ok(true);
        match es.update(record)? {
            Verdict::Improved if es.restore_best => {
                if let Some(p) = &self.checkpoint {
                    if writes {
                        written = save_weights_with(net, best_path(p), &self.metadata)
                            .map(|_| true)
                            .map_err(TrainError::from);
                    }
                }
                if across || self.checkpoint.is_none() {
                    weights_into(net, best.get_or_insert_default());
                }
                Ok((false, written))
            }
            Verdict::Stop => Ok((true, written)),
            _ => Ok((false, written)),
        }
    }

    /// Whether the run stops after this epoch: early stopping's `stop` or a callback's; across
    /// processes, process 0's decision and its files' fate (`written`) reach every process.
    fn decide(
        &mut self,
        history: &History,
        mut stop: bool,
        written: Result<bool, TrainError>,
        processes: Option<&dyn Processes>,
    ) -> Result<bool, TrainError> {
        for cb in &mut self.callbacks {
            stop |= cb(history.last().expect("just pushed")) == Control::Stop;
        }
        match processes {
            Some(p) => {
                agree(p, written)?;
                agree(p, Ok(stop))
            }
            None => written.map(|_| stop),
        }
    }

    /// Writes the training-curve plot, if the run has one.
    fn write_plot(&self, history: &History) -> Result<(), TrainError> {
        if let Some((path, title)) = &self.plot {
            history.plot(path, title)?;
        }
        Ok(())
    }

    /// Refuses a run that cannot work before any step is taken.
    fn check_run<T: Float, Y, N: Network<T>>(
        &self,
        train: &dyn Samples<T, Y>,
        val: Option<&dyn Samples<T, Y>>,
    ) -> Result<(), TrainError> {
        check_fits::<T, Y, N>(train)?;
        if let Some(v) = val {
            check_fits::<T, Y, N>(v)?;
        }
        if let Some(a) = &self.augment {
            a.check_width(train.width() * train.steps())?;
        }
        let watcher = match (&self.early, &self.plateau) {
            (Some(_), _) => Some("early stopping"),
            (_, Some(_)) => Some("ReduceLrOnPlateau"),
            _ => None,
        };
        if let (Some(what), None) = (watcher, val) {
            return Err(TrainError::Invalid {
                what,
                why: "it watches a validation metric, so the run needs a validation set".into(),
            });
        }
        if self.processes.is_some() && self.replicas > 1 {
            return Err(TrainError::Invalid {
                what: "number of replicas",
                why: "a run across processes has one replica per process: start more processes instead of threads".into(),
            });
        }
        if self.plateau.is_some() && self.schedule.is_some() {
            return Err(TrainError::Invalid {
                what: "ReduceLrOnPlateau",
                why: "it sets the learning rate itself; a per-step schedule would overwrite it"
                    .into(),
            });
        }
        Ok(())
    }

    /// One pass over the shuffled training set; returns the loss and metrics of its batches
    /// (skipped steps left out) and the number of steps the loss-spike guard skipped.
    fn train_epoch<T, Y, N>(
        &self,
        net: &mut N,
        opt: &mut dyn Optimizer<T>,
        replicas: &mut Replicas<T, N>,
        train: &dyn Samples<T, Y>,
        run: EpochRun<'_, T>,
        progress: &mut Progress,
    ) -> Result<(super::Metrics, usize), TrainError>
    where
        T: Float,
        Y: TargetKind,
        N: Network<T>,
        N::Loss: Loss<T, Target = [Y]>,
    {
        let EpochRun {
            epoch,
            per_epoch,
            point,
            mut spikes,
        } = run;
        let epoch_seed = mix(self.seed, epoch as u64);
        replicas.each_state(|t| N::reseed(t, epoch_seed ^ 0x5eed_d20b));
        let mut aug_rng = seeded(epoch_seed ^ 0xa06e);
        let order = permutation(train.len(), epoch_seed);
        let mut tally = Tally::new(train.task(), N::OUTPUT, train.target_scaler());
        let (mut x, mut targets) = (Vec::new(), Vec::new());
        let mut skipped = 0;
        let processes = replicas.processes().cloned();
        for (b, idx) in order.chunks(self.batch).enumerate() {
            let step = (epoch * per_epoch + b) as u64;
            // Across processes, each gathers only its part (all of it to augment: the
            // transforms draw from one stream over the batch).
            let part = match self.augment {
                Some(_) => 0..idx.len(),
                None => replicas.part(idx.len()),
            };
            x.clear();
            targets.clear();
            if !part.is_empty() {
                train.gather(&idx[part], &mut x, &mut targets)?;
            }
            if let Some(a) = &self.augment {
                a.apply_batch(&mut x, &mut aug_rng)?;
            }
            if let Some(s) = &self.schedule {
                opt.set_learning_rate(s.lr_at(step))?;
            }
            if self.check_finite || spikes.is_some() {
                point.take(&*net, opt);
            }
            let loss = match self.augment {
                Some(_) => replicas.forward_backward(net, &x, &targets)?,
                None => replicas.forward_backward_part(net, &x, &targets, idx.len())?,
            }
            .to_f64();
            if !loss.is_finite() {
                return Err(TrainError::Diverged {
                    epoch: epoch + 1,
                    step: step + 1,
                    loss,
                });
            }
            if spikes.as_mut().is_some_and(|g| g.is_spike(loss)) {
                // The forward pass moved batch norm's statistics: put them back too.
                point.restore(net, opt)?;
                skipped += 1;
                progress.step(loss);
                continue;
            }
            match &processes {
                None => {
                    replicas.each_output(&targets, |out, t| Y::count(&mut tally, out, t))?;
                    tally.add_loss(loss, targets.len());
                }
                Some(p) => count_across(&**p, replicas, &targets, loss, &mut tally)?,
            }
            self.update(net, opt, replicas.lead(), step + 1, loss)?;
            progress.step(loss);
        }
        Ok((tally.finish(), skipped))
    }

    /// The optimiser's update after the forward and backward passes, with the guard's checks.
    fn update<T: Float, N: Network<T>>(
        &self,
        net: &mut N,
        opt: &mut dyn Optimizer<T>,
        state: &mut N::Train,
        step: u64,
        loss: f64,
    ) -> Result<(), TrainError> {
        if self.check_finite {
            check_step::<T, N>(step, loss, state)?;
        }
        if let Some(max) = self.clip.or(N::clip_norm(state)) {
            let (grads, frozen) = N::grads_mut_frozen(state);
            clip_grad_norm(&mut GradsOf(grads, frozen), max)?;
        }
        opt.step(&mut WithGrads {
            net: &mut *net,
            grads: N::grads(state),
            frozen: N::frozen(state),
        })?;
        if self.check_finite {
            check_params::<T, N>(step, net)?;
        }
        Ok(())
    }

    /// Writes the epoch's training checkpoint, if the run has one.
    fn save_epoch<T: Float, N: Network<T>>(
        &self,
        net: &N,
        opt: &mut dyn Optimizer<T>,
        frozen: &[bool],
        epoch: usize,
        history: &History,
        run_state: Vec<(String, String)>,
    ) -> Result<(), TrainError> {
        let Some(path) = &self.checkpoint else {
            return Ok(());
        };
        let mut meta = self.metadata.clone();
        meta.extend(run_state);
        meta.extend([
            ("kiln.train.seed".into(), self.seed.to_string()),
            ("kiln.train.batch".into(), self.batch.to_string()),
            ("kiln.train.epoch".into(), (epoch + 1).to_string()),
            ("kiln.train.history".into(), history.encode(KEPT_EPOCHS)),
            ("kiln.train.frozen".into(), frozen_list::<T, N>(frozen)),
        ]);
        if let Some(es) = &self.early {
            meta.push(("kiln.train.early_stopping".into(), es.encode()));
        }
        if let Some(p) = &self.plateau {
            meta.push(("kiln.train.plateau".into(), p.encode()));
        }
        save_training(path, net, opt, frozen, &meta)?;
        Ok(())
    }

    /// With early stopping's `restore_best`, puts back the best epoch's weights.
    fn restore_best<T: Float, N: Network<T>>(
        &self,
        net: &mut N,
        best_weights: Option<Vec<T>>,
        history: &mut History,
        shows: bool,
    ) -> Result<(), TrainError> {
        let Some(es) = self.early.as_ref().filter(|es| es.restore_best) else {
            return Ok(());
        };
        let best = es.best.map(|(_, e)| e);
        let last = history.last().map(|r| r.epoch);
        if best.is_some() && best != last {
            match (best_weights, &self.checkpoint) {
                (Some(w), _) => put_weights(net, &w),
                (None, Some(p)) => load_weights(net, best_path(p))?,
                (None, None) => {}
            }
            history.restored_epoch = best;
            if shows && !self.quiet {
                eprintln!("restored the weights of epoch {}", best.unwrap_or(0));
            }
        }
        Ok(())
    }

    /// Restores a checkpoint written by [`Fit::checkpoint`] (the bytes of `file`); returns
    /// the epochs it covers.
    #[allow(clippy::too_many_arguments)]
    fn restore<T: Float, N: Network<T>>(
        &mut self,
        file: &str,
        bytes: &[u8],
        net: &mut N,
        opt: &mut dyn Optimizer<T>,
        state: &N::Train,
        data: &str,
        history: &mut History,
    ) -> Result<usize, TrainError> {
        // The run's settings are checked against the file's before anything is loaded.
        let frozen = N::frozen(state);
        let meta = metadata_from_bytes(file, bytes)?;
        let get = |key: &str| {
            meta.get(key).cloned().ok_or_else(|| TrainError::Invalid {
                what: "checkpoint to resume",
                why: format!("{file} has no `{key}`: it was not written by Fit::checkpoint"),
            })
        };
        let same = |key: &str, now: String, what: &str| -> Result<(), TrainError> {
            let then = get(key)?;
            if then != now {
                return Err(TrainError::Invalid {
                    what: "checkpoint to resume",
                    why: format!("{file} was written with {what} {then}, this run has {now}; resuming would not repeat the run"),
                });
            }
            Ok(())
        };
        same("kiln.train.seed", self.seed.to_string(), "seed")?;
        same("kiln.train.batch", self.batch.to_string(), "batch size")?;
        same(
            "kiln.train.frozen",
            frozen_list::<T, N>(frozen),
            "frozen tensors",
        )?;
        same("kiln.train.data", data.to_string(), "training set")?;
        load_training_from_bytes(file, bytes, net, opt, N::grads(state), frozen)?;
        let unreadable = |what: &str| TrainError::Invalid {
            what: "checkpoint to resume",
            why: format!("{file}: unreadable {what}"),
        };
        let epoch: usize = get("kiln.train.epoch")?
            .parse()
            .map_err(|_| unreadable("epoch"))?;
        *history = History::decode(&get("kiln.train.history")?)
            .ok_or_else(|| unreadable("training history"))?;
        // The optional parts: present in the file when the run that wrote it had them.
        if let (Some(p), Some(s)) = (self.plateau.as_mut(), meta.get("kiln.train.plateau")) {
            p.decode(s)
                .ok_or_else(|| unreadable("ReduceLrOnPlateau state"))?;
        }
        if let (Some(g), Some(s)) = (self.spikes.as_mut(), meta.get("kiln.train.loss_spikes")) {
            g.decode(s)
                .ok_or_else(|| unreadable("loss-spike guard state"))?;
        }
        if let (Some(es), Some(s)) = (self.early.as_mut(), meta.get("kiln.train.early_stopping")) {
            es.decode(s)
                .ok_or_else(|| unreadable("early-stopping state"))?;
        }
        Ok(epoch)
    }
}

/// Counts every process's outputs of the last step into `tally`, in rank order, with the
/// step's `loss` over all of them.
fn count_across<T, Y, N>(
    processes: &dyn Processes,
    replicas: &mut Replicas<T, N>,
    targets: &[Y],
    loss: f64,
    tally: &mut Tally,
) -> Result<(), TrainError>
where
    T: Float,
    Y: TargetKind,
    N: Network<T>,
{
    let (mut out, mut mine) = (Vec::new(), Vec::new());
    replicas.each_output(targets, |o, t| (out, mine) = (o.to_vec(), t.to_vec()))?;
    let mut counted = 0;
    for part in gather_outputs(processes, 0.0, &out, &mine)? {
        Y::count(tally, &part.out, &part.targets);
        counted += part.targets.len();
    }
    tally.add_loss(loss, counted);
    Ok(())
}

/// `run/model.safetensors` -> `run/model.best.safetensors`.
pub fn best_path(checkpoint: &Path) -> PathBuf {
    checkpoint.with_extension("best.safetensors")
}

/// The frozen tensors' names, comma-separated (empty when none), for the checkpoint.
fn frozen_list<T: Float, N: Network<T>>(frozen: &[bool]) -> String {
    kiln_runtime::freeze::frozen_names(N::TENSORS, frozen).join(",")
}

/// SplitMix64 of the run seed and the epoch: independent streams per epoch.
fn mix(seed: u64, epoch: u64) -> u64 {
    let mut z = seed ^ epoch.wrapping_add(1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// `epoch  3/10  train loss 0.1234 acc 96.12%  val loss 0.0876 acc 97.40%  lr 3.1e-2  4.1s`
fn epoch_line(r: &EpochRecord, epochs: usize) -> String {
    let w = epochs.to_string().len();
    let mut s = format!(
        "epoch {:>w$}/{epochs}  train {}",
        r.epoch,
        r.train.summary()
    );
    if let Some(v) = &r.val {
        s += &format!("  val {}", v.summary());
    }
    s += &format!("  lr {:.3e}  {:.1}s", r.lr, r.seconds);
    if r.skipped_steps > 0 {
        s += &format!("  ({} loss spikes skipped)", r.skipped_steps);
    }
    s
}
