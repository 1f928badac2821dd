//! Data-parallel training across processes (the `mpi` feature): `examples/mpi_check` and the
//! main command are built with the feature in a target folder of their own and started under
//! `mpirun` on this machine. Two processes train as one process does (f64, 1e-12), a
//! checkpoint written by two resumes on three into the uninterrupted single-process run,
//! a process that fails a step stops it on every process, and the main command runs under
//! `mpirun` unchanged.
//!
//! Needs an MPI installation (Debian: `libopenmpi-dev openmpi-bin libclang-dev`, which
//! `.ci/run` installs); `KILN_SKIP_MPI=1` leaves the test out on a machine without one.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

const INSTALL: &str = "install MPI (Debian: apt-get install libopenmpi-dev openmpi-bin libclang-dev, as .ci/run does) or set KILN_SKIP_MPI=1 to leave this test out";

fn skipped() -> bool {
    std::env::var_os("KILN_SKIP_MPI").is_some_and(|v| v == "1")
}

/// The folder holding `mpi_check` and `train` built with the `mpi` feature.
fn built() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let root = env!("CARGO_MANIFEST_DIR");
        let out = Command::new(env!("CARGO"))
            .args(["build", "--features", "mpi", "--example", "mpi_check"])
            .args(["--example", "train", "--target-dir"])
            .arg(format!("{root}/target/mpi"))
            .current_dir(root)
            .output()
            .expect("cargo runs");
        assert!(out.status.success(), "{}\n{INSTALL}", text(&out));
        PathBuf::from(format!("{root}/target/mpi/debug/examples"))
    })
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// `program args` under `mpirun -n n` (or alone for `n == 0`); its output, after checking
/// it succeeded.
fn run(n: usize, program: &str, args: &[&str]) -> String {
    let program = built().join(program);
    let mut cmd = if n == 0 {
        Command::new(&program)
    } else {
        let mut c = Command::new("mpirun");
        c.arg("-n").arg(n.to_string()).arg(&program);
        c
    };
    // Open MPI: more processes than this machine's cores, and as root in containers.
    cmd.env("OMPI_MCA_rmaps_base_oversubscribe", "1")
        .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
        .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1");
    let out = cmd
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot start mpirun: {e}; {INSTALL}"));
    let log = text(&out);
    assert!(out.status.success(), "{program:?} {args:?} on {n}:\n{log}");
    log
}

/// The numbers of `mpi_check fit`'s report, and its non-numeric lines.
fn report(path: &Path) -> (Vec<f64>, Vec<String>) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut numbers = Vec::new();
    let mut words = Vec::new();
    for line in text.lines() {
        match line.split_once(' ') {
            Some(("epoch" | "w", rest)) => {
                numbers.extend(rest.split(' ').map(|v| v.parse::<f64>().unwrap()));
            }
            _ => words.push(line.to_string()),
        }
    }
    (numbers, words)
}

fn assert_close(a: &[f64], b: &[f64]) {
    assert_eq!(a.len(), b.len());
    assert!(a.len() > 1000, "epochs and every weight");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        let tol = 1e-12 * x.abs().max(y.abs()).max(1.0);
        assert!((x - y).abs() <= tol, "value {i}: {x} vs {y}");
    }
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kiln-mpi-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn two_processes_train_as_one_and_a_checkpoint_resumes_on_three() {
    if skipped() {
        return;
    }
    let dir = scratch("fit");
    let file = |name: &str| dir.join(name).display().to_string();
    run(0, "mpi_check", &["fit", "4", &file("one.txt")]);
    run(2, "mpi_check", &["fit", "4", &file("two.txt")]);
    run(2, "mpi_check", &["fit", "2", &file("resumed.txt")]);
    run(
        3,
        "mpi_check",
        &["fit", "4", &file("resumed.txt"), "--resume"],
    );
    let (one, words) = report(&dir.join("one.txt"));
    assert_eq!(words, ["processes 1", "same weights true"]);
    let (two, words) = report(&dir.join("two.txt"));
    assert_eq!(words, ["processes 2", "same weights true"]);
    assert_close(&one, &two);
    let (resumed, words) = report(&dir.join("resumed.txt"));
    assert_eq!(words, ["processes 3", "same weights true"]);
    assert_close(&one, &resumed);
    // It learnt: the last epoch's validation accuracy.
    assert!(one[4 * 5 - 1] > 0.9, "{:?}", &one[..20]);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_process_that_fails_a_step_stops_it_on_every_process() {
    if skipped() {
        return;
    }
    let log = run(2, "mpi_check", &["fail"]);
    assert!(
        log.contains("process 1: failed step: error: label 99 of sample 7 is out of range"),
        "{log}"
    );
    assert!(
        log.contains(
            "process 0: failed step: error: process 1 of the data-parallel run failed this step"
        ),
        "{log}"
    );
    assert_eq!(
        log.matches("weights unchanged: true; next step: trained")
            .count(),
        2,
        "{log}"
    );
}

#[test]
fn the_main_command_runs_under_mpirun_unchanged() {
    if skipped() {
        return;
    }
    let dir = scratch("train");
    let out = dir.display().to_string();
    let args = ["--model", "digits-mlp", "--epochs", "3", "--out", &out];
    let log = run(2, "train", &args);
    assert!(
        log.contains(
            "data parallel: 2 MPI processes, each taking about 16 samples of every batch of 32"
        ),
        "{log}"
    );
    // Process 0 alone reports.
    assert_eq!(log.matches("held-out accuracy").count(), 1, "{log}");
    assert_eq!(log.matches("epoch 3/3").count(), 1, "{log}");
    let acc: f64 = log
        .split("held-out accuracy ")
        .nth(1)
        .and_then(|s| s.split('%').next())
        .and_then(|s| s.parse().ok())
        .unwrap();
    assert!(acc > 90.0, "{log}");
    assert!(dir.join("checkpoint.safetensors").exists());
    std::fs::remove_dir_all(&dir).ok();
}
