//! `kiln-fuzz <target|all> [--seconds N] [--iterations N] [--seed S]`: fuzzes kiln's readers
//! and the `network!` front end from the seed corpus for a budget and reports iterations,
//! executions per second and findings (saved under `fuzz/crashes/`). Exits with status 1 if
//! anything was found.
//! `kiln-fuzz write-seeds` regenerates the safetensors seeds with kiln's `save_weights`.

use std::process::ExitCode;
use std::time::Duration;

use kiln_fuzz::driver::{corpus_dir, crashes_dir, fuzz, read_inputs, Budget};
use kiln_fuzz::{target, TARGETS};

const USAGE: &str =
    "usage: kiln-fuzz <idx|csv|safetensors|training|vocab|dsl|all> [--seconds N] [--iterations N] [--seed S]";

struct Args {
    targets: Vec<&'static str>,
    budget: Budget,
    seed: u64,
}

fn parse(args: &[String]) -> Result<Args, String> {
    let mut it = args.iter();
    let which = it.next().ok_or("no target given")?;
    let targets = if which == "all" {
        TARGETS.iter().map(|t| t.name).collect()
    } else {
        vec![
            target(which)
                .ok_or(format!("unknown target `{which}`"))?
                .name,
        ]
    };
    let mut budget = Budget {
        iterations: u64::MAX,
        time: Duration::from_secs(60),
    };
    let mut seed = 0;
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        let number = || {
            value
                .parse::<u64>()
                .map_err(|_| format!("{flag}: cannot read {value:?}"))
        };
        match flag.as_str() {
            "--seconds" => budget.time = Duration::from_secs(number()?),
            "--iterations" => budget.iterations = number()?,
            "--seed" => seed = number()?,
            _ => return Err(format!("unknown option `{flag}`")),
        }
    }
    Ok(Args {
        targets,
        budget,
        seed,
    })
}

/// Writes the safetensors seeds with kiln's own writer: the fuzz network's weights in f32 and
/// f64, and the f32 file cut short.
fn write_seeds() -> Result<(), String> {
    use kiln::checkpoint::save_weights;
    use kiln::prelude::*;
    use kiln_fuzz::net::FuzzNet;
    let dir = corpus_dir("safetensors");
    let f32_path = dir.join("fuzznet-f32.safetensors");
    save_weights(&FuzzNet::<f32>::new(&mut seeded(1)), &f32_path).map_err(|e| e.to_string())?;
    save_weights(
        &FuzzNet::<f64>::new(&mut seeded(2)),
        dir.join("fuzznet-f64.safetensors"),
    )
    .map_err(|e| e.to_string())?;
    let bytes = std::fs::read(&f32_path).map_err(|e| e.to_string())?;
    std::fs::write(
        dir.join("truncated.safetensors"),
        &bytes[..bytes.len() * 2 / 3],
    )
    .map_err(|e| e.to_string())?;
    write_training_seeds()
}

/// Training checkpoints of the fuzz network after two steps: f32 with Adam, f64 with SGD with
/// momentum, and the first cut short.
fn write_training_seeds() -> Result<(), String> {
    use kiln::checkpoint::save_training;
    use kiln::prelude::*;
    use kiln::runtime::optim::{Adam, Optimizer, Sgd};
    use kiln_fuzz::net::FuzzNet;
    fn trained<T: Float>(path: &std::path::Path, opt: &mut dyn Optimizer<T>) -> Result<(), String> {
        let mut net = FuzzNet::<T>::new(&mut seeded(3));
        let mut state = net.train_state(0);
        let x = [0.5, -1.0, 0.25, 2.0, 1.0, 0.0, -0.5, 0.75].map(T::from_f64);
        for _ in 0..2 {
            kiln::runtime::train_step(&mut net, &x, &[0, 2], opt, &mut state)
                .map_err(|e| e.to_string())?;
        }
        save_training(path, &net, opt, &[], &[]).map_err(|e| e.to_string())
    }
    let dir = corpus_dir("training");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let adam = dir.join("fuzznet-adam-f32.safetensors");
    trained::<f32>(&adam, &mut Adam::new(1e-3).map_err(|e| e.to_string())?)?;
    let sgd = Sgd::new(0.1).and_then(|o| o.momentum(0.9));
    trained::<f64>(
        &dir.join("fuzznet-sgd-f64.safetensors"),
        &mut sgd.map_err(|e| e.to_string())?,
    )?;
    let bytes = std::fs::read(&adam).map_err(|e| e.to_string())?;
    std::fs::write(
        dir.join("truncated.safetensors"),
        &bytes[..bytes.len() * 2 / 3],
    )
    .map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().is_some_and(|a| a == "write-seeds") {
        return match write_seeds() {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("{e}");
                ExitCode::from(2)
            }
        };
    }
    let args = match parse(&args) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let mut found = 0;
    for name in args.targets {
        let t = target(name).expect("names come from TARGETS");
        let corpus = match read_inputs(&corpus_dir(name)) {
            Ok(files) => files.into_iter().map(|(_, b)| b).collect::<Vec<_>>(),
            Err(e) => {
                eprintln!("{name}: cannot read the corpus: {e}");
                return ExitCode::from(2);
            }
        };
        let report = match fuzz(t, &corpus, args.budget, args.seed, Some(&crashes_dir())) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("{name}: cannot save a finding: {e}");
                return ExitCode::from(2);
            }
        };
        println!(
            "{name:<12} {:>10} iterations in {:>6.1} s  {:>9.0} execs/s  {} corpus inputs  {} finding(s)",
            report.iterations,
            report.elapsed.as_secs_f64(),
            report.rate(),
            corpus.len(),
            report.findings.len()
        );
        for f in &report.findings {
            let at = f.saved.as_ref().map(|p| p.display().to_string());
            println!(
                "  - {} ({} bytes, saved to {})",
                f.problem,
                f.input.len(),
                at.unwrap_or_default()
            );
        }
        found += report.findings.len();
    }
    if found > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
