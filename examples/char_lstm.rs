//! Trains the character-level LSTM of kiln-models (one layer of 256 units) on tiny
//! Shakespeare (first 90% for training, last 10% held out), reporting training and validation
//! loss and perplexity as it goes, then samples text from a prompt with a temperature.
//!
//! cargo run --release --example char_lstm -- [--epochs 3000 (steps)] [--batch 32] [--lr 0.002] [--seed 1]

use kiln::data::{tiny_shakespeare, Vocab};
use kiln::prelude::*;
use kiln::runtime::optim::Adam;
use kiln::runtime::rng::unit_f64;
use kiln::train::{Options, Progress};
use kiln_models::CharLstm;

const V: usize = 65;
const STEPS: usize = 64;

/// One-hot, time-major inputs and next-character targets for windows starting at `starts`.
fn batch(ids: &[usize], starts: &[usize], x: &mut Vec<[f32; V]>, y: &mut Vec<usize>) {
    x.clear();
    y.clear();
    for t in 0..STEPS {
        for &s in starts {
            let mut row = [0.0f32; V];
            row[ids[s + t]] = 1.0;
            x.push(row);
            y.push(ids[s + t + 1]);
        }
    }
}

/// Runs the example; a failure (a bad argument value, a diverged run, a missing file) is
/// printed in words and exits with status 1.
fn main() -> std::process::ExitCode {
    kiln::train::exit_code(run())
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let o = Options::from_env(
        "char_lstm",
        Options {
            epochs: 3000,
            batch: 32,
            lr: 2e-3,
            seed: 1,
        },
    );
    let text = tiny_shakespeare();
    let vocab = Vocab::from_text(text)?;
    assert_eq!(vocab.len(), V, "tiny Shakespeare has 65 characters");
    let ids = vocab.encode(text)?;
    let split = ids.len() * 9 / 10;
    let (train, val) = (&ids[..split], &ids[split..]);
    eprintln!(
        "tiny Shakespeare: {} training and {} validation characters; LSTM 256, Adam lr {}, batch {} x {} steps, clip 5, {} updates",
        train.len(),
        val.len(),
        o.lr,
        o.batch,
        STEPS,
        o.epochs
    );
    let mut net = CharLstm::<f32>::new(&mut seeded(o.seed));
    let mut opt = Adam::new(o.lr)?;
    let mut state = net.train_state(o.seed);
    state.set_clip_norm(Some(5.0))?;
    let mut rng = seeded(o.seed + 1);
    let (mut x, mut y) = (Vec::new(), Vec::new());
    // Validation: 256 fixed windows spread over the held-out text.
    let val_starts: Vec<usize> = (0..256)
        .map(|i| i * (val.len() - STEPS - 1) / 256)
        .collect();
    let mut scratch = net.scratch();
    let mut validate = |net: &CharLstm<f32>| -> Result<f64> {
        let (mut vx, mut vy) = (Vec::new(), Vec::new());
        let mut total = 0.0;
        for chunk in val_starts.chunks(64) {
            batch(val, chunk, &mut vx, &mut vy);
            total += net.eval_loss_seq(&vx, STEPS, &vy, &mut scratch)? as f64;
        }
        Ok(total / val_starts.chunks(64).count() as f64)
    };
    let mut progress = Progress::new(o.epochs as u64);
    let mut recent = 0.0;
    for step in 1..=o.epochs {
        let starts: Vec<usize> = (0..o.batch)
            .map(|_| (unit_f64(&mut rng) * (train.len() - STEPS - 1) as f64) as usize)
            .collect();
        batch(train, &starts, &mut x, &mut y);
        let loss = net.train_step_seq(&x, STEPS, &y, &mut opt, &mut state)? as f64;
        recent += loss;
        progress.step(loss);
        if step % 250 == 0 || step == o.epochs {
            let v = validate(&net)?;
            let n = if step % 250 == 0 {
                250.0
            } else {
                (step % 250) as f64
            };
            progress.println(&format!(
                "step {step:>5}: train loss {:.3} (perplexity {:.2})  validation loss {v:.3} nats/char (perplexity {:.2})",
                recent / n,
                (recent / n).exp(),
                v.exp()
            ));
            recent = 0.0;
        }
    }
    let elapsed = progress.finish();
    let v = validate(&net)?;
    println!(
        "validation loss {v:.3} nats/char (perplexity {:.2}) after {} updates ({} characters) in {:.0}s",
        v.exp(),
        o.epochs,
        o.epochs * o.batch * STEPS,
        elapsed.as_secs_f64()
    );
    // Sampling with temperature 0.8 from a prompt, one streaming step per character.
    let prompt = "ROMEO:\n";
    let mut stream = net.stream();
    let mut out = [0.0f32; V];
    for id in vocab.encode(prompt)? {
        let mut row = [0.0f32; V];
        row[id] = 1.0;
        out = net.step(&mut stream, &row);
    }
    let mut sample = String::from(prompt);
    for _ in 0..400 {
        let logits: Vec<f64> = out.iter().map(|&l| l as f64 / 0.8).collect();
        let m = logits.iter().cloned().fold(f64::MIN, f64::max);
        let p: Vec<f64> = logits.iter().map(|l| (l - m).exp()).collect();
        let mut u = unit_f64(&mut rng) * p.iter().sum::<f64>();
        let mut id = V - 1;
        for (i, pi) in p.iter().enumerate() {
            if u < *pi {
                id = i;
                break;
            }
            u -= pi;
        }
        sample.push_str(&vocab.decode(&[id])?);
        let mut row = [0.0f32; V];
        row[id] = 1.0;
        out = net.step(&mut stream, &row);
    }
    println!("--- sample (temperature 0.8) ---\n{sample}");
    Ok(())
}
