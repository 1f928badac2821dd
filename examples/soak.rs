//! Soak run: trains LeNet-5 on the bundled MNIST split with `Fit` (checkpoint and plot every
//! epoch, augmentation, validation) for a wall-clock budget and reports resident memory after
//! every epoch, to show that nothing grows once the buffers have reached their size.
//!
//! cargo run --release --example soak -- [--minutes 10] [--bare]
//!
//! `--bare` leaves out the checkpoint and the plot, whose size grows with the number of
//! epochs (the history they hold), so that only the training loop itself is measured.

use std::time::Instant;

use kiln::data::{mnist_t10k, Augment};
use kiln::prelude::*;
use kiln::runtime::optim::Sgd;
use kiln::train::{Control, Fit};
use kiln_models::LeNet5;

/// Resident set size in KiB, from /proc (Linux).
fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

const USAGE: &str = "usage: cargo run --release --example soak -- [--minutes M] [--bare]
  --minutes M   wall-clock budget, a finite number > 0 (default 10)
  --bare        no checkpoint or plot (only the training loop is measured)";

/// `(minutes, bare)` from the arguments, strictly: unknown or repeated flags, a missing value
/// and a budget that is not a finite positive number are errors (`--help` prints the usage).
fn parse(args: &[String]) -> Result<(f64, bool), String> {
    let (mut minutes, mut bare) = (None, false);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "-h" | "--help" => return Err(USAGE.into()),
            "--bare" if !bare => bare = true,
            "--minutes" if minutes.is_none() => {
                let v = it.next().ok_or("--minutes needs a value")?;
                let m: f64 = v
                    .parse()
                    .map_err(|_| format!("--minutes {v}: expected a number"))?;
                if !(m.is_finite() && m > 0.0) {
                    return Err(format!("--minutes {v}: must be a finite number > 0"));
                }
                minutes = Some(m);
            }
            "--bare" | "--minutes" => return Err(format!("{a} is given twice")),
            other => return Err(format!("unknown option `{other}`\n\n{USAGE}")),
        }
    }
    Ok((minutes.unwrap_or(10.0), bare))
}

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (minutes, bare) = match parse(&args) {
        Ok(v) => v,
        Err(msg) => {
            eprintln!("{msg}");
            let help = args.iter().any(|a| a == "-h" || a == "--help");
            return std::process::ExitCode::from(if help { 0 } else { 2 });
        }
    };
    kiln::train::exit_code(soak(minutes, bare))
}

fn soak(minutes: f64, bare: bool) -> Result<(), Box<dyn std::error::Error>> {
    let (train, val) = mnist_t10k()?.split(0.9, 1)?;
    let mut net = LeNet5::<f32>::new(&mut seeded(1));
    let mut opt = Sgd::new(0.02)?.momentum(0.9)?;
    let dir = std::env::temp_dir().join(format!("kiln-soak-{}", std::process::id()));
    let start = Instant::now();
    let budget = minutes * 60.0;
    let mut samples: Vec<(usize, f64, u64)> = Vec::new();
    println!("| epoch | minutes | RSS (MiB) | val accuracy |");
    println!("|---|---|---|---|");
    let mut fit = Fit::new(1_000_000, 64)?
        .seed(1)
        .augment(Augment::new(1, 28, 28)?.shift(2)?.noise(0.02)?);
    if !bare {
        fit = fit
            .checkpoint(dir.join("soak.safetensors"))
            .plot(dir.join("soak.svg"), "soak");
    }
    fit.quiet()
        .on_epoch(|r| {
            let rss = rss_kib().unwrap_or(0);
            let t = start.elapsed().as_secs_f64();
            samples.push((r.epoch, t, rss));
            let acc = r.val.as_ref().map_or(0.0, |v| v.accuracy.unwrap_or(0.0));
            println!(
                "| {} | {:.1} | {:.1} | {:.2}% |",
                r.epoch,
                t / 60.0,
                rss as f64 / 1024.0,
                100.0 * acc
            );
            if t >= budget {
                Control::Stop
            } else {
                Control::Continue
            }
        })
        .run(&mut net, &mut opt, &train, Some(&val))?;
    let _ = std::fs::remove_dir_all(&dir);
    // From the second epoch on every buffer has its final size.
    if let (Some(first), Some(last)) = (samples.get(1), samples.last()) {
        println!(
            "\n{} epochs in {:.1} min; RSS after epoch {}: {:.1} MiB, after epoch {}: {:.1} MiB (change {:+.1} MiB)",
            last.0,
            last.1 / 60.0,
            first.0,
            first.2 as f64 / 1024.0,
            last.0,
            last.2 as f64 / 1024.0,
            (last.2 as f64 - first.2 as f64) / 1024.0
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::parse;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn arguments_are_parsed_strictly() {
        assert_eq!(parse(&args("")), Ok((10.0, false)));
        assert_eq!(parse(&args("--minutes 0.5 --bare")), Ok((0.5, true)));
        assert!(parse(&args("--help")).unwrap_err().contains("usage"));
        assert!(parse(&args("--fast"))
            .unwrap_err()
            .contains("unknown option `--fast`"));
        assert!(parse(&args("--minutes nan"))
            .unwrap_err()
            .contains("finite number > 0"));
        assert!(parse(&args("--minutes inf")).is_err());
        assert!(parse(&args("--minutes -1")).is_err());
        assert!(parse(&args("--minutes")).is_err());
        assert!(parse(&args("--bare --bare")).unwrap_err().contains("twice"));
    }
}
