//! A 1-D convolutional classifier: each bundled 8x8 digit is a sequence of 8 columns with 8
//! channels (its rows), read by `conv1d` layers (the layer audio and sensor models use).
//! Trains on a seeded 80/20 split, showing progress, and reports held-out accuracy.
//!
//! cargo run --release --example digits_conv1d -- [--epochs 20] [--batch 32] [--lr 0.005] [--seed 1]

use kiln::data::digits;
use kiln::prelude::*;
use kiln::runtime::optim::Adam;
use kiln::train::{evaluate, Options, Progress};

network! {
    /// 1-D convolutions over the columns of a digit, its 8 rows as channels.
    pub struct DigitsConv1d {
        input: [8, 8],
        layers: [
            conv1d(32, 3, padding = same), relu,
            batch_norm,
            conv1d(32, 3, padding = same), relu,
            max_pool1d(2),
            conv1d(64, 3, padding = same), relu,
            global_avg_pool,
            dense(10),
        ],
        output: [10],
        loss: softmax_cross_entropy,
    }
}

/// Runs the example; a failure (a bad argument value, a diverged run, a missing file) is
/// printed in words and exits with status 1.
fn main() -> std::process::ExitCode {
    kiln::train::exit_code(run())
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let o = Options::from_env(
        "digits_conv1d",
        Options {
            epochs: 20,
            batch: 32,
            lr: 0.005,
            seed: 1,
        },
    );
    let mut data = digits()?;
    data.scale(1.0 / 16.0);
    let (train, test) = data.split(0.8, o.seed)?;
    eprintln!(
        "digits as [8 channels, 8 positions]: {} training and {} held-out digits; conv1d 32-32-64, global average, dense(10); Adam lr {}, batch {}",
        train.len(),
        test.len(),
        o.lr,
        o.batch
    );
    let mut net = DigitsConv1d::<f32>::new(&mut seeded(o.seed));
    let mut opt = Adam::new(o.lr)?;
    let mut state = net.train_state(o.seed);
    let mut progress = Progress::new((o.epochs * train.len().div_ceil(o.batch)) as u64);
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Six epochs already classify most held-out digits.
    #[test]
    fn learns_digits_with_one_dimensional_convolutions() {
        let mut data = digits().unwrap();
        data.scale(1.0 / 16.0);
        let (train, test) = data.split(0.8, 1).unwrap();
        let mut net = DigitsConv1d::<f32>::new(&mut seeded(1));
        let mut opt = Adam::new(0.005).unwrap();
        let mut state = net.train_state(1);
        for epoch in 0..6 {
            for (x, labels) in train.shuffled(epoch).batches(32) {
                net.train_step(x.as_chunks::<64>().0, labels, &mut opt, &mut state)
                    .unwrap();
            }
        }
        let acc = evaluate(&net, &test, 256)
            .unwrap()
            .accuracy
            .unwrap_or(f64::NAN);
        assert!(acc > 0.93, "held-out accuracy {acc}");
    }
}
