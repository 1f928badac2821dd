//! A layer of your own in a declaration: `GatedLinear` (a gated linear unit, in
//! `gated_linear.rs`) implements kiln's `Layer` and `CustomLayer` traits and is used in
//! `network!` like a built-in layer. The macro checks its widths at compile time, the generated
//! backward calls its `backward`, and `gradcheck`, the optimiser and checkpoints see its
//! tensors as `layers.0.weight` and so on. The example checks its gradients against finite
//! differences, then trains on the bundled digits and reports held-out accuracy.
//!
//! cargo run --release --example custom_layer -- [--epochs 15] [--batch 32] [--lr 0.003] [--seed 1]

mod gated_linear;

use gated_linear::GatedLinear;
use kiln::data::digits;
use kiln::prelude::*;
use kiln::runtime::optim::Adam;
use kiln::runtime::{GradcheckConfig, GradcheckReport};
use kiln::train::{evaluate, Fit, Options};

network! {
    /// Two gated linear units, then a classifier.
    pub struct GatedDigits {
        input: [64],
        layers: [
            GatedLinear<64, 96> -> [96],
            dropout(0.1),
            GatedLinear<96, 64> -> [64],
            dense(10),
        ],
        output: [10],
        loss: softmax_cross_entropy,
    }
}

/// The whole network's gradients (the custom layers' included) against central finite
/// differences in f64: 200 entries of each tensor and every input gradient.
fn check_gradients() -> Result<GradcheckReport> {
    let mut net = GatedDigits::<f64>::new(&mut seeded(7));
    let x: Vec<f64> = (0..3 * 64)
        .map(|i| ((i * 37 % 101) as f64 / 50.0) - 1.0)
        .collect();
    let config = GradcheckConfig {
        max_per_tensor: 200,
        ..Default::default()
    };
    gradcheck(&mut net, &x, &[3, 1, 4], config)
}

/// Runs the example; a failure (a bad argument value, a diverged run, a missing file) is
/// printed in words and exits with status 1.
fn main() -> std::process::ExitCode {
    kiln::train::exit_code(run())
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let o = Options::from_env(
        "custom_layer",
        Options {
            epochs: 15,
            batch: 32,
            lr: 0.003,
            seed: 1,
        },
    );
    let r = check_gradients()?;
    println!(
        "gradcheck of GatedDigits (f64, central differences): {} entries, max relative error {:.2e}",
        r.checked, r.max_rel_error
    );
    let mut data = digits()?;
    data.scale(1.0 / 16.0);
    let (train, test) = data.split(0.8, o.seed)?;
    eprintln!(
        "digits: {} training and {} held-out; GatedLinear 64->96, GatedLinear 96->64, dense(10); Adam lr {}, batch {}",
        train.len(),
        test.len(),
        o.lr,
        o.batch
    );
    let mut net = GatedDigits::<f32>::new(&mut seeded(o.seed));
    let mut opt = Adam::new(o.lr)?;
    let history =
        Fit::new(o.epochs, o.batch)?
            .seed(o.seed)
            .run(&mut net, &mut opt, &train, Some(&test))?;
    let elapsed: f64 = history.epochs.iter().map(|r| r.seconds).sum();
    let fin = evaluate(&net, &test, 256)?;
    println!(
        "held-out accuracy {:.2}% ({} of {}) after {} epochs in {:.2}s",
        100.0 * fin.accuracy.unwrap_or(f64::NAN),
        (fin.accuracy.unwrap_or(f64::NAN) * test.len() as f64).round(),
        test.len(),
        o.epochs,
        elapsed
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_layer_gradients_match_finite_differences() {
        let r = check_gradients().unwrap();
        assert!(r.max_rel_error < 1e-6 && r.checked > 1000, "{r:?}");
    }

    /// Eight epochs of `Fit` already classify most held-out digits.
    #[test]
    fn learns_digits_through_custom_layers() {
        let mut data = digits().unwrap();
        data.scale(1.0 / 16.0);
        let (train, test) = data.split(0.8, 1).unwrap();
        let mut net = GatedDigits::<f32>::new(&mut seeded(1));
        let mut opt = Adam::new(0.003).unwrap();
        Fit::new(8, 32)
            .unwrap()
            .quiet()
            .run(&mut net, &mut opt, &train, None)
            .unwrap();
        let acc = evaluate(&net, &test, 256)
            .unwrap()
            .accuracy
            .unwrap_or(f64::NAN);
        assert!(acc > 0.93, "held-out accuracy {acc}");
    }
}
