//! kiln's main command: trains a model declared with `network!` on bundled real data (or
//! your own file of the same format), with a progress display, per-epoch validation, a
//! checkpoint, a training-curve plot and a final held-out report.
//!
//! cargo run --release --example train -- --help

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use kiln::checkpoint::save_weights_with;
use kiln::data::{
    diabetes, digits, load_csv_with, load_images_and_labels_with, load_table, mnist_t10k,
    tiny_shakespeare, Dataset, LoadOptions, Samples, Table, Task, TextWindows, TokenRows, Vocab,
};
use kiln::prelude::*;
use kiln::runtime::optim::{Adadelta, Adagrad, Adam, AdamW, NAdam, RmsProp, Sgd};
use kiln::runtime::processes::Processes;
use kiln::runtime::schedule::Cosine;
use kiln::train::{
    evaluate, launched_processes, EarlyStopping, Fit, Metric, Metrics, ReduceLrOnPlateau,
    TargetKind,
};
use kiln_models::{CharLstm, DigitsMlp, LeNet5, MlpRegressor};

const MODELS: &str = "lenet5 | digits-mlp | char-lstm | mlp-regressor";
const OPTIMIZERS: &str =
    "sgd | momentum | nesterov | adam | adamw | nadam | rmsprop | adagrad | adadelta";

/// The command line, with each model's defaults filled in.
struct Args {
    model: String,
    data: Option<PathBuf>,
    target: Option<String>,
    epochs: usize,
    batch: usize,
    optimizer: String,
    lr: f64,
    seed: u64,
    out: PathBuf,
    patience: Option<usize>,
    resume: bool,
    constant_lr: bool,
    replicas: usize,
    /// The processes of an MPI job this one trains with (under `mpirun`).
    processes: Option<Arc<dyn Processes>>,
}

impl Args {
    /// Whether this process reports: the only one, or process 0 of an MPI job.
    fn reports(&self) -> bool {
        self.processes.as_ref().is_none_or(|p| p.rank() == 0)
    }
}

fn usage() -> String {
    format!(
        "usage: cargo run --release --example train -- [options]

Trains a model declared with `network!` (kiln-models) on bundled real data and reports
held-out accuracy (perplexity for the language model), writing a checkpoint and a plot.

options (defaults depend on the model):
  --model NAME       {MODELS} (default lenet5)
                       lenet5:     LeNet-5 on MNIST (bundled: the 10,000-image test set,
                                   split 9,000 / 1,000); 8 epochs, batch 64, momentum, lr 0.05
                       digits-mlp: 64-128-64-10 MLP on the 8x8 UCI digits (bundled, 80/20);
                                   30 epochs, batch 32, momentum, lr 0.05
                       char-lstm:  LSTM 256 on tiny Shakespeare (bundled, 90/10), windows of
                                   64 characters; 3 epochs, batch 32, adam, lr 0.002, clip 5
                       mlp-regressor: 64-64-64-1 ReLU MLP regression on a CSV table with a
                                   header (bundled: the diabetes data, target `progression`,
                                   80/20); features and target standardised on the training
                                   split (saved in the checkpoint), up to 64 feature columns;
                                   300 epochs, batch 32, adam, lr 0.003 halved when the
                                   validation RMSE stalls for 5 epochs, early stopping after 20
  --data PATH        your own data in the same format instead of the bundled set:
                       lenet5: an MNIST-style image IDX file (labels found beside it by
                               replacing `images-idx3` with `labels-idx1`) or a folder with both;
                       digits-mlp: a numeric CSV whose last column is the label;
                       char-lstm: a UTF-8 text file with the same 65 characters;
                       mlp-regressor: a CSV with a header row (name the target with --target)
  --target NAME      mlp-regressor: the column to predict (every other column is a feature)
  --epochs N         passes over the training split
  --batch N          samples per mini-batch
  --optimizer NAME   {OPTIMIZERS}
  --lr X             peak learning rate (cosine decay to 0 over the run; mlp-regressor:
                     the starting rate, reduced on plateaus)
  --constant-lr      keep the learning rate constant instead
  --seed N           seed of the split, initialisation, batch order and dropout (default 1)
  --patience N       stop early after N epochs without a better validation loss (RMSE
                     for mlp-regressor) and keep the best epoch's weights
  --replicas N       train on N thread replicas of the model, each taking part of every
                     batch (data parallelism; the same result as 1, to rounding)

Across processes: built with kiln's `mpi` feature and started by `mpirun -n N`, the same
command trains on N processes (one replica each, on this machine or several):
  cargo build --release --features mpi --example train
  mpirun -n 2 target/release/examples/train
  --out DIR          where the checkpoint and plot go (default runs/<model>)
  --resume           continue the run saved in DIR/checkpoint.safetensors
  -h, --help         this text

other examples:
  cargo run --release --example lenet_mnist     LeNet-5 with a hand-written training loop
  cargo run --release --example digits_mlp      the digits MLP, hand-written loop
  cargo run --release --example char_lstm       LSTM language model, then samples text"
    )
}

