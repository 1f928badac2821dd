//! Quantises a trained network to int8 (`kiln::quantize`): calibrates its activation ranges
//! on the training split the main command used, then writes the int8 safetensors file that
//! `network! { .., weights: "...int8.safetensors", precision: int8 }` bakes.
//!
//! cargo run --release --example quantize -- --model digits-mlp \
//!     --weights examples/embedded-digits/digits_mlp.safetensors \
//!     --out examples/embedded-digits/digits_mlp.int8.safetensors

use std::process::ExitCode;

use kiln::checkpoint::load_weights;
use kiln::data::{digits, mnist_t10k, Dataset};
use kiln::prelude::*;
use kiln::quantize::{quantize, Calibration, Quantized};
use kiln_models::{DigitsMlp, LeNet5};

const USAGE: &str = "usage: quantize --model digits-mlp|lenet5 --weights FILE --out FILE [--calibration minmax|percentile:P] [--seed N]";

struct Args {
    model: String,
    weights: String,
    out: String,
    calibration: Calibration,
    seed: u64,
}

fn args() -> Result<Args, String> {
    let mut a = Args {
        model: String::new(),
        weights: String::new(),
        out: String::new(),
        calibration: Calibration::MinMax,
        seed: 1,
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let v = it.next().ok_or(format!("{k} needs a value\n{USAGE}"))?;
        match k.as_str() {
            "--model" => a.model = v,
            "--weights" => a.weights = v,
            "--out" => a.out = v,
            "--seed" => a.seed = v.parse().map_err(|e| format!("--seed: {e}"))?,
            "--calibration" => {
                a.calibration = match v.strip_prefix("percentile:") {
                    Some(p) => Calibration::Percentile(
                        p.parse().map_err(|e| format!("--calibration: {e}"))?,
                    ),
                    None if v == "minmax" => Calibration::MinMax,
                    None => {
                        return Err(format!(
                            "--calibration takes minmax or percentile:P\n{USAGE}"
                        ))
                    }
                }
            }
            _ => return Err(format!("unknown option {k}\n{USAGE}")),
        }
    }
    if a.weights.is_empty() || a.out.is_empty() {
        return Err(USAGE.to_string());
    }
    Ok(a)
}

/// The training split of the main command (same fraction and seed), scaled as it scales.
fn training_split(model: &str, seed: u64) -> Result<Dataset, Box<dyn std::error::Error>> {
    Ok(match model {
        "digits-mlp" => {
            let mut d = digits()?;
            d.scale(1.0 / 16.0);
            d.split(0.8, seed)?.0
        }
        "lenet5" => mnist_t10k()?.split(0.9, seed)?.0,
        m => return Err(format!("unknown model {m}\n{USAGE}").into()),
    })
}

fn run(a: &Args) -> Result<(), Box<dyn std::error::Error>> {
    let train = training_split(&a.model, a.seed)?;
    let q: Quantized = match a.model.as_str() {
        "digits-mlp" => {
            let mut net = DigitsMlp::<f32>::new(&mut seeded(a.seed));
            load_weights(&mut net, &a.weights)?;
            quantize(&net, &train.features, a.calibration)?
        }
        _ => {
            let mut net = LeNet5::<f32>::new(&mut seeded(a.seed));
            load_weights(&mut net, &a.weights)?;
            quantize(&net, &train.features, a.calibration)?
        }
    };
    q.save(&a.out)?;
    println!(
        "{}: calibrated on {} training samples ({:?}); input scale {:.6} zero point {}, output scale {:.6} zero point {}; {} tensors written to {}",
        a.model,
        q.samples,
        a.calibration,
        q.input.scale,
        q.input.zero_point,
        q.output.scale,
        q.output.zero_point,
        q.names().len(),
        a.out
    );
    Ok(())
}

fn main() -> ExitCode {
    match args().map_err(|e| e.into()).and_then(|a| run(&a)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
