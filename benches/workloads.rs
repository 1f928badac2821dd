//! kiln on the workloads of `../shared/bench/WORKLOADS.md` (T1-T8), with PyTorch
//! measured in the same run when `python3 -c "import torch"` works. Prints a markdown table.
//!
//! cargo bench --bench workloads            (KILN_BENCH_NO_TORCH=1 to skip PyTorch)

use std::hint::black_box;
use std::process::Command;
use std::time::Instant;

use kiln::prelude::*;
use kiln::runtime::optim::{Adam, Sgd};
use kiln::runtime::rng::uniform;

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

/// Seconds per call: `warmup` calls, then the median of `repeats` timings of `inner` calls.
fn median_secs(warmup: usize, repeats: usize, inner: usize, mut f: impl FnMut()) -> f64 {
    for _ in 0..warmup {
        f();
    }
    let mut t: Vec<f64> = (0..repeats)
        .map(|_| {
            let s = Instant::now();
            for _ in 0..inner {
                f();
            }
            s.elapsed().as_secs_f64() / inner as f64
        })
        .collect();
    t.sort_by(|a, b| a.total_cmp(b));
    t[t.len() / 2]
}

fn t1() -> f64 {
    let mut rng = seeded(0);
    let mut net = T1Mlp::<f32>::new(&mut rng);
    let x: Vec<[f32; 784]> = (0..64)
        .map(|_| std::array::from_fn(|_| uniform(&mut rng, 0.0, 1.0)))
        .collect();
    let labels: Vec<usize> = (0..64).map(|i| (i * 7) % 10).collect();
    let mut opt = Sgd::new(0.01).unwrap().momentum(0.9).unwrap();
    let mut t = net.train_state(0);
    let secs = median_secs(20, 7, 100, || {
        black_box(net.train_step(&x, &labels, &mut opt, &mut t).unwrap());
    });
    64.0 / secs
}

/// GFLOP/s of T6's training step: 6 x 25,165,824 weights x 256 samples per step.
fn t6() -> f64 {
    let mut rng = seeded(0);
    let mut net = T6Mlp::<f32>::new(&mut rng);
    let x: Vec<[f32; 1024]> = (0..256)
        .map(|_| std::array::from_fn(|_| uniform(&mut rng, 0.0, 1.0)))
        .collect();
    let y: Vec<[f32; 1024]> = (0..256)
        .map(|_| std::array::from_fn(|_| uniform(&mut rng, 0.0, 1.0)))
        .collect();
    let mut opt = Sgd::new(0.01).unwrap();
    let mut t = net.train_state(0);
    // A step is about a quarter of a second: 3 warm-up steps, median of 5 repeats of 3.
    let secs = median_secs(3, 5, 3, || {
        black_box(net.train_step(&x, &y, &mut opt, &mut t).unwrap());
    });
    6.0 * 25_165_824.0 * 256.0 / secs / 1e9
}

