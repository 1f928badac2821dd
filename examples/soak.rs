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

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let minutes: f64 = match args.iter().position(|a| a == "--minutes") {
        Some(i) => args.get(i + 1).ok_or("--minutes needs a value")?.parse()?,
        None => 10.0,
    };
    let bare = args.iter().any(|a| a == "--bare");
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
