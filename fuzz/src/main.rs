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
    "usage: kiln-fuzz <idx|csv|safetensors|vocab|dsl|all> [--seconds N] [--iterations N] [--seed S]";

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