fn parse(args: Vec<String>) -> Result<Args, String> {
    let value = |i: usize, flag: &str| -> Result<String, String> {
        args.get(i + 1)
            .cloned()
            .ok_or_else(|| format!("{flag} needs a value\n\n{}", usage()))
    };
    let num = |v: String, flag: &str| -> Result<u64, String> {
        v.parse()
            .map_err(|_| format!("{flag} {v}: expected a whole number"))
    };
    let model = match args.iter().position(|a| a == "--model") {
        Some(i) => value(i, "--model")?,
        None => "lenet5".into(),
    };
    let (epochs, batch, optimizer, lr) = match model.as_str() {
        "lenet5" => (8, 64, "momentum", 0.05),
        "digits-mlp" => (30, 32, "momentum", 0.05),
        "char-lstm" => (3, 32, "adam", 2e-3),
        "mlp-regressor" => (300, 32, "adam", 3e-3),
        other => return Err(format!("unknown model `{other}`; expected {MODELS}")),
    };
    let mut a = Args {
        out: PathBuf::from("runs").join(&model),
        patience: (model == "mlp-regressor").then_some(20),
        model,
        data: None,
        target: None,
        epochs,
        batch,
        optimizer: optimizer.into(),
        lr,
        seed: 1,
        resume: false,
        constant_lr: false,
        replicas: 1,
        processes: None,
    };
    let mut i = 0;
    let mut seen: Vec<&str> = Vec::new();
    while i < args.len() {
        let flag = args[i].as_str();
        if flag.starts_with("--") && seen.contains(&flag) {
            return Err(format!("{flag} is given twice; give it once"));
        }
        seen.push(flag);
        match flag {
            "-h" | "--help" => return Err(usage()),
            "--resume" => a.resume = true,
            "--constant-lr" => a.constant_lr = true,
            "--model" => {}
            "--data" => a.data = Some(value(i, flag)?.into()),
            "--target" => a.target = Some(value(i, flag)?),
            "--out" => a.out = value(i, flag)?.into(),
            "--optimizer" => a.optimizer = value(i, flag)?,
            "--epochs" => a.epochs = num(value(i, flag)?, flag)? as usize,
            "--batch" => {
                a.batch = num(value(i, flag)?, flag)? as usize;
                if a.batch == 0 {
                    return Err("--batch 0: a mini-batch holds at least one sample".into());
                }
            }
            "--seed" => a.seed = num(value(i, flag)?, flag)?,
            "--replicas" => {
                a.replicas = num(value(i, flag)?, flag)? as usize;
                if a.replicas == 0 {
                    return Err("--replicas 0: training takes at least one replica".into());
                }
            }
            "--patience" => a.patience = Some(num(value(i, flag)?, flag)? as usize),
            "--lr" => {
                let v = value(i, flag)?;
                a.lr = v
                    .parse()
                    .map_err(|_| format!("--lr {v}: expected a number"))?;
            }
            other => return Err(format!("unknown option `{other}`\n\n{}", usage())),
        }
        i += if matches!(flag, "--resume" | "--constant-lr" | "-h" | "--help") {
            1
        } else {
            2
        };
    }
    Ok(a)
}

