//! kiln on the workloads of `../shared/bench/WORKLOADS.md` (T1-T8), with PyTorch measured
//! in the same run when `python3 -c "import torch"` works. Prints markdown tables: the
//! workloads, the embedded form against RTNeural, how cost grows (T1 batch, T6 width, T3
//! sequence length) and the peak resident memory of every training workload.
//!
//! cargo bench --bench workloads                   everything
//! cargo bench --bench workloads -- T1 T4e         only these rows (T4e/T5e/LeNet5e: embedded form, T4q/T5q/LeNet5q: int8;
//!                                                 L1-L4: the expressivity round's layers)
//! cargo bench --bench workloads -- --scaling      only the scaling tables
//! cargo bench --bench workloads -- --memory       only the peak-memory table
//! cargo bench --bench workloads -- --replicas     only the data-parallel table (T1/T2/T3/T8 on
//!                                                 1 and 2 thread replicas)
//! mpirun -n 2 <bench binary> --processes [ids]    the same on 2 MPI processes (build with
//!                                                 `cargo bench --bench workloads --features mpi --no-run`)
//! KILN_BENCH_NO_TORCH=1                           skip PyTorch
//! KILN_BENCH_NO_GUARD=1                           T1/T6 with the training guard off (its cost)

use std::hint::black_box;
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use kiln::prelude::*;
use kiln::runtime::optim::{Adam, Sgd};
use kiln::runtime::processes::Processes;
use kiln::runtime::replica::Replicas;
use kiln::runtime::rng::uniform;

#[path = "workloads/layers.rs"]
mod layers;

network! {
    /// T1: 784 -> 256 ReLU -> 128 ReLU -> 10, softmax cross-entropy.
    struct T1Mlp {
        input: [784],
        layers: [dense(256), relu, dense(128), relu, dense(10)],
        loss: softmax_cross_entropy,
    }
}

network! {
    /// T4: 16 -> 64 tanh -> 64 tanh -> 8, inference only.
    struct T4Mlp {
        input: [16],
        layers: [dense(64), tanh, dense(64), tanh, dense(8)],
        loss: none,
        embedded: true,
    }
}

network! {
    /// T6: 1024 -> 4096 ReLU -> 4096 ReLU -> 1024, MSE, plain SGD.
    struct T6Mlp {
        input: [1024],
        layers: [dense(4096), relu, dense(4096), relu, dense(1024)],
        loss: mse,
    }
}

network! {
    /// T6 scaled down: hidden width 1024.
    struct T6Mlp1024 {
        input: [1024],
        layers: [dense(1024), relu, dense(1024), relu, dense(1024)],
        loss: mse,
    }
}

network! {
    /// T6 scaled down: hidden width 256.
    struct T6Mlp256 {
        input: [1024],
        layers: [dense(256), relu, dense(256), relu, dense(1024)],
        loss: mse,
    }
}

network! {
    /// T3: one-hot vocabulary 64 -> LSTM 256 -> dense 64 at every step.
    struct T3Lstm {
        input: [seq, 64],
        layers: [lstm(256), dense(64)],
        loss: softmax_cross_entropy,
    }
}

network! {
    /// T7: one-hot vocabulary 64 -> GRU 256 -> dense 64 at every step.
    struct T7Gru {
        input: [seq, 64],
        layers: [gru(256), dense(64)],
        loss: softmax_cross_entropy,
    }
}

network! {
    /// T5: LSTM input 1, hidden 32 -> dense 1, streamed one step at a time.
    struct T5Lstm {
        input: [seq, 1],
        layers: [lstm(32), dense(1)],
        loss: none,
        embedded: true,
    }
}

network! {
    /// T5 in int8: the trained filter of examples/lstm-stream (T5's shape) as `kiln::quantize`
    /// wrote it.
    struct T5LstmInt8 {
        input: [seq, 1],
        layers: [lstm(32), dense(1)],
        loss: none,
        weights: "examples/lstm-stream/filter.int8.safetensors",
        precision: int8,
    }
}

network! {
    /// LeNet-5 of kiln-models with its committed trained weights, embedded in f32.
    struct LeNetF32 {
        input: [1, 28, 28],
        layers: [
            conv2d(6, 5, padding = 2), relu, max_pool2d(2),
            conv2d(16, 5), relu, max_pool2d(2),
            flatten(400), dense(120), relu, dense(84), relu, dense(10),
        ],
        loss: none,
        weights: "tests/fixtures/lenet5.safetensors",
    }
}

network! {
    /// The same weights quantised by `kiln::quantize` (the committed int8 file).
    struct LeNetInt8 {
        input: [1, 28, 28],
        layers: [
            conv2d(6, 5, padding = 2), relu, max_pool2d(2),
            conv2d(16, 5), relu, max_pool2d(2),
            flatten(400), dense(120), relu, dense(84), relu, dense(10),
        ],
        loss: none,
        weights: "tests/fixtures/lenet5.int8.safetensors",
        precision: int8,
    }
}

