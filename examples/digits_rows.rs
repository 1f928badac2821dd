//! A many-to-one sequence classifier: each bundled 8x8 digit is read as a sequence of 8 rows
//! of 8 pixels by an LSTM, whose last step is classified (one label per sequence). Trains on
//! a seeded 80/20 split, showing progress, and reports held-out accuracy.
//!
//! cargo run --release --example digits_rows -- [--epochs 20] [--batch 32] [--lr 0.01] [--seed 1]

use kiln::data::{digits, Dataset};
use kiln::prelude::*;
use kiln::runtime::optim::Adam;
use kiln::train::{Options, Progress};

const ROWS: usize = 8;

network! {
    /// Reads a digit row by row and classifies it from the last step.
    pub struct DigitRows {
        input: [seq(8), 8],
        layers: [lstm(64), last_step, dense(10)],
        output: [10],
        loss: softmax_cross_entropy,
    }
}

/// `B` samples of 64 pixels as 8 time-major steps: step `t` of sample `b` is row `t`.
fn time_major(x: &[f32], out: &mut Vec<[f32; ROWS]>) {
    let samples = x.len() / (ROWS * ROWS);
    out.clear();
    for t in 0..ROWS {
        for b in 0..samples {
            let start = b * ROWS * ROWS + t * ROWS;
            let mut row = [0.0; ROWS];
            row.copy_from_slice(&x[start..start + ROWS]);
            out.push(row);
        }
    }
}

/// Held-out accuracy, in batches of 256 sequences.
fn accuracy(net: &DigitRows<f32>, test: &Dataset) -> kiln::runtime::Result<f64> {
    let (mut right, mut seq, mut y) = (0usize, Vec::new(), Vec::new());
    let mut scratch = net.scratch();
    for (x, labels) in test.batches(256) {
        time_major(x, &mut seq);
        y.resize(labels.len(), [0.0f32; 10]);
        net.forward_seq(&seq, ROWS, &mut y, &mut scratch)?;
        right += y
            .iter()
            .zip(labels)
            .filter(|(p, &l)| (0..10).max_by(|&a, &b| p[a].total_cmp(&p[b])) == Some(l))
            .count();
    }
    Ok(right as f64 / test.len() as f64)
}

/// Runs the example; a failure (a bad argument value, a diverged run, a missing file) is
/// printed in words and exits with status 1.
fn main() -> std::process::ExitCode {
    kiln::train::exit_code(run())
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let o = Options::from_env(
        "digits_rows",
        Options {
            epochs: 20,
            batch: 32,
            lr: 0.01,
            seed: 1,
        },
    );
    let mut data = digits()?;
    data.scale(1.0 / 16.0);
    let (train, test) = data.split(0.8, o.seed)?;
    eprintln!(
        "digits as sequences: {} training and {} held-out digits, 8 steps of 8 pixels each; lstm(64), last_step, dense(10); Adam lr {}, batch {}",
        train.len(),
        test.len(),
        o.lr,
        o.batch
    );
    let mut net = DigitRows::<f32>::new(&mut seeded(o.seed));
    let mut opt = Adam::new(o.lr)?;
    let mut state = net.train_state(o.seed);
    let mut progress = Progress::new((o.epochs * train.len().div_ceil(o.batch)) as u64);
    let mut seq = Vec::new();
    for epoch in 1..=o.epochs {
        let shuffled = train.shuffled(o.seed * 1000 + epoch as u64);
        let mut total = 0.0;
        for (x, labels) in shuffled.batches(o.batch) {
            time_major(x, &mut seq);
            let loss = net.train_step_seq(&seq, ROWS, labels, &mut opt, &mut state)?;
            total += loss as f64 * labels.len() as f64;
            progress.step(loss as f64);
        }
        progress.println(&format!(
            "epoch {epoch:>3}: train loss {:.4}  held-out accuracy {:.2}%",
            total / train.len() as f64,
            100.0 * accuracy(&net, &test)?
        ));
    }
    let elapsed = progress.finish();
    let acc = accuracy(&net, &test)?;
    println!(
        "held-out accuracy {:.2}% ({} of {}) after {} epochs in {:.2}s",
        100.0 * acc,
        (acc * test.len() as f64).round(),
        test.len(),
        o.epochs,
        elapsed.as_secs_f64()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Eight epochs already classify most held-out digits from one label per sequence.
    #[test]
    fn learns_digits_read_row_by_row() {
        let mut data = digits().unwrap();
        data.scale(1.0 / 16.0);
        let (train, test) = data.split(0.8, 1).unwrap();
        let mut net = DigitRows::<f32>::new(&mut seeded(1));
        let mut opt = Adam::new(0.01).unwrap();
        let mut state = net.train_state(1);
        let mut seq = Vec::new();
        for epoch in 0..8 {
            for (x, labels) in train.shuffled(epoch).batches(32) {
                time_major(x, &mut seq);
                net.train_step_seq(&seq, ROWS, labels, &mut opt, &mut state)
                    .unwrap();
            }
        }
        let acc = accuracy(&net, &test).unwrap();
        assert!(acc > 0.93, "held-out accuracy {acc}");
    }
}
