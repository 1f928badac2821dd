//! The program `tests/mpi.rs` starts under `mpirun` (and alone, for the single-process
//! reference): data-parallel training across processes with the `mpi` feature.
//!
//! - `fit EPOCHS OUT [--resume]`: `Fit` on the bundled digits with an f64 network holding
//!   batch norm and dropout, checkpointing to `OUT.safetensors` (resuming from it with
//!   `--resume`). Process 0 writes every epoch's metrics and the final weights to `OUT` as
//!   text (`{}`: shortest round-trip), and whether every process ended with its weights.
//! - `fail`: low-level steps where one process's part of the batch has a label out of range:
//!   every process must return an error and the next step must train.
//!
//! ```text
//! cargo build --features mpi --example mpi_check
//! mpirun -n 2 target/debug/examples/mpi_check fit 3 /tmp/run.txt
//! ```

use std::fmt::Write as _;
use std::sync::Arc;

use kiln::data::digits;
use kiln::mpi::Mpi;
use kiln::prelude::*;
use kiln::runtime::optim::Sgd;
use kiln::runtime::processes::Processes;
use kiln::runtime::replica::Replicas;
use kiln::train::Fit;

network! {
    /// Batch norm (synchronised across processes) and dropout (the same masks).
    struct Net {
        input: [64],
        layers: [dense(24), batch_norm, relu, dropout(0.2), dense(10)],
        loss: softmax_cross_entropy,
    }
}

type Error = Box<dyn std::error::Error>;

fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mpi = Mpi::init()?;
    match args.first().map(String::as_str) {
        Some("fit") if args.len() >= 3 => {
            let epochs = args[1].parse()?;
            fit(mpi, epochs, &args[2], args.iter().any(|a| a == "--resume"))
        }
        Some("fail") => fail(mpi),
        _ => Err("usage: mpi_check fit EPOCHS OUT [--resume] | fail".into()),
    }
}

fn fit(mpi: Arc<Mpi>, epochs: usize, out: &str, resume: bool) -> Result<(), Error> {
    let mut data = digits()?;
    data.scale(1.0 / 16.0);
    let (train, val) = data.split(0.8, 1)?;
    // Each process draws different weights: process 0's must reach them all.
    let mut net = Net::<f64>::new(&mut seeded(mpi.rank() as u64 + 1));
    let mut opt = Sgd::new(0.05)?.momentum(0.9)?;
    let ckpt = format!("{out}.safetensors");
    let mut run = Fit::new(epochs, 50)?
        .seed(3)
        .quiet()
        .checkpoint(&ckpt)
        .processes(mpi.clone());
    if resume {
        run = run.resume(&ckpt);
    }
    let history = run.run(&mut net, &mut opt, &train, Some(&val))?;
    let mut text = String::new();
    for r in &history.epochs {
        let v = r.val.as_ref().ok_or("validation metrics")?;
        let acc = |a: Option<f64>| a.unwrap_or(f64::NAN);
        writeln!(
            text,
            "epoch {} {} {} {} {}",
            r.epoch,
            r.train.loss,
            acc(r.train.accuracy),
            v.loss,
            acc(v.accuracy)
        )?;
    }
    let mut weights = Vec::new();
    net.visit_params(&mut |_, _, v| weights.extend_from_slice(v));
    net.visit_buffers(&mut |_, v| weights.extend_from_slice(v));
    let bytes: Vec<u8> = weights.iter().flat_map(|w| w.to_le_bytes()).collect();
    let all = mpi.gather_bytes(&bytes);
    writeln!(text, "processes {}", mpi.size())?;
    writeln!(text, "same weights {}", all.iter().all(|b| *b == all[0]))?;
    for w in &weights {
        writeln!(text, "w {w}")?;
    }
    if mpi.rank() == 0 {
        std::fs::write(out, text)?;
    }
    Ok(())
}

fn fail(mpi: Arc<Mpi>) -> Result<(), Error> {
    let mut net = Net::<f64>::new(&mut seeded(1));
    let mut opt = Sgd::new(0.1)?;
    let mut replicas = Replicas::across(mpi.clone(), &mut net, 5)?;
    let x: Vec<f64> = (0..8 * 64).map(|i| (i as f64 * 0.37).sin()).collect();
    let good = [0, 1, 2, 3, 4, 5, 6, 7];
    // The last sample falls in the last process's part; the error names it as sample 7.
    let mut bad = good;
    bad[7] = 99;
    let before = weights(&net);
    let failed = replicas.train_step(&mut net, &x, &bad, &mut opt);
    let unchanged = weights(&net) == before;
    let next = replicas.train_step(&mut net, &x, &good, &mut opt);
    println!(
        "process {}: failed step: {}; weights unchanged: {unchanged}; next step: {}",
        mpi.rank(),
        match failed {
            Ok(_) => "trained".to_string(),
            Err(e) => format!("error: {e}"),
        },
        match next {
            Ok(l) if l.is_finite() => "trained".to_string(),
            Ok(l) => format!("loss {l}"),
            Err(e) => format!("error: {e}"),
        }
    );
    Ok(())
}

fn weights(net: &Net<f64>) -> Vec<f64> {
    let mut w = Vec::new();
    net.visit_params(&mut |_, _, v| w.extend_from_slice(v));
    w
}