/// How a workload is timed: warm-up calls, then the median of `repeats` x `inner` calls.
#[derive(Clone, Copy)]
struct Timing {
    warmup: usize,
    repeats: usize,
    inner: usize,
}

const TRAIN: Timing = Timing {
    warmup: 20,
    repeats: 7,
    inner: 100,
};
const RNN: Timing = Timing {
    warmup: 20,
    repeats: 5,
    inner: 20,
};
/// For steps of a quarter of a second or more (T6, T8).
const SLOW: Timing = Timing {
    warmup: 3,
    repeats: 5,
    inner: 3,
};
const CALL: Timing = Timing {
    warmup: 1000,
    repeats: 7,
    inner: 50_000,
};

/// Batch-1 inference of a convolutional network (tens of microseconds a call).
const CALL_SLOW: Timing = Timing {
    warmup: 100,
    repeats: 7,
    inner: 500,
};

/// One prepared workload: a step closure and the work one step does (samples, tokens,
/// FLOPs; 1 for inference, whose figure is the time per call).
struct Workload {
    step: Box<dyn FnMut()>,
    work: f64,
    timing: Timing,
}

impl Workload {
    /// Seconds per step: warm-up, then the median of the repeats.
    fn secs(mut self) -> f64 {
        let Timing {
            warmup,
            repeats,
            inner,
        } = self.timing;
        for _ in 0..warmup {
            (self.step)();
        }
        let mut t: Vec<f64> = (0..repeats)
            .map(|_| {
                let s = Instant::now();
                for _ in 0..inner {
                    (self.step)();
                }
                s.elapsed().as_secs_f64() / inner as f64
            })
            .collect();
        t.sort_by(|a, b| a.total_cmp(b));
        t[t.len() / 2]
    }

    /// Work per second (training) or nanoseconds per call (inference).
    fn measure(self, per_second: bool) -> f64 {
        let work = self.work;
        let secs = self.secs();
        if per_second {
            work / secs
        } else {
            secs * 1e9
        }
    }
}

/// An inference workload timed per call: `call` is one call (batch 1, or one streamed step).
fn per_call(timing: Timing, call: impl FnMut() + 'static) -> Workload {
    Workload {
        step: Box::new(call),
        work: 1.0,
        timing,
    }
}

/// Whether T1 and T6 run with the training guard (`KILN_BENCH_NO_GUARD` unset, the default).
fn guard_on() -> bool {
    std::env::var_os("KILN_BENCH_NO_GUARD").is_none()
}

fn rows<const N: usize>(rng: &mut KilnRng, n: usize) -> Vec<[f32; N]> {
    (0..n)
        .map(|_| std::array::from_fn(|_| uniform(rng, 0.0, 1.0)))
        .collect()
}

fn labels(n: usize) -> Vec<usize> {
    (0..n).map(|i| (i * 7) % 10).collect()
}

fn t1(batch: usize) -> Workload {
    let mut rng = seeded(0);
    let mut net = T1Mlp::<f32>::new(&mut rng);
    let x = rows::<784>(&mut rng, batch);
    let y = labels(batch);
    let mut opt = Sgd::new(0.01).unwrap().momentum(0.9).unwrap();
    let mut t = net.train_state(0);
    t.set_check_finite(guard_on());
    Workload {
        step: Box::new(move || {
            black_box(net.train_step(&x, &y, &mut opt, &mut t).unwrap());
        }),
        work: batch as f64,
        timing: if batch >= 512 { RNN } else { TRAIN },
    }
}

fn t2() -> Workload {
    lenet_train(&[])
}

/// T2 fine-tuning: LeNet-5 with both convolutions frozen (a trained feature extractor), so
/// only the three dense layers are trained and the backward pass stops before the convolutions.
fn t2_frozen() -> Workload {
    lenet_train(&["layers.0", "layers.3"])
}

/// LeNet-5 training steps on a batch of 64, with the named layers frozen.
fn lenet_train(frozen: &[&str]) -> Workload {
    let mut rng = seeded(0);
    let mut net = kiln_models::LeNet5::<f32>::new(&mut rng);
    let x = rows::<784>(&mut rng, 64);
    let y = labels(64);
    let mut opt = Sgd::new(0.01).unwrap().momentum(0.9).unwrap();
    let mut t = net.train_state(0);
    for layer in frozen {
        t.freeze(layer).unwrap();
    }
    Workload {
        step: Box::new(move || {
            black_box(net.train_step(&x, &y, &mut opt, &mut t).unwrap());
        }),
        work: 64.0,
        timing: Timing {
            repeats: 5,
            ..TRAIN
        },
    }
}

