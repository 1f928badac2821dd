//! `Fit` across processes (`Fit::processes`) with the processes played by threads of this
//! test over an in-memory `Processes`, so the loop's side of data parallelism across
//! processes (each process gathering its part, metrics counted over every part, process 0's
//! files and verdicts, batches smaller than the process count) is checked in every run of the
//! suite; `tests/mpi.rs` runs the same loop over MPI. f64, 1e-12 against one process.

use std::collections::HashMap;
use std::sync::{Arc, Barrier, Mutex, PoisonError};

use kiln::data::{digits, Augment, Sequences};
use kiln::prelude::*;
use kiln::runtime::collective::Collective;
use kiln::runtime::optim::{Adam, Sgd};
use kiln::runtime::processes::Processes;
use kiln::runtime::replica::ThreadGroup;
use kiln::train::{Control, EarlyStopping, Fit, History, Metric};

/// What a group of threads exchanges: every member puts its bytes in its slot, waits for the
/// others, and reads every slot. Sums go through the runtime's `ThreadGroup`.
struct Hub {
    n: usize,
    slots: Mutex<Vec<Vec<u8>>>,
    barrier: Barrier,
    sums: ThreadGroup,
    /// The sums of the first `n` members, made by the first to ask.
    firsts: Mutex<HashMap<usize, Arc<ThreadGroup>>>,
}

impl Hub {
    fn new(n: usize) -> Arc<Hub> {
        Arc::new(Hub {
            n,
            slots: Mutex::new(vec![Vec::new(); n]),
            barrier: Barrier::new(n),
            sums: ThreadGroup::new(n),
            firsts: Mutex::new(HashMap::new()),
        })
    }

    fn exchange(&self, rank: usize, mine: &[u8]) -> Vec<Vec<u8>> {
        let lock = || self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        lock()[rank] = mine.to_vec();
        self.barrier.wait();
        let all = lock().clone();
        self.barrier.wait();
        all
    }
}

/// One member of a [`Hub`]: a "process" of the run.
struct Member {
    hub: Arc<Hub>,
    rank: usize,
}

impl Processes for Member {
    fn rank(&self) -> usize {
        self.rank
    }

    fn size(&self) -> usize {
        self.hub.n
    }

    fn sum_f64(&self, v: &mut [f64]) {
        self.hub.sums.sum(self.rank, v);
    }

    fn sum_f32(&self, v: &mut [f32]) {
        let mut wide: Vec<f64> = v.iter().map(|&x| x as f64).collect();
        self.hub.sums.sum(self.rank, &mut wide);
        v.iter_mut().zip(wide).for_each(|(x, w)| *x = w as f32);
    }

    fn gather_bytes(&self, mine: &[u8]) -> Vec<Vec<u8>> {
        self.hub.exchange(self.rank, mine)
    }

    fn broadcast_bytes(&self, bytes: &mut Vec<u8>) {
        *bytes = self.hub.exchange(self.rank, bytes).swap_remove(0);
    }

    fn first(&self, n: usize) -> Option<Arc<dyn Collective>> {
        let group = {
            let mut firsts = self.hub.firsts.lock().unwrap();
            firsts
                .entry(n)
                .or_insert_with(|| Arc::new(ThreadGroup::new(n)))
                .clone()
        };
        // Every member asks before any uses it (as a communicator split is collective).
        self.hub.barrier.wait();
        (self.rank < n).then_some(group as Arc<dyn Collective>)
    }
}

