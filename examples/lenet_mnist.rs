//! Trains LeNet-5 (kiln-models) on the bundled MNIST test set, split 9,000 / 1,000 with a
//! seed, showing progress, and reports held-out accuracy.
//!
//! cargo run --release --example lenet_mnist -- [--epochs 6] [--batch 64] [--lr 0.05] [--seed 1]

use kiln::data::mnist_t10k;
use kiln::prelude::*;
use kiln::runtime::optim::Sgd;
use kiln::runtime::schedule::{apply, Cosine};
use kiln::train::{evaluate, Options, Progress};
use kiln_models::LeNet5;

/// Runs the example; a failure (a bad argument value, a diverged run, a missing file) is
/// printed in words and exits with status 1.
fn main() -> std::process::ExitCode {
    kiln::train::exit_code(run())
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let o = Options::from_env(
        "lenet_mnist",
        Options {
            epochs: 6,
            batch: 64,
            lr: 0.05,
            seed: 1,
        },
    );
    let data = mnist_t10k()?;
    let (train, test) = data.split(0.9, o.seed)?;
    eprintln!(
        "MNIST t10k: {} training and {} held-out images of 28x28; LeNet-5, SGD momentum 0.9, lr {} with cosine decay, batch {}, {} epochs",
        train.len(),
        test.len(),
        o.lr,
        o.batch,
        o.epochs
    );
    let mut net = LeNet5::<f32>::new(&mut seeded(o.seed));
    let mut opt = Sgd::new(o.lr)?.momentum(0.9)?;
    let mut state = net.train_state(o.seed);
    let total_steps = (o.epochs * train.len().div_ceil(o.batch)) as u64;
    // Cosine decay to zero over the run: large steps early, a settled model at the end.
    let schedule = Cosine::new(o.lr, total_steps, 0.0)?;
    let mut step = 0u64;
    let mut progress = Progress::new(total_steps);
    for epoch in 1..=o.epochs {
        let shuffled = train.shuffled(o.seed * 1000 + epoch as u64);
        let mut total = 0.0;
        for (x, labels) in shuffled.batches(o.batch) {
            apply(&schedule, &mut opt, step)?;
            step += 1;
            let loss = net.train_step(x.as_chunks::<784>().0, labels, &mut opt, &mut state)?;
            total += loss as f64 * labels.len() as f64;
            progress.step(loss as f64);
        }
        let held_out = evaluate(&net, &test, 500)?;
        progress.println(&format!(
            "epoch {epoch:>2}: train loss {:.4}  held-out loss {:.4}  accuracy {:.2}%",
            total / train.len() as f64,
            held_out.loss,
            100.0 * held_out.accuracy.unwrap_or(f64::NAN)
        ));
    }
    let elapsed = progress.finish();
    let fin = evaluate(&net, &test, 500)?;
    println!(
        "held-out accuracy {:.2}% on {} images after {} epochs in {:.1}s",
        100.0 * fin.accuracy.unwrap_or(f64::NAN),
        test.len(),
        o.epochs,
        elapsed.as_secs_f64()
    );
    Ok(())
}