/// Time-major one-hot batch of 32 sequences of `steps` steps over 64 symbols, and the
/// next-symbol labels.
fn one_hot_batch(steps: usize) -> (Vec<[f32; 64]>, Vec<usize>) {
    let mut rng = seeded(0);
    let ids: Vec<usize> = (0..32 * (steps + 1))
        .map(|_| (uniform::<f64, _>(&mut rng, 0.0, 64.0) as usize).min(63))
        .collect();
    let mut x = Vec::new();
    let mut y = Vec::new();
    for t in 0..steps {
        for s in 0..32 {
            let mut row = [0.0f32; 64];
            row[ids[s * (steps + 1) + t]] = 1.0;
            x.push(row);
            y.push(ids[s * (steps + 1) + t + 1]);
        }
    }
    (x, y)
}

fn t3(steps: usize) -> Workload {
    let mut net = T3Lstm::<f32>::new(&mut seeded(0));
    let (x, y) = one_hot_batch(steps);
    let mut opt = Adam::new(1e-3).unwrap();
    let mut t = net.train_state(0);
    Workload {
        step: Box::new(move || {
            black_box(net.train_step_seq(&x, 32, &y, &mut opt, &mut t).unwrap());
        }),
        work: (32 * steps) as f64,
        timing: RNN,
    }
}

fn t7() -> Workload {
    let mut net = T7Gru::<f32>::new(&mut seeded(0));
    let (x, y) = one_hot_batch(32);
    let mut opt = Adam::new(1e-3).unwrap();
    let mut t = net.train_state(0);
    Workload {
        step: Box::new(move || {
            black_box(net.train_step_seq(&x, 32, &y, &mut opt, &mut t).unwrap());
        }),
        work: 1024.0,
        timing: RNN,
    }
}

fn t4() -> Workload {
    let mut rng = seeded(0);
    let net = T4Mlp::<f32>::new(&mut rng);
    let x: [f32; 16] = std::array::from_fn(|_| uniform(&mut rng, 0.0, 1.0));
    let mut s = net.scratch();
    per_call(CALL, move || {
        black_box(net.forward_one(black_box(&x), &mut s));
    })
}

fn t5() -> Workload {
    let net = T5Lstm::<f32>::new(&mut seeded(0));
    let mut st = net.stream();
    let mut v = 0.1f32;
    per_call(CALL, move || {
        v = black_box(net.step(&mut st, &[black_box(v)])[0]).clamp(-1.0, 1.0);
    })
}

/// T4 through the embedded form (batch 1, inline arrays, no allocation).
fn t4_embedded() -> Workload {
    let mut rng = seeded(0);
    let net = T4Mlp::<f32>::new(&mut rng).to_embedded();
    let x: [f32; 16] = std::array::from_fn(|_| uniform(&mut rng, 0.0, 1.0));
    let (mut y, mut s) = ([0.0f32; 8], T4MlpEmbeddedScratch::ZERO);
    per_call(CALL, move || {
        net.forward(black_box(&x), &mut y, &mut s).unwrap();
        black_box(&y);
    })
}

/// T4 in int8 (`precision: int8`): the T4 network of `no-std-check` quantised by
/// `kiln::quantize`, int8 in and out.
fn t4_int8() -> Workload {
    use kiln_no_std_check::{MlpInt8Embedded, MlpInt8EmbeddedScratch, MLP_INT8};
    let mut rng = seeded(0);
    let x: [f32; 16] = std::array::from_fn(|_| uniform(&mut rng, 0.0, 1.0));
    let xq = MlpInt8Embedded::quantize_input(&x);
    let (mut y, mut s) = ([0i8; 8], MlpInt8EmbeddedScratch::ZERO);
    per_call(CALL, move || {
        MLP_INT8.forward(black_box(&xq), &mut y, &mut s);
        black_box(&y);
    })
}

/// LeNet-5 on one MNIST-sized image through the f32 embedded form.
fn lenet_embedded() -> Workload {
    let net = LeNetF32Embedded::WEIGHTS;
    let mut rng = seeded(0);
    let x: [f32; 784] = std::array::from_fn(|_| uniform(&mut rng, 0.0, 1.0));
    let (mut y, mut s) = ([0.0f32; 10], Box::new(LeNetF32EmbeddedScratch::ZERO));
    per_call(CALL_SLOW, move || {
        net.forward(black_box(&x), &mut y, &mut s).unwrap();
        black_box(&y);
    })
}

/// LeNet-5 on one image in int8.
fn lenet_int8() -> Workload {
    let net = LeNetInt8Embedded::WEIGHTS;
    let mut rng = seeded(0);
    let x: [f32; 784] = std::array::from_fn(|_| uniform(&mut rng, 0.0, 1.0));
    let xq = LeNetInt8Embedded::quantize_input(&x);
    let (mut y, mut s) = ([0i8; 10], Box::new(LeNetInt8EmbeddedScratch::ZERO));
    per_call(CALL_SLOW, move || {
        net.forward(black_box(&xq), &mut y, &mut s);
        black_box(&y);
    })
}

