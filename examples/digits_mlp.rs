//! Trains the `DigitsMlp` declared in kiln-models on the bundled 8x8 digits (seeded 80/20
//! split), showing progress, and reports held-out accuracy.
//!
//! cargo run --release --example digits_mlp -- [--epochs 30] [--batch 32] [--lr 0.05] [--seed 1]

use kiln::data::digits;
use kiln::prelude::*;
use kiln::runtime::optim::Sgd;
use kiln::train::{evaluate, Options, Progress};
use kiln_models::DigitsMlp;

/// Runs the example; a failure (a bad argument value, a diverged run, a missing file) is
/// printed in words and exits with status 1.
fn main() -> std::process::ExitCode {
    kiln::train::exit_code(run())
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let o = Options::from_env(
        "digits_mlp",
        Options {
            epochs: 30,
            batch: 32,
            lr: 0.05,
            seed: 1,
        },
    );
    let mut data = digits()?;
    data.scale(1.0 / 16.0);
    let (train, test) = data.split(0.8, o.seed)?;
    eprintln!(
        "digits: {} training and {} held-out samples of 8x8 pixels; DigitsMlp 64-128-64-10, SGD momentum 0.9, lr {}, batch {}",
        train.len(),
        test.len(),
        o.lr,
        o.batch
    );
    let mut net = DigitsMlp::<f32>::new(&mut seeded(o.seed));
    let mut opt = Sgd::new(o.lr)?.momentum(0.9)?;
    let mut state = net.train_state(o.seed);
    let steps_per_epoch = train.len().div_ceil(o.batch);
    let mut progress = Progress::new((o.epochs * steps_per_epoch) as u64);
    for epoch in 1..=o.epochs {
        let shuffled = train.shuffled(o.seed * 1000 + epoch as u64);
        let mut total = 0.0;
        for (x, labels) in shuffled.batches(o.batch) {
            let loss = net.train_step(x.as_chunks::<64>().0, labels, &mut opt, &mut state)?;
            total += loss as f64 * labels.len() as f64;
            progress.step(loss as f64);
        }
        let held_out = evaluate(&net, &test, 256)?;
        progress.println(&format!(
            "epoch {epoch:>3}: train loss {:.4}  held-out loss {:.4}  accuracy {:.2}%",
            total / train.len() as f64,
            held_out.loss,
            100.0 * held_out.accuracy.unwrap_or(f64::NAN)
        ));
    }
    let elapsed = progress.finish();
    let fin = evaluate(&net, &test, 256)?;
    println!(
        "held-out accuracy {:.2}% ({} of {}) after {} epochs in {:.2}s",
        100.0 * fin.accuracy.unwrap_or(f64::NAN),
        (fin.accuracy.unwrap_or(f64::NAN) * test.len() as f64).round(),
        test.len(),
        o.epochs,
        elapsed.as_secs_f64()
    );
    Ok(())
}