/// The optimiser named on the command line.
fn optimizer(name: &str, lr: f64) -> Result<Box<dyn Optimizer<f32>>, Box<dyn std::error::Error>> {
    Ok(match name {
        "sgd" => Box::new(Sgd::new(lr)?),
        "momentum" => Box::new(Sgd::new(lr)?.momentum(0.9)?),
        "nesterov" => Box::new(Sgd::new(lr)?.momentum(0.9)?.nesterov(true)?),
        "adam" => Box::new(Adam::new(lr)?),
        "adamw" => Box::new(AdamW::new(lr)?),
        "nadam" => Box::new(NAdam::new(lr)?),
        "rmsprop" => Box::new(RmsProp::new(lr)?),
        "adagrad" => Box::new(Adagrad::new(lr)?),
        "adadelta" => Box::new(Adadelta::new(lr)?),
        other => return Err(format!("unknown optimizer `{other}`; expected {OPTIMIZERS}").into()),
    })
}

/// MNIST-style data: an image IDX file (labels beside it) or a folder holding both.
fn load_mnist(path: &Path) -> Result<Dataset, Box<dyn std::error::Error>> {
    let images = if path.is_dir() {
        std::fs::read_dir(path)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .find(|p| p.to_string_lossy().contains("images-idx3"))
            .ok_or_else(|| format!("{}: no *images-idx3* file in this folder", path.display()))?
    } else {
        path.to_path_buf()
    };
    // The labels are the file beside it whose name says `labels-idx1` for `images-idx3`
    // (only the file name changes, never a folder of the path).
    let file_name = images
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if !file_name.contains("images-idx3") {
        return Err(format!(
            "{}: expected an MNIST-style `*images-idx3*` file",
            images.display()
        )
        .into());
    }
    let labels = images.with_file_name(file_name.replace("images-idx3", "labels-idx1"));
    let options = LoadOptions::default().with_classes(10);
    Ok(load_images_and_labels_with(&images, &labels, &options)?)
}

/// What the run adds to its checkpoints and its final report beyond the metrics.
#[derive(Default)]
struct Extras {
    /// Checkpoint metadata (the data's scaling, column names).
    metadata: Vec<(String, String)>,
    /// Lines printed after the held-out report.
    notes: Vec<String>,
}