/// T5 in int8: one streamed step.
fn t5_int8() -> Workload {
    let net = T5LstmInt8Embedded::WEIGHTS;
    let (mut y, mut s) = ([0i8; 1], T5LstmInt8EmbeddedScratch::ZERO);
    let mut v = 3i8;
    per_call(CALL, move || {
        net.step(&[black_box(v)], &mut y, &mut s);
        v = black_box(y[0]);
    })
}

/// T5 through the embedded form: one streamed step.
fn t5_embedded() -> Workload {
    let net = T5Lstm::<f32>::new(&mut seeded(0)).to_embedded();
    let (mut y, mut s) = ([0.0f32; 1], T5LstmEmbeddedScratch::ZERO);
    let mut v = 0.1f32;
    per_call(CALL, move || {
        net.step(&[black_box(v)], &mut y, &mut s).unwrap();
        v = black_box(y[0]).clamp(-1.0, 1.0);
    })
}

/// T6-shaped MLP training (1024 -> width -> width -> 1024, batch 256, MSE, SGD); the work
/// of a step is its FLOPs: 6 x weights x batch.
macro_rules! t6_workload {
    ($net:ident, $width:expr) => {{
        let mut rng = seeded(0);
        let mut net = $net::<f32>::new(&mut rng);
        let x = rows::<1024>(&mut rng, 256);
        let y = rows::<1024>(&mut rng, 256);
        let mut opt = Sgd::new(0.01).unwrap();
        let mut t = net.train_state(0);
        t.set_check_finite(guard_on());
        let w: f64 = $width;
        Workload {
            step: Box::new(move || {
                black_box(net.train_step(&x, &y, &mut opt, &mut t).unwrap());
            }),
            work: 6.0 * (2.0 * 1024.0 * w + w * w) * 256.0 / 1e9,
            timing: if w >= 4096.0 { SLOW } else { TRAIN },
        }
    }};
}

fn t6(width: usize) -> Workload {
    match width {
        256 => t6_workload!(T6Mlp256, 256.0),
        1024 => t6_workload!(T6Mlp1024, 1024.0),
        _ => t6_workload!(T6Mlp, 4096.0),
    }
}

fn t8() -> Workload {
    let mut rng = seeded(0);
    let mut net = kiln_models::ResNet18Cifar::<f32>::new(&mut rng);
    let x = rows::<{ 3 * 32 * 32 }>(&mut rng, 32);
    let y = labels(32);
    let mut opt = Sgd::new(0.01).unwrap().momentum(0.9).unwrap();
    let mut t = net.train_state(0);
    Workload {
        step: Box::new(move || {
            black_box(net.train_step(&x, &y, &mut opt, &mut t).unwrap());
        }),
        work: 32.0,
        // A step takes most of a second: 5 warm-up steps, median of 5 repeats of 5 steps.
        timing: Timing {
            warmup: 5,
            repeats: 5,
            inner: 5,
        },
    }
}

/// Where a data-parallel workload's replicas run.
enum Parallel {
    /// On this many threads of one process.
    Threads(usize),
    /// One in each process of an MPI job (this process's).
    #[cfg_attr(not(feature = "mpi"), allow(dead_code))]
    Processes(Arc<dyn Processes>),
}

/// `net` trained data-parallel (`Replicas::train_step`) on the flat batch `x`/`y` of `steps`
/// time steps; also returns where the replicas report their join (or allreduce) time.
fn replicated<N, Y>(
    mut net: N,
    x: Vec<f32>,
    y: Vec<Y>,
    steps: usize,
    mut opt: Box<dyn kiln::runtime::optim::Optimizer<f32>>,
    how: &Parallel,
    like: Workload,
) -> (Workload, std::rc::Rc<std::cell::Cell<f64>>)
where
    N: Network<f32> + Clone + 'static,
    N::Loss: kiln::runtime::loss::Loss<f32, Target = [Y]>,
    Y: Clone + Send + Sync + 'static,
{
    let mut r = match how {
        Parallel::Threads(n) => Replicas::new(&net, *n, 0),
        Parallel::Processes(p) => Replicas::across(p.clone(), &mut net, 0),
    }
    .unwrap();
    r.each_state(|t| N::set_steps(t, steps));
    let join = std::rc::Rc::new(std::cell::Cell::new(0.0));
    let seen = join.clone();
    let step = Box::new(move || {
        black_box(r.train_step(&mut net, &x, &y, &mut *opt).unwrap());
        seen.set(r.join_seconds());
    });
    let w = Workload {
        step,
        work: like.work,
        timing: like.timing,
    };
    (w, join)
}