fn t2() -> f64 {
    let mut rng = seeded(0);
    let mut net = kiln_models::LeNet5::<f32>::new(&mut rng);
    let x: Vec<[f32; 784]> = (0..64)
        .map(|_| std::array::from_fn(|_| uniform(&mut rng, 0.0, 1.0)))
        .collect();
    let labels: Vec<usize> = (0..64).map(|i| (i * 7) % 10).collect();
    let mut opt = Sgd::new(0.01).unwrap().momentum(0.9).unwrap();
    let mut t = net.train_state(0);
    let secs = median_secs(20, 5, 100, || {
        black_box(net.train_step(&x, &labels, &mut opt, &mut t).unwrap());
    });
    64.0 / secs
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

/// Time-major one-hot batch of 32 sequences of 32 steps over 64 symbols, and next-symbol labels.
fn one_hot_batch() -> (Vec<[f32; 64]>, Vec<usize>) {
    let mut rng = seeded(0);
    let ids: Vec<usize> = (0..32 * 33)
        .map(|_| (uniform::<f64, _>(&mut rng, 0.0, 64.0) as usize).min(63))
        .collect();
    let mut x = Vec::new();
    let mut y = Vec::new();
    for t in 0..32 {
        for s in 0..32 {
            let mut row = [0.0f32; 64];
            row[ids[s * 33 + t]] = 1.0;
            x.push(row);
            y.push(ids[s * 33 + t + 1]);
        }
    }
    (x, y)
}

fn t3() -> f64 {
    let mut net = T3Lstm::<f32>::new(&mut seeded(0));
    let (x, y) = one_hot_batch();
    let mut opt = Adam::new(1e-3).unwrap();
    let mut t = net.train_state(0);
    let secs = median_secs(20, 5, 20, || {
        black_box(net.train_step_seq(&x, 32, &y, &mut opt, &mut t).unwrap());
    });
    (32.0 * 32.0) / secs
}

fn t7() -> f64 {
    let mut net = T7Gru::<f32>::new(&mut seeded(0));
    let (x, y) = one_hot_batch();
    let mut opt = Adam::new(1e-3).unwrap();
    let mut t = net.train_state(0);
    let secs = median_secs(20, 5, 20, || {
        black_box(net.train_step_seq(&x, 32, &y, &mut opt, &mut t).unwrap());
    });
    (32.0 * 32.0) / secs
}

fn t5() -> f64 {
    let net = T5Lstm::<f32>::new(&mut seeded(0));
    let mut st = net.stream();
    let mut v = 0.1f32;
    median_secs(1000, 7, 20_000, || {
        v = black_box(net.step(&mut st, &[black_box(v)])[0]).clamp(-1.0, 1.0);
    }) * 1e9
}

fn t8() -> f64 {
    let mut rng = seeded(0);
    let mut net = kiln_models::ResNet18Cifar::<f32>::new(&mut rng);
    let x: Vec<[f32; 3 * 32 * 32]> = (0..32)
        .map(|_| std::array::from_fn(|_| uniform(&mut rng, 0.0, 1.0)))
        .collect();
    let labels: Vec<usize> = (0..32).map(|i| (i * 7) % 10).collect();
    let mut opt = Sgd::new(0.01).unwrap().momentum(0.9).unwrap();
    let mut t = net.train_state(0);
    // A step takes most of a second: 5 warm-up steps, median of 5 repeats of 5 steps.
    let secs = median_secs(5, 5, 5, || {
        black_box(net.train_step(&x, &labels, &mut opt, &mut t).unwrap());
    });
    32.0 / secs
}

fn t4() -> f64 {
    let mut rng = seeded(0);
    let net = T4Mlp::<f32>::new(&mut rng);
    let x: [f32; 16] = std::array::from_fn(|_| uniform(&mut rng, 0.0, 1.0));
    let mut s = net.scratch();
    median_secs(1000, 7, 20_000, || {
        black_box(net.forward_one(black_box(&x), &mut s));
    }) * 1e9
}

/// T4 through the embedded form (batch 1, inline arrays, no allocation): ns per call.
fn t4_embedded() -> f64 {
    let mut rng = seeded(0);
    let net = T4Mlp::<f32>::new(&mut rng).to_embedded();
    let x: [f32; 16] = std::array::from_fn(|_| uniform(&mut rng, 0.0, 1.0));
    let (mut y, mut s) = ([0.0f32; 8], T4MlpEmbeddedScratch::ZERO);
    median_secs(1000, 7, 50_000, || {
        net.forward(black_box(&x), &mut y, &mut s).unwrap();
        black_box(&y);
    }) * 1e9
}

/// T5 through the embedded form: ns per streamed step.
fn t5_embedded() -> f64 {
    let net = T5Lstm::<f32>::new(&mut seeded(0)).to_embedded();
    let (mut y, mut s) = ([0.0f32; 1], T5LstmEmbeddedScratch::ZERO);
    let mut v = 0.1f32;
    median_secs(1000, 7, 50_000, || {
        net.step(&[black_box(v)], &mut y, &mut s).unwrap();
        v = black_box(y[0]).clamp(-1.0, 1.0);
    }) * 1e9
}

/// PyTorch's figures from the same run, if torch is importable.
fn torch(ids: &[&str]) -> Vec<Option<f64>> {
    if std::env::var_os("KILN_BENCH_NO_TORCH").is_some() {
        return vec![None; ids.len()];
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/torch_workloads.py");
    let out = Command::new("python3").arg(script).args(ids).output();
    let text = match out {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).into_owned(),
        _ => return vec![None; ids.len()],
    };
    ids.iter()
        .map(|id| {
            text.lines()
                .find(|l| l.starts_with(id))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .collect()
}

fn main() {
    // Optional filter: `cargo bench --bench workloads -- T2 T8` runs only the named ones.
    let only: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a.starts_with('T'))
        .collect();
    let ids = ["T1", "T2", "T3", "T4", "T5", "T6", "T7", "T8"];
    let runs: [fn() -> f64; 8] = [t1, t2, t3, t4, t5, t6, t7, t8];
    let pick = |id: &str| only.is_empty() || only.iter().any(|o| o == id);
    let kiln = ids.map(|id| pick(id).then(|| runs[id[1..].parse::<usize>().unwrap() - 1]()));
    let peers = torch(&ids.into_iter().filter(|id| pick(id)).collect::<Vec<_>>());
    let mut peers = peers.into_iter();
    let peers = ids.map(|id| {
        if pick(id) {
            peers.next().flatten()
        } else {
            None
        }
    });
    println!("| id | unit | kiln | PyTorch eager (same run) | kiln speed / PyTorch speed |");
    println!("|---|---|---|---|---|");
    let rows = [
        ("T1 mlp-train", "samples/s", true),
        ("T2 lenet-train", "samples/s", true),
        ("T3 lstm-train", "tokens/s", true),
        ("T4 mlp-infer-1", "ns/call", false),
        ("T5 lstm-infer-1", "ns/step", false),
        ("T6 big-mlp-train", "GFLOP/s", true),
        ("T7 gru-train", "tokens/s", true),
        ("T8 resnet18-train", "samples/s", true),
    ];
    for (((name, unit, higher_better), k), p) in rows.iter().zip(kiln).zip(peers) {
        let Some(k) = k else { continue };
        let (pt, ratio) = match p {
            Some(p) => {
                let speedup = if *higher_better { k / p } else { p / k };
                (format!("{p:.0}"), format!("{speedup:.2}x"))
            }
            None => ("not measured".into(), "-".into()),
        };
        println!("| {name} | {unit} | {k:.0} | {pt} | {ratio} |");
    }
    if !only.is_empty() {
        return;
    }
    // RTNeural's compile-time API, as measured on this machine (../shared/bench/WORKLOADS.md).
    let (e4, e5) = (t4_embedded(), t5_embedded());
    println!();
    println!("| id | kiln embedded form | RTNeural compile-time API | kiln time / RTNeural time |");
    println!("|---|---|---|---|");
    println!(
        "| T4 mlp-infer-1 | {e4:.0} ns/call | 287 ns/call | {:.2} |",
        e4 / 287.0
    );
    println!(
        "| T5 lstm-infer-1 | {e5:.0} ns/step | 200 ns/step | {:.2} |",
        e5 / 200.0
    );
}