fn run<Y, N>(
    a: &Args,
    mut net: N,
    train: &dyn Samples<f32, Y>,
    val: &dyn Samples<f32, Y>,
    clip: Option<f64>,
    extras: Extras,
) -> Result<(), Box<dyn std::error::Error>>
where
    Y: TargetKind,
    N: Network<f32> + Clone,
    N::Loss: Loss<f32, Target = [Y]>,
{
    let mut opt = optimizer(&a.optimizer, a.lr)?;
    let steps = (a.epochs * train.len().div_ceil(a.batch)) as u64;
    let ckpt = a.out.join("checkpoint.safetensors");
    let plot = a.out.join("curves.svg");
    let regression = val.task() == Task::Regression;
    let watched = if regression {
        Metric::Rmse
    } else {
        Metric::Loss
    };
    let mut fit = Fit::new(a.epochs, a.batch)?
        .seed(a.seed)
        .replicas(a.replicas)?
        .checkpoint(&ckpt)
        .metadata(extras.metadata.clone())
        .plot(
            &plot,
            &format!(
                "{} ({} params, {})",
                a.model,
                net.param_count(),
                a.optimizer
            ),
        );
    match (a.constant_lr, regression) {
        (true, _) => {}
        (false, true) => {
            let plateau = ReduceLrOnPlateau::new(Metric::Rmse)
                .factor(0.5)?
                .patience(5);
            fit = fit.reduce_lr_on_plateau(plateau);
        }
        (false, false) => fit = fit.schedule(Cosine::new(a.lr, steps, 0.0)?),
    }
    if let Some(c) = clip {
        fit = fit.clip_grad_norm(c)?;
    }
    if let Some(p) = a.patience {
        fit = fit.early_stopping(EarlyStopping::new(watched, p)?.restore_best(true));
    }
    if a.resume {
        fit = fit.resume(&ckpt);
    }
    let (replicas, kind) = match &a.processes {
        Some(p) => {
            fit = fit.processes(p.clone());
            (p.size(), "MPI processes")
        }
        None => (a.replicas, "thread replicas"),
    };
    if replicas > 1 && a.reports() {
        println!(
            "data parallel: {replicas} {kind}, each taking about {} samples of every batch of {}",
            a.batch.div_ceil(replicas),
            a.batch
        );
    }
    let history = fit.run(&mut net, opt.as_mut(), train, Some(val))?;
    if !a.reports() {
        return Ok(());
    }
    let m = evaluate(&net, val, 512)?;
    let weights = a.out.join("weights.safetensors");
    save_weights_with(&net, &weights, &extras.metadata)?;
    let secs: f64 = history.epochs.iter().map(|r| r.seconds).sum();
    println!();
    report(&m, val.len());
    for line in &extras.notes {
        println!("{line}");
    }
    println!(
        "trained {} epochs in {secs:.1}s{}",
        history.epochs.len(),
        history
            .restored_epoch
            .map(|e| format!(" (kept epoch {e}'s weights)"))
            .unwrap_or_default()
    );
    println!(
        "checkpoint (weights + optimiser, resumable with --resume): {}",
        ckpt.display()
    );
    println!(
        "weights for inference or PyTorch (tools/torch_load_checkpoint.py): {}",
        weights.display()
    );
    println!("training curves: {}", plot.display());
    println!("\nmore: --help for options; cargo run --release --example char_lstm | lenet_mnist | digits_mlp");
    Ok(())
}

/// The held-out metrics of the task.
fn report(m: &Metrics, samples: usize) {
    if let Some(c) = &m.confusion {
        println!("confusion matrix on the {samples} held-out samples:\n{c}");
    }
    let pct = |v: Option<f64>| 100.0 * v.unwrap_or(f64::NAN);
    if let Some(p) = m.perplexity {
        println!(
            "held-out loss {:.4} nats/char, perplexity {p:.2}, next-character accuracy {:.2}%",
            m.loss,
            pct(m.accuracy)
        );
    } else if let (Some(rmse), Some(mae), Some(r2)) = (m.rmse, m.mae, m.r2) {
        println!("held-out RMSE {rmse:.2}, MAE {mae:.2}, R² {r2:.3} ({samples} rows, in the target's units)");
    } else {
        println!(
            "held-out accuracy {:.2}% ({samples} samples), loss {:.4}",
            pct(m.accuracy),
            m.loss
        );
    }
}

/// The regressor's data: the CSV named on the command line (or the bundled diabetes table),
/// split, standardised on the training side and padded to the network's 64 features.
fn regression_data(a: &Args) -> Result<(Table, Table, Extras), Box<dyn std::error::Error>> {
    let table = match (&a.data, &a.target) {
        (Some(p), Some(t)) => load_table(p, &[t.as_str()])?,
        (Some(_), None) => return Err("mlp-regressor with --data needs --target NAME, the column to predict".into()),
        (None, Some(t)) if t != "progression" => {
            return Err(format!("the bundled diabetes table has no column `{t}` to predict; its target is `progression`").into())
        }
        (None, _) => diabetes()?,
    };
    let (mut train, mut val) = table.split(0.8, a.seed)?;
    // What always predicting the training mean scores, for scale.
    let mean = train.targets.iter().sum::<f64>() / train.len() as f64;
    let base =
        (val.targets.iter().map(|y| (y - mean).powi(2)).sum::<f64>() / val.len() as f64).sqrt();
    let scaling = train.fit_standardizer()?;
    train.scale(&scaling)?;
    val.scale(&scaling)?;
    let width = <MlpRegressor<f32> as Network<f32>>::INPUT;
    let mut metadata = scaling.metadata();
    metadata.push(("kiln.table.features".into(), train.feature_names.join(",")));
    metadata.push(("kiln.table.targets".into(), train.target_names.join(",")));
    let notes = vec![format!(
        "always predicting the training mean would give RMSE {base:.2}"
    )];
    a.reports().then(|| eprintln!(
        "MLP regressor: `{}` from {} feature columns; {} training and {} held-out rows; {}, lr {}, batch {}, up to {} epochs",
        train.target_names[0], train.width(), train.len(), val.len(), a.optimizer, a.lr, a.batch, a.epochs
    ));
    Ok((
        train.padded_to(width)?,
        val.padded_to(width)?,
        Extras { metadata, notes },
    ))
}

