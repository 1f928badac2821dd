//! Trains the T5-shaped streaming model (LSTM, 1 input, 32 hidden, dense to 1 output) to
//! imitate a nonlinear audio effect sample by sample: a one-pole low-pass filter followed by
//! tanh soft clipping. The weights go to `--out` (default `runs/lstm-stream/filter.safetensors`);
//! the `lstm-stream` example crate bakes `examples/lstm-stream/filter.safetensors` into a
//! `no_std` model at compile time, so pass that path to replace the committed weights.
//!
//! cargo run --release --example train_filter -- [--epochs 2500 (updates)] [--batch 32] [--lr 0.005] [--seed 1] [--out PATH]

use kiln::checkpoint::save_weights;
use kiln::prelude::*;
use kiln::runtime::optim::Adam;
use kiln::runtime::rng::{normal, uniform};
use kiln::runtime::schedule::{apply, Cosine};
use kiln::train::{Options, Progress};

network! {
    /// The effect model: one LSTM step and a linear read-out per sample.
    pub struct Filter {
        input: [seq, 1],
        layers: [lstm(32), dense(1)],
        output: [seq, 1],
        loss: mse,
    }
}

/// The effect being imitated: `lp += 0.2 (x - lp)`, `y = tanh(2.5 lp)`, from rest.
fn effect(x: &[f32]) -> Vec<f32> {
    let mut lp = 0.0f32;
    x.iter()
        .map(|&v| {
            lp += 0.2 * (v - lp);
            (2.5 * lp).tanh()
        })
        .collect()
}

/// A test signal: a few random sines plus noise, at most about 1 in amplitude.
fn signal(len: usize, rng: &mut KilnRng) -> Vec<f32> {
    let parts: Vec<(f64, f64, f64)> = (0..3)
        .map(|_| {
            (
                uniform(rng, 0.005, 0.2),
                uniform(rng, 0.0, std::f64::consts::TAU),
                uniform(rng, 0.1, 0.4),
            )
        })
        .collect();
    (0..len)
        .map(|t| {
            let s: f64 = parts
                .iter()
                .map(|(f, p, a)| a * (f * t as f64 + p).sin())
                .sum();
            (s + normal(rng, 0.0, 0.05)) as f32
        })
        .collect()
}

const STEPS: usize = 128;

/// `--out PATH` taken out of `args` (at most once); the rest is for [`Options`].
fn take_out(args: &mut Vec<String>) -> Result<std::path::PathBuf, String> {
    let mut out = None;
    while let Some(i) = args.iter().position(|a| a == "--out") {
        if out.is_some() {
            return Err("--out is given twice; give it once".into());
        }
        let path = args.get(i + 1).ok_or("--out needs a path")?.clone();
        args.drain(i..i + 2);
        out = Some(path.into());
    }
    Ok(out.unwrap_or_else(|| "runs/lstm-stream/filter.safetensors".into()))
}

fn main() -> std::process::ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let help = args.iter().any(|a| a == "-h" || a == "--help");
    let defaults = Options {
        epochs: 2500,
        batch: 32,
        lr: 5e-3,
        seed: 1,
    };
    let parsed = take_out(&mut args).and_then(|out| {
        Options::parse("train_filter [--out PATH]", defaults, args).map(|o| (o, out))
    });
    let (o, out) = match parsed {
        Ok(v) => v,
        Err(msg) => {
            eprintln!("{msg}");
            return std::process::ExitCode::from(if help { 0 } else { 2 });
        }
    };
    // A diverged run (non-finite loss or weights) ends with status 1, nothing written.
    kiln::train::exit_code(run(&o, &out))
}

fn run(o: &Options, out: &std::path::Path) -> Result<(), Box<dyn std::error::Error>> {
    let mut rng = seeded(o.seed);
    let mut net = Filter::<f32>::new(&mut rng);
    let mut opt = Adam::new(o.lr)?;
    let mut state = net.train_state(o.seed);
    let schedule = Cosine::new(o.lr, o.epochs as u64, 0.0)?;
    let (mut x, mut y) = (Vec::new(), Vec::new());
    let mut progress = Progress::new(o.epochs as u64);
    for step in 0..o.epochs {
        // Time-major: step t of every sequence, then step t + 1.
        let seqs: Vec<(Vec<f32>, Vec<f32>)> = (0..o.batch)
            .map(|_| {
                let s = signal(STEPS, &mut rng);
                let e = effect(&s);
                (s, e)
            })
            .collect();
        x.clear();
        y.clear();
        for t in 0..STEPS {
            for (s, e) in &seqs {
                x.push([s[t]]);
                y.push([e[t]]);
            }
        }
        apply(&schedule, &mut opt, step as u64)?;
        let loss = net.train_step_seq(&x, STEPS, &y, &mut opt, &mut state)?;
        progress.step(loss as f64);
    }
    progress.finish();

    // Streamed over a long unseen signal, one sample at a time, as the embedded model runs.
    let test = signal(4000, &mut seeded(o.seed + 100));
    let want = effect(&test);
    let mut stream = net.stream();
    let err: f64 = test
        .iter()
        .zip(&want)
        .map(|(&v, &w)| {
            let got = net.step(&mut stream, &[v])[0];
            ((got - w) as f64).powi(2)
        })
        .sum::<f64>()
        / test.len() as f64;
    save_weights(&net, out)?;
    let path = out.display();
    println!(
        "streamed 4,000 unseen samples: RMS error {:.4} (signal RMS {:.3}); weights written to {path}",
        err.sqrt(),
        (want.iter().map(|v| (*v as f64).powi(2)).sum::<f64>() / want.len() as f64).sqrt()
    );
    Ok(())
}