/// T1, T1 at batch 8 (`T1b8`), T2, T3 or T8 data-parallel.
fn data_parallel(base: &str, replicas: &Parallel) -> (Workload, std::rc::Rc<std::cell::Cell<f64>>) {
    let mut rng = seeded(0);
    let sgd = || Box::new(Sgd::new(0.01).unwrap().momentum(0.9).unwrap());
    match base {
        "T1" | "T1b8" => {
            let batch = if base == "T1" { 64 } else { 8 };
            let net = T1Mlp::<f32>::new(&mut rng);
            let x = rows::<784>(&mut rng, batch).concat();
            replicated(net, x, labels(batch), 1, sgd(), replicas, t1(batch))
        }
        "T2" => {
            let net = kiln_models::LeNet5::<f32>::new(&mut rng);
            let x = rows::<784>(&mut rng, 64).concat();
            replicated(net, x, labels(64), 1, sgd(), replicas, t2())
        }
        "T3" => {
            let net = T3Lstm::<f32>::new(&mut seeded(0));
            let (x, y) = one_hot_batch(32);
            let adam = Box::new(Adam::new(1e-3).unwrap());
            replicated(net, x.concat(), y, 32, adam, replicas, t3(32))
        }
        _ => {
            let net = kiln_models::ResNet18Cifar::<f32>::new(&mut rng);
            let x = rows::<{ 3 * 32 * 32 }>(&mut rng, 32).concat();
            replicated(net, x, labels(32), 1, sgd(), replicas, t8())
        }
    }
}

/// The data-parallel tables' workloads and their units.
const DATA_PARALLEL: [(&str, &str); 5] = [
    ("T1", "samples/s"),
    ("T1b8", "samples/s"),
    ("T2", "samples/s"),
    ("T3", "tokens/s"),
    ("T8", "samples/s"),
];

/// Throughput of T1 (and T1 at batch 8), T2, T3 and T8 single-process and on 1 and 2 thread replicas, with the
/// time per step the replicas spend joining (weights out, gradients summed).
fn replicas_table() {
    println!("Data-parallel training on thread replicas (`Fit::replicas`), same global batch:\n");
    println!("| id | unit | one process | 1 replica | 2 replicas | 2 replicas / one process | join per step (2 replicas) |");
    println!("|---|---|---|---|---|---|---|");
    for (id, unit) in DATA_PARALLEL {
        let one = workload(id).unwrap().measure(true);
        let r1 = data_parallel(id, &Parallel::Threads(1)).0.measure(true);
        let (w2, join) = data_parallel(id, &Parallel::Threads(2));
        let r2 = w2.measure(true);
        println!(
            "| {id} | {unit} | {} | {} | {} | {:.2}x | {:.0} us |",
            fmt(one),
            fmt(r1),
            fmt(r2),
            r2 / one,
            join.get() * 1e6
        );
    }
    println!();
}

/// The data-parallel workloads on the processes of the MPI job this one belongs to
/// (`mpirun -n 2 <bench binary> --processes`); process 0 prints the rows.
#[cfg(feature = "mpi")]
fn processes_table(only: &[String]) {
    let mpi = kiln::mpi::Mpi::init().unwrap();
    let (n, lead) = (mpi.size(), mpi.rank() == 0);
    if lead {
        println!(
            "Data-parallel training on {n} MPI processes (`Fit::processes`), same global batch:\n"
        );
        println!("| id | unit | {n} processes | allreduce per step | allreduce alone |");
        println!("|---|---|---|---|---|");
    }
    let how = Parallel::Processes(mpi.clone());
    for (id, unit) in DATA_PARALLEL {
        if !(only.is_empty() || only.iter().any(|o| o == id)) {
            continue;
        }
        let (w, sum) = data_parallel(id, &how);
        let r = w.measure(true);
        let alone = allreduce_alone(&*mpi, param_count(id));
        if lead {
            println!(
                "| {id} | {unit} | {} | {:.0} us | {:.0} us |",
                fmt(r),
                sum.get() * 1e6,
                alone * 1e6
            );
        }
    }
}

/// Seconds of one sum of `n` f32 across the processes when they all arrive together (20
/// back to back after a warm-up; each sum waits for every process, so they run in step).
#[cfg(feature = "mpi")]
fn allreduce_alone(p: &dyn Processes, n: usize) -> f64 {
    let mut v = vec![1.0f32; n];
    p.sum_f32(&mut v);
    let start = Instant::now();
    for _ in 0..20 {
        p.sum_f32(&mut v);
    }
    start.elapsed().as_secs_f64() / 20.0
}

/// Parameters of the network of data-parallel workload `id`.
#[cfg(feature = "mpi")]
fn param_count(id: &str) -> usize {
    let mut rng = seeded(0);
    match id {
        "T1" | "T1b8" => T1Mlp::<f32>::new(&mut rng).param_count(),
        "T2" => kiln_models::LeNet5::<f32>::new(&mut rng).param_count(),
        "T3" => T3Lstm::<f32>::new(&mut rng).param_count(),
        _ => kiln_models::ResNet18Cifar::<f32>::new(&mut rng).param_count(),
    }
}

#[cfg(not(feature = "mpi"))]
fn processes_table(_: &[String]) {
    eprintln!("--processes needs kiln's `mpi` feature: cargo bench --bench workloads --features mpi --no-run, then mpirun -n 2 <the bench binary it names> --processes");
}