/// Creates `dir` and writes a probe file in it, so an unwritable `--out` is reported before any
/// training rather than after the first epoch.
fn check_out_dir(dir: &Path) -> Result<(), String> {
    let fail = |e: std::io::Error| format!("--out {}: cannot write there: {e}", dir.display());
    std::fs::create_dir_all(dir).map_err(fail)?;
    let probe = dir.join(format!(".kiln-write-probe-{}", std::process::id()));
    std::fs::write(&probe, b"").map_err(fail)?;
    std::fs::remove_file(&probe).map_err(fail)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let help = args.iter().any(|a| a == "-h" || a == "--help");
    let mut a = match parse(args) {
        Ok(a) => a,
        Err(msg) => {
            eprintln!("{msg}");
            return if help {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            };
        }
    };
    let started = mpi_processes(&a).map(|p| a.processes = p);
    match started.and_then(|_| train(&a)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The processes of the MPI job that started this one, if one did.
#[cfg(feature = "mpi")]
fn mpi_processes(a: &Args) -> Result<Option<Arc<dyn Processes>>, Box<dyn std::error::Error>> {
    if launched_processes().is_none() {
        return Ok(None);
    }
    if a.replicas > 1 {
        return Err("--replicas is for threads of one process; under mpirun every process is one replica: start more processes instead".into());
    }
    Ok(Some(kiln::mpi::Mpi::init()?))
}

/// Without the `mpi` feature: refuses to run as one of several copies under `mpirun`.
#[cfg(not(feature = "mpi"))]
fn mpi_processes(_: &Args) -> Result<Option<Arc<dyn Processes>>, Box<dyn std::error::Error>> {
    match launched_processes() {
        Some(n) if n > 1 => Err(format!("started by mpirun as one of {n} processes, but built without kiln's `mpi` feature, so each would train alone: build with `cargo build --release --features mpi --example train`").into()),
        _ => Ok(None),
    }
}

fn train(a: &Args) -> Result<(), Box<dyn std::error::Error>> {
    check_out_dir(&a.out)?;
    let rng = &mut seeded(a.seed);
    if a.target.is_some() && a.model != "mlp-regressor" {
        return Err(format!("--target names the column to predict for mlp-regressor; {} takes its labels from its data", a.model).into());
    }
    match a.model.as_str() {
        "mlp-regressor" => {
            let (train, val, extras) = regression_data(a)?;
            run(a, MlpRegressor::<f32>::new(rng), &train, &val, None, extras)
        }
        "lenet5" => {
            let data = match &a.data {
                Some(p) => load_mnist(p)?,
                None => mnist_t10k()?,
            };
            let (train, val) = data.split(0.9, a.seed)?;
            a.reports().then(|| eprintln!(
                "LeNet-5 on MNIST: {} training and {} held-out 28x28 images; {}, lr {}, batch {}, {} epochs",
                train.len(), val.len(), a.optimizer, a.lr, a.batch, a.epochs
            ));
            run(
                a,
                LeNet5::<f32>::new(rng),
                &train,
                &val,
                None,
                Extras::default(),
            )
        }
        "digits-mlp" => {
            let mut data = match &a.data {
                Some(p) => load_csv_with(p, -1, &LoadOptions::default().with_classes(10))?,
                None => digits()?,
            };
            data.scale(1.0 / 16.0);
            let (train, val) = data.split(0.8, a.seed)?;
            a.reports().then(|| eprintln!(
                "digits MLP: {} training and {} held-out 8x8 images; {}, lr {}, batch {}, {} epochs",
                train.len(), val.len(), a.optimizer, a.lr, a.batch, a.epochs
            ));
            run(
                a,
                DigitsMlp::<f32>::new(rng),
                &train,
                &val,
                None,
                Extras::default(),
            )
        }
        _ => {
            // The network's width is the bundled corpus's 65 characters.
            let vocab = Vocab::from_text(tiny_shakespeare())?;
            let ids = match &a.data {
                Some(p) => vocab.encode_file(p, &LoadOptions::default())?,
                None => vocab.encode(tiny_shakespeare())?,
            };
            let cut = ids.len() * 9 / 10;
            let rows = TokenRows::OneHot { vocab: vocab.len() };
            let train = TextWindows::new(ids[..cut].to_vec(), 64, rows)?;
            let val = TextWindows::new(ids[cut..].to_vec(), 64, rows)?;
            a.reports().then(|| eprintln!(
                "char LSTM: {} training and {} held-out windows of 64 characters; {}, lr {}, batch {}, {} epochs",
                train.windows(), val.windows(), a.optimizer, a.lr, a.batch, a.epochs
            ));
            run(
                a,
                CharLstm::<f32>::new(rng),
                &train,
                &val,
                Some(5.0),
                Extras::default(),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn help_lists_every_option_and_bad_input_is_explained() {
        let help = parse(args("--help")).err().unwrap();
        for opt in [
            "--model",
            "--data",
            "--epochs",
            "--batch",
            "--optimizer",
            "--lr",
            "--seed",
            "--replicas",
        ] {
            assert!(help.contains(opt), "--help lacks {opt}");
        }
        assert_eq!(parse(args("--replicas 2")).unwrap().replicas, 2);
        assert!(parse(args("--replicas 0"))
            .err()
            .unwrap()
            .contains("at least one replica"));
        let a = parse(args("--model char-lstm --lr 0.01 --seed 7")).unwrap();
        assert_eq!((a.epochs, a.batch, a.optimizer.as_str()), (3, 32, "adam"));
        assert_eq!((a.lr, a.seed), (0.01, 7));
        assert!(parse(args("--model resnet"))
            .err()
            .unwrap()
            .contains("unknown model `resnet`"));
        assert!(parse(args("--epochs many"))
            .err()
            .unwrap()
            .contains("whole number"));
        assert!(parse(args("--lr"))
            .err()
            .unwrap()
            .contains("--lr needs a value"));
        // Once a division by zero before `Fit::new` could refuse it.
        assert!(parse(args("--batch 0"))
            .err()
            .unwrap()
            .contains("at least one sample"));
        assert!(parse(args("--fast"))
            .err()
            .unwrap()
            .contains("unknown option `--fast`"));
        assert!(optimizer("lion", 0.1).is_err());
        assert!(optimizer("adam", -1.0).is_err());
    }

    #[test]
    fn trains_writes_checkpoint_and_plot_and_resumes() {
        let out = std::env::temp_dir().join(format!("kiln-train-cli-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&out);
        let a = parse(args(&format!(
            "--model digits-mlp --epochs 3 --out {}",
            out.display()
        )))
        .unwrap();
        train(&a).unwrap();
        for f in [
            "checkpoint.safetensors",
            "weights.safetensors",
            "curves.svg",
        ] {
            assert!(out.join(f).exists(), "{f} not written");
        }
        let more = Args {
            epochs: 5,
            resume: true,
            ..a
        };
        // The checkpoint's schedule was for 3 epochs; resuming into 5 is still allowed (the
        // seed, batch and data are the same) and continues from epoch 4.
        train(&more).unwrap();
        let bad = Args {
            data: Some(out.join("missing.csv")),
            resume: false,
            ..more
        };
        let err = train(&bad).unwrap_err().to_string();
        assert!(err.contains("missing.csv"), "{err}");
        // A label the 10-class model cannot have is reported by its line, before training.
        let csv = out.join("digits.csv");
        let row = vec!["0"; 64].join(",");
        std::fs::write(&csv, format!("{row},3\n{row},12\n")).unwrap();
        let err = train(&Args {
            data: Some(csv.clone()),
            ..bad
        })
        .unwrap_err()
        .to_string();
        assert!(
            err.ends_with("digits.csv: line 2, column 65: expected a class label below 10 (the model's classes), found 12"),
            "{err}"
        );
    }

    #[test]
    fn regressor_trains_on_a_csv_with_a_header_and_saves_its_scaling() {
        let dir = std::env::temp_dir().join(format!("kiln-train-reg-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        // A user's table: the bundled diabetes rows with the target renamed and moved first.
        let t = diabetes().unwrap();
        let mut csv = format!("price,{}\n", t.feature_names.join(","));
        for (row, y) in t.features.chunks(10).zip(&t.targets) {
            let cells: Vec<String> = row.iter().map(|v| v.to_string()).collect();
            csv += &format!("{y},{}\n", cells.join(","));
        }
        let file = dir.join("houses.csv");
        std::fs::write(&file, csv).unwrap();
        let a = parse(args(&format!(
            "--model mlp-regressor --data {} --target price --epochs 40 --out {}",
            file.display(),
            dir.join("run").display()
        )))
        .unwrap();
        train(&a).unwrap();
        let meta = kiln::checkpoint::read_metadata(dir.join("run/weights.safetensors")).unwrap();
        let scaling = kiln::data::Scaling::from_metadata(&meta).unwrap();
        assert!(scaling.features.is_some() && scaling.targets.is_some());
        assert_eq!(meta["kiln.table.targets"], "price");
        assert!(meta["kiln.table.features"].starts_with("age,sex,bmi"));

        let no_target = parse(args(&format!(
            "--model mlp-regressor --data {}",
            file.display()
        )));
        let err = train(&no_target.unwrap()).unwrap_err().to_string();
        assert!(err.contains("needs --target"), "{err}");
        let wrong = parse(args(&format!(
            "--model mlp-regressor --data {} --target cost",
            file.display()
        )));
        let err = train(&wrong.unwrap()).unwrap_err().to_string();
        assert!(err.contains("no column \"cost\""), "{err}");
        let err = train(&parse(args("--model digits-mlp --target x")).unwrap()).unwrap_err();
        assert!(
            err.to_string().contains("--target names the column"),
            "{err}"
        );
    }

    #[test]
    fn repeated_flags_unwritable_out_and_label_paths_are_refused_early() {
        let e = parse(args("--model lenet5 --model digits-mlp"))
            .err()
            .unwrap();
        assert!(e.contains("--model is given twice"), "{e}");
        // A file where the folder should be: refused before any data is read.
        let file = std::env::temp_dir().join(format!("kiln-out-file-{}", std::process::id()));
        std::fs::write(&file, b"x").unwrap();
        let a = parse(args(&format!(
            "--model digits-mlp --out {}",
            file.display()
        )))
        .unwrap();
        let e = train(&a).unwrap_err().to_string();
        assert!(e.contains("cannot write there"), "{e}");
        // Only the file name is rewritten: a folder named like an image file is left alone.
        let dir = std::env::temp_dir().join(format!("kiln-images-idx3-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/mnist-t10k");
        for f in ["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"] {
            std::fs::copy(data.join(f), dir.join(f)).unwrap();
        }
        let d = load_mnist(&dir.join("t10k-images-idx3-ubyte.gz")).unwrap();
        assert_eq!(d.len(), 10_000);
    }
}
