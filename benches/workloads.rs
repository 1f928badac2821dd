//! kiln on the workloads of `../shared/bench/WORKLOADS.md` (T1, T2, T4, T8 so far), with PyTorch
//! measured in the same run when `python3 -c "import torch"` works. Prints a markdown table.
//!
//! cargo bench --bench workloads            (KILN_BENCH_NO_TORCH=1 to skip PyTorch)

use std::hint::black_box;
use std::process::Command;
use std::time::Instant;

use kiln::prelude::*;
use kiln::runtime::optim::Sgd;
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
    let kiln = [t1(), t2(), t4(), t8()];
    let peers = torch(&["T1", "T2", "T4", "T8"]);
    println!("| id | unit | kiln | PyTorch eager (same run) | kiln speed / PyTorch speed |");
    println!("|---|---|---|---|---|");
    let rows = [
        ("T1 mlp-train", "samples/s", true),
        ("T2 lenet-train", "samples/s", true),
        ("T4 mlp-infer-1", "ns/call", false),
        ("T8 resnet18-train", "samples/s", true),
    ];
    for (((name, unit, higher_better), k), p) in rows.iter().zip(kiln).zip(peers) {
        let (pt, ratio) = match p {
            Some(p) => {
                let speedup = if *higher_better { k / p } else { p / k };
                (format!("{p:.0}"), format!("{speedup:.2}x"))
            }
            None => ("not measured".into(), "-".into()),
        };
        println!("| {name} | {unit} | {k:.0} | {pt} | {ratio} |");
    }
}