/// The workload named `id` (`T1`, `T1b8`, `T3s128`, `T6w256`, `T4e`, ...).
fn workload(id: &str) -> Option<Workload> {
    Some(match id {
        "T1" => t1(64),
        "T2" => t2(),
        "T2f" => t2_frozen(),
        "T3" => t3(32),
        "T4" => t4(),
        "T5" => t5(),
        "T6" => t6(4096),
        "T7" => t7(),
        "T8" => t8(),
        "T4e" => t4_embedded(),
        "T5e" => t5_embedded(),
        "T4q" => t4_int8(),
        "T5q" => t5_int8(),
        "LeNet5e" => lenet_embedded(),
        "LeNet5q" => lenet_int8(),
        "L1" => layers::l1(),
        "L2" => layers::l2(),
        "L3" => layers::l3(),
        "L4" => layers::l4(),
        _ => {
            let (base, rest) = id.split_at(id.len().min(2));
            let n: usize = rest.get(1..)?.parse().ok()?;
            match (base, rest.as_bytes()[0]) {
                ("T1", b'b') => t1(n),
                ("T3", b's') => t3(n),
                ("T6", b'w') => t6(n),
                _ => return None,
            }
        }
    })
}

/// Peak resident memory of a training workload: runs it in a child process (this binary
/// with `--memory-child ID`), which reports VmHWM after warm-up and one timed repeat.
/// Returns (peak, peak before the workload was built) in MiB.
fn peak_rss_mib(id: &str) -> Option<(f64, f64)> {
    let exe = std::env::current_exe().ok()?;
    let out = Command::new(exe)
        .args(["--memory-child", id])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let read = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.trim().parse::<f64>().ok())
            .map(|kib| kib / 1024.0)
    };
    Some((read("peak_kib ")?, read("baseline_kib ")?))
}

/// This process's peak resident set (VmHWM) in KiB.
fn vm_hwm_kib() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .unwrap_or("0")
        .to_string()
}

fn memory_child(id: &str) {
    println!("baseline_kib {}", vm_hwm_kib());
    let mut w = workload(id).expect("known workload id");
    let steps = w.timing.warmup + w.timing.inner;
    for _ in 0..steps {
        (w.step)();
    }
    println!("peak_kib {}", vm_hwm_kib());
}

/// PyTorch's figures from the same run for `ids`, if torch is importable; `extra` are
/// flags for the script (`--memory`).
fn torch(ids: &[&str], extra: &[&str]) -> Vec<Option<f64>> {
    peer("torch_workloads.py", ids, extra)
}

/// JAX jit's figures (T1 and T6 shapes only: the workloads where JAX is the best peer).
fn jax(ids: &[&str]) -> Vec<Option<f64>> {
    let known = |id: &&str| id.starts_with("T1") || id.starts_with("T6");
    let asked: Vec<&str> = ids.iter().copied().filter(known).collect();
    let got = if asked.is_empty() {
        Vec::new()
    } else {
        peer("jax_workloads.py", &asked, &[])
    };
    let mut got = got.into_iter();
    ids.iter()
        .map(|id| {
            if known(id) {
                got.next().flatten()
            } else {
                None
            }
        })
        .collect()
}