/// `run(processes)` on `n` threads, one process each; their results in rank order.
fn on_processes<R: Send>(n: usize, run: impl Fn(Arc<dyn Processes>) -> R + Sync) -> Vec<R> {
    let hub = Hub::new(n);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..n)
            .map(|rank| {
                let (hub, run) = (hub.clone(), &run);
                s.spawn(move || run(Arc::new(Member { hub, rank })))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

fn assert_close(a: &[f64], b: &[f64], what: &str) {
    assert_eq!(a.len(), b.len(), "{what}");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        let tol = 1e-12 * x.abs().max(y.abs()).max(1.0);
        assert!((x - y).abs() <= tol, "{what}[{i}]: {x} vs {y}");
    }
}

/// Every epoch's losses and accuracies.
fn curve(h: &History) -> Vec<f64> {
    h.epochs
        .iter()
        .flat_map(|r| {
            let v = r.val.as_ref().unwrap();
            [
                r.train.loss,
                r.train.accuracy.unwrap(),
                v.loss,
                v.accuracy.unwrap(),
            ]
        })
        .collect()
}

fn weights<N: Network<f64>>(net: &N) -> Vec<f64> {
    let mut w = Vec::new();
    net.visit_params(&mut |_, _, v| w.extend_from_slice(v));
    net.visit_buffers(&mut |_, v| w.extend_from_slice(v));
    w
}

network! {
    /// Batch norm (synchronised) and dropout (the same masks) on the 8x8 digits.
    struct Mlp {
        input: [64],
        layers: [dense(24), batch_norm, relu, dropout(0.2), dense(10)],
        loss: softmax_cross_entropy,
    }
}

/// Three processes with augmentation, early stopping that keeps the best epoch, a checkpoint
/// and a plot: the history and weights of one process, on every process; process 0's
/// callbacks decide; only process 0 writes (the others' files are never made).
#[test]
fn three_processes_train_as_one_with_augmentation_and_early_stopping() {
    let mut d = digits().unwrap();
    d.scale(1.0 / 16.0);
    let (train, val) = d.split(0.8, 1).unwrap();
    let dir = std::env::temp_dir().join(format!("kiln-processes-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let fit = |tag: &str, processes: Option<Arc<dyn Processes>>| {
        let rank = processes.as_ref().map_or(0, |p| p.rank());
        // Each process starts from weights of its own: process 0's reach them all.
        let mut net = Mlp::<f64>::new(&mut seeded(1 + rank as u64));
        let mut opt = Sgd::new(0.05).unwrap().momentum(0.9).unwrap();
        let file = |name: &str| dir.join(format!("{tag}-{rank}-{name}"));
        let mut fit = Fit::new(4, 40)
            .unwrap()
            .seed(2)
            .quiet()
            .augment(Augment::new(1, 8, 8).unwrap().shift(1).unwrap())
            .early_stopping(
                EarlyStopping::new(Metric::Loss, 3)
                    .unwrap()
                    .restore_best(true),
            )
            .checkpoint(file("ckpt.safetensors"))
            .plot(file("curves.svg"), "digits")
            // Another process's wish to stop is not process 0's.
            .on_epoch(move |_| {
                if rank == 1 {
                    Control::Stop
                } else {
                    Control::Continue
                }
            });
        if let Some(p) = processes {
            fit = fit.processes(p);
        }
        let h = fit.run(&mut net, &mut opt, &train, Some(&val)).unwrap();
        (curve(&h), h.epochs.len(), weights(&net))
    };
    let (one, epochs, w1) = fit("one", None);
    for (rank, (many, many_epochs, w)) in on_processes(3, |p| fit("three", Some(p)))
        .into_iter()
        .enumerate()
    {
        assert_eq!(many_epochs, epochs, "process {rank}");
        assert_close(&many, &one, "history");
        assert_close(&w, &w1, "weights");
    }
    assert!(dir.join("three-0-ckpt.safetensors").exists());
    assert!(dir.join("three-0-curves.svg").exists());
    assert!(!dir.join("three-1-ckpt.safetensors").exists());
    assert!(!dir.join("three-2-curves.svg").exists());
    assert!(one[one.len() - 1] > 0.7, "it learnt: {one:?}");
    std::fs::remove_dir_all(&dir).ok();
}

network! {
    /// Two LSTM levels with dropout between them, an output at every step.
    struct StepTagger {
        input: [seq, 8],
        layers: [lstm(12, layers = 2, dropout = 0.1), dense(10)],
        loss: softmax_cross_entropy,
    }
}

/// Sequences with per-step labels on 3 processes, where the last batch of every epoch holds
/// one sequence (two processes have nothing to do in that step): the history and weights of
/// one process.
#[test]
fn sequences_and_a_batch_smaller_than_the_processes_train_as_one() {
    let mut d = digits().unwrap();
    d.scale(1.0 / 16.0);
    let rows = Sequences::from_rows(&d, 8, true).unwrap();
    let train = rows.select(&(0..51).collect::<Vec<_>>());
    let val = rows.select(&(1000..1100).collect::<Vec<_>>());
    let fit = |processes: Option<Arc<dyn Processes>>| {
        let mut net = StepTagger::<f64>::new(&mut seeded(8));
        let mut fit = Fit::new(3, 25).unwrap().seed(3).quiet();
        if let Some(p) = processes {
            fit = fit.processes(p);
        }
        let h = fit
            .run(&mut net, &mut Adam::new(0.01).unwrap(), &train, Some(&val))
            .unwrap();
        (curve(&h), weights(&net))
    };
    let (one, w1) = fit(None);
    for (many, w) in on_processes(3, |p| fit(Some(p))) {
        assert_close(&many, &one, "history");
        assert_close(&w, &w1, "weights");
    }
}

/// `Fit::processes` with thread replicas too is refused before training, on every process.
#[test]
fn processes_and_thread_replicas_together_are_refused() {
    let mut d = digits().unwrap();
    d.scale(1.0 / 16.0);
    let errors = on_processes(2, |p| {
        let mut net = Mlp::<f64>::new(&mut seeded(1));
        Fit::new(1, 32)
            .unwrap()
            .quiet()
            .replicas(2)
            .unwrap()
            .processes(p)
            .run(&mut net, &mut Sgd::new(0.1).unwrap(), &d, None)
            .unwrap_err()
            .to_string()
    });
    for e in errors {
        assert!(e.contains("one replica per process"), "{e}");
    }
}