/// Runs `benches/<script>` (Python) for `ids` and reads `<id> <value> <unit>` lines; `None`
/// for every id if Python or the framework is missing or `KILN_BENCH_NO_TORCH` is set.
fn peer(script: &str, ids: &[&str], extra: &[&str]) -> Vec<Option<f64>> {
    if std::env::var_os("KILN_BENCH_NO_TORCH").is_some() {
        return vec![None; ids.len()];
    }
    let path = format!("{}/benches/{script}", env!("CARGO_MANIFEST_DIR"));
    let out = Command::new("python3")
        .arg(path)
        .args(extra)
        .args(ids)
        .output();
    let text = match out {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).into_owned(),
        _ => return vec![None; ids.len()],
    };
    ids.iter()
        .map(|id| {
            text.lines()
                .find(|l| l.split_whitespace().next() == Some(id))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .collect()
}

/// One row of a comparison table.
struct Row {
    id: &'static str,
    name: &'static str,
    unit: &'static str,
    higher_better: bool,
}

const fn row(id: &'static str, name: &'static str, unit: &'static str, hb: bool) -> Row {
    Row {
        id,
        name,
        unit,
        higher_better: hb,
    }
}

/// Measures kiln on every row, then PyTorch (and JAX where it is the best peer) on the
/// same rows, and prints the table with the speed ratios.
fn table(rows: &[Row], peer_ids: &[&str]) {
    let kiln: Vec<f64> = rows
        .iter()
        .map(|r| workload(r.id).unwrap().measure(r.higher_better))
        .collect();
    let pt = torch(peer_ids, &[]);
    let jx = jax(peer_ids);
    let with_jax = jx.iter().any(Option::is_some);
    let ratio = |r: &Row, k: f64, p: Option<f64>| match p {
        Some(p) => {
            let speedup = if r.higher_better { k / p } else { p / k };
            (fmt(p), format!("{speedup:.2}x"))
        }
        None => ("-".into(), "-".into()),
    };
    if with_jax {
        println!("| id | unit | kiln | PyTorch eager | kiln / PyTorch | JAX jit | kiln / JAX |");
        println!("|---|---|---|---|---|---|---|");
    } else {
        println!("| id | unit | kiln | PyTorch eager | kiln speed / PyTorch speed |");
        println!("|---|---|---|---|---|");
    }
    for (((r, k), p), j) in rows.iter().zip(kiln).zip(pt).zip(jx) {
        let (p, pr) = ratio(r, k, p);
        print!("| {} | {} | {} | {p} | {pr} |", r.name, r.unit, fmt(k));
        if with_jax {
            let (j, jr) = ratio(r, k, j);
            print!(" {j} | {jr} |");
        }
        println!();
    }
    println!();
}

fn fmt(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// The layer kinds of the expressivity round, each in a small training step.
const LAYERS: [Row; 4] = [
    row(
        "L1",
        "L1 conv1d-train (2 x conv1d 32 k5 on 16 x 128)",
        "samples/s",
        true,
    ),
    row(
        "L2",
        "L2 depthwise-train (depthwise 3x3 + pointwise on 32 x 16 x 16)",
        "samples/s",
        true,
    ),
    row(
        "L3",
        "L3 mean-over-time-train (dense 256 per step, mean, 32 x 32 steps)",
        "tokens/s",
        true,
    ),
    row(
        "L4",
        "L4 packed-lstm-train (LSTM 128, lengths 8-32, last step)",
        "tokens/s",
        true,
    ),
];

const MAIN: [Row; 9] = [
    row("T1", "T1 mlp-train", "samples/s", true),
    row("T2", "T2 lenet-train", "samples/s", true),
    row(
        "T2f",
        "T2f lenet-finetune (convolutions frozen)",
        "samples/s",
        true,
    ),
    row("T3", "T3 lstm-train", "tokens/s", true),
    row("T4", "T4 mlp-infer-1", "ns/call", false),
    row("T5", "T5 lstm-infer-1", "ns/step", false),
    row("T6", "T6 big-mlp-train", "GFLOP/s", true),
    row("T7", "T7 gru-train", "tokens/s", true),
    row("T8", "T8 resnet18-train", "samples/s", true),
];

fn main_tables(only: &[String]) {
    let chosen: Vec<&Row> = MAIN
        .iter()
        .filter(|r| only.is_empty() || only.iter().any(|o| o == r.id))
        .collect();
    if !chosen.is_empty() {
        let rows: Vec<Row> = chosen
            .iter()
            .map(|r| row(r.id, r.name, r.unit, r.higher_better))
            .collect();
        let ids: Vec<&str> = rows.iter().map(|r| r.id).collect();
        table(&rows, &ids);
        // PyTorch's best T8 setting on this CPU is channels-last (WORKLOADS.md).
        if ids.contains(&"T8") {
            let k = workload("T8").unwrap().measure(true);
            if let Some(p) = torch(&["T8cl"], &[])[0] {
                println!("T8 against PyTorch channels-last: kiln {k:.1}, PyTorch {p:.1} samples/s, {:.2}x\n", k / p);
            }
        }
    }
    let layer_rows: Vec<Row> = LAYERS
        .iter()
        .filter(|r| only.is_empty() || only.iter().any(|o| o == r.id))
        .map(|r| row(r.id, r.name, r.unit, r.higher_better))
        .collect();
    if !layer_rows.is_empty() {
        println!("Layer kinds of the expressivity round (a training step built around each):\n");
        let ids: Vec<&str> = layer_rows.iter().map(|r| r.id).collect();
        table(&layer_rows, &ids);
    }
    // RTNeural's compile-time API cannot run here; its figures, measured on this machine beside
    // kiln, are read from ../shared/bench/WORKLOADS.md (the last values it gives).
    let rtneural = rtneural_figures();
    let embedded = [
        ("T4e", "T4 mlp-infer-1", "ns/call", rtneural.0),
        ("T5e", "T5 lstm-infer-1", "ns/step", rtneural.1),
        ("T4q", "T4 mlp-infer-1 in int8", "ns/call", rtneural.0),
        ("T5q", "T5 lstm-infer-1 in int8", "ns/step", rtneural.1),
        ("LeNet5e", "LeNet-5, one image", "ns/call", None),
        ("LeNet5q", "LeNet-5, one image, in int8", "ns/call", None),
    ];
    let embedded: Vec<_> = embedded
        .iter()
        .filter(|e| only.is_empty() || only.iter().any(|o| o == e.0))
        .collect();
    if !embedded.is_empty() {
        println!(
            "| id | kiln embedded form | RTNeural compile-time API | kiln time / RTNeural time |"
        );
        println!("|---|---|---|---|");
        for (id, name, unit, rt) in embedded {
            let k = workload(id).unwrap().measure(false);
            match rt {
                Some(rt) => println!(
                    "| {name} | {k:.0} {unit} | {rt:.0} {unit} | {:.2} |",
                    k / rt
                ),
                None => println!("| {name} | {k:.0} {unit} | not in WORKLOADS.md | - |"),
            }
        }
        println!();
    }
}

/// RTNeural's T4 and T5 times (ns) from the peers' file: the sentence
/// "Use RTNeural 272 ns (T4) and 203 ns (T5) as the reference figures", the last one given.
fn rtneural_figures() -> (Option<f64>, Option<f64>) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/bench/WORKLOADS.md");
    let Ok(text) = std::fs::read_to_string(path) else {
        return (None, None);
    };
    let Some(at) = text.rfind("Use RTNeural ") else {
        return (None, None);
    };
    let sentence = &text[at..text[at..]
        .find(" as the reference")
        .map_or(text.len(), |e| at + e)];
    let figure = |id: &str| {
        let end = sentence.find(&format!(" ns ({id})"))?;
        let start = sentence[..end].rfind(' ')? + 1;
        sentence[start..end].replace(',', "").parse().ok()
    };
    (figure("T4"), figure("T5"))
}

fn scaling_tables() {
    println!("T1 (784-256-128-10 MLP training) by batch size:\n");
    table(
        &[
            row("T1b1", "T1 batch 1", "samples/s", true),
            row("T1b8", "T1 batch 8", "samples/s", true),
            row("T1b64", "T1 batch 64", "samples/s", true),
            row("T1b512", "T1 batch 512", "samples/s", true),
        ],
        &["T1b1", "T1b8", "T1b64", "T1b512"],
    );
    println!("T6 (1024-w-w-1024 MLP training, batch 256) by hidden width w:\n");
    table(
        &[
            row("T6w256", "T6 width 256", "GFLOP/s", true),
            row("T6w1024", "T6 width 1024", "GFLOP/s", true),
            row("T6w4096", "T6 width 4096", "GFLOP/s", true),
        ],
        &["T6w256", "T6w1024", "T6w4096"],
    );
    println!("T3 (one-hot 64 -> LSTM 256 -> dense 64 training, batch 32) by sequence length:\n");
    table(
        &[
            row("T3s8", "T3 seq 8", "tokens/s", true),
            row("T3s32", "T3 seq 32", "tokens/s", true),
            row("T3s128", "T3 seq 128", "tokens/s", true),
        ],
        &["T3s8", "T3s32", "T3s128"],
    );
}

fn memory_table() {
    let ids = ["T1", "T2", "T3", "T6", "T7", "T8"];
    let peers = torch(&ids, &["--memory"]);
    let peer_base = torch(&["base"], &["--memory"])[0];
    println!("Peak resident memory of the whole process (VmHWM / ru_maxrss) after warm-up and one");
    println!("timed repeat, each workload in a fresh process; in brackets the growth over the");
    println!("process before the workload was built (PyTorch: after `import torch`):\n");
    println!("| id | kiln (MiB) | PyTorch eager (MiB) | kiln / PyTorch |");
    println!("|---|---|---|---|");
    for (id, p) in ids.iter().zip(peers) {
        let k = peak_rss_mib(id);
        let kc = k.map_or("not measured".into(), |(k, b)| {
            format!("{k:.0} (+{:.0})", k - b)
        });
        let pc = match (p, peer_base) {
            (Some(p), Some(b)) => format!("{p:.0} (+{:.0})", p - b),
            (Some(p), None) => format!("{p:.0}"),
            _ => "not measured".into(),
        };
        let ratio = match (k, p) {
            (Some((k, _)), Some(p)) => format!("{:.2}", k / p),
            _ => "-".into(),
        };
        println!("| {id} | {kc} | {pc} | {ratio} |");
    }
    println!();
}

fn main() {
    // `cargo bench` passes `--bench`; anything else is a workload id or a section flag.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    if let Some(i) = args.iter().position(|a| a == "--memory-child") {
        memory_child(&args[i + 1]);
        return;
    }
    let flags = |f: &str| args.iter().any(|a| a == f);
    let only: Vec<String> = args
        .iter()
        .filter(|a| !a.starts_with("--"))
        .cloned()
        .collect();
    if flags("--processes") {
        processes_table(&only);
        return;
    }
    let sections = flags("--scaling") || flags("--memory") || flags("--replicas");
    if !sections || !only.is_empty() {
        main_tables(&only);
    }
    if only.is_empty() && (!sections || flags("--scaling")) {
        scaling_tables();
    }
    if only.is_empty() && (!sections || flags("--replicas")) {
        replicas_table();
    }
    if only.is_empty() && (!sections || flags("--memory")) {
        memory_table();
    }
}
