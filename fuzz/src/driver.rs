//! The mutation driver: runs a target on its corpus, then on mutants of it, under
//! `catch_unwind`, until an iteration or time budget is spent. A panic, a slow execution or a
//! disproportionate allocation is a finding, saved (once per distinct cause) to
//! `crashes/<target>-<hash>` so it can be replayed and, once fixed, moved into the corpus.

use std::cell::{Cell, RefCell};
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::Once;
use std::time::{Duration, Instant};

use crate::alloc_guard::{peak, reset_peak};
use crate::mutate::mutant;
use crate::rng::Rng;
use crate::Target;

/// One execution longer than this is reported as a hang.
pub const SLOW: Duration = Duration::from_secs(2);

/// The largest single allocation an input of `len` bytes may cause: gzip alone can inflate
/// about 1000-fold (and a growing `Vec` doubles), anything far beyond that is a reader
/// trusting a size field.
pub fn allocation_limit(len: usize) -> usize {
    (64 << 20) + 4096 * len
}

/// When to stop: whichever of the two comes first.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    pub iterations: u64,
    pub time: Duration,
}

/// What went wrong on one input.
#[derive(Debug, Clone, PartialEq)]
pub enum Problem {
    /// The target panicked (message and location).
    Panic(String),
    /// One execution took this long.
    Slow(Duration),
    /// One allocation of this many bytes.
    Allocation(usize),
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::Panic(m) => write!(f, "panic: {m}"),
            Problem::Slow(d) => write!(f, "hang: one execution took {d:.1?}"),
            Problem::Allocation(n) => write!(f, "huge allocation: {n} bytes in one request"),
        }
    }
}

/// A problem, the input that caused it, and where it was saved.
#[derive(Debug, Clone)]
pub struct Finding {
    pub problem: Problem,
    pub input: Vec<u8>,
    pub saved: Option<PathBuf>,
}

/// The outcome of a fuzz run.
#[derive(Debug, Clone)]
pub struct Report {
    pub target: &'static str,
    pub iterations: u64,
    pub elapsed: Duration,
    pub findings: Vec<Finding>,
}

impl Report {
    /// Executions per second.
    pub fn rate(&self) -> f64 {
        self.iterations as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// `fuzz/corpus/<target>`.
pub fn corpus_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(target)
}

/// `fuzz/crashes`.
pub fn crashes_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("crashes")
}

/// The files of `dir` in name order (none if it does not exist).
pub fn read_inputs(dir: &Path) -> std::io::Result<Vec<(PathBuf, Vec<u8>)>> {
    let mut paths = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .map(|e| e.map(|e| e.path()))
            .collect::<Result<Vec<_>, _>>()?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(e),
    };
    paths.retain(|p| p.is_file());
    paths.sort();
    paths
        .into_iter()
        .map(|p| std::fs::read(&p).map(|b| (p, b)))
        .collect()
}

thread_local! {
    /// Whether this thread is inside a target (its panics are expected, so not printed).
    static IN_TARGET: Cell<bool> = const { Cell::new(false) };
    /// The last panic's message and location on this thread.
    static LAST_PANIC: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Installs (once) a panic hook that records panics inside targets instead of printing them,
/// and leaves every other thread's panics to the previous hook.
fn install_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if IN_TARGET.with(Cell::get) {
                let payload = info.payload();
                let msg = payload
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "(non-string payload)".into());
                let at = info
                    .location()
                    .map(|l| format!(" at {}:{}", l.file(), l.line()))
                    .unwrap_or_default();
                LAST_PANIC.with(|p| *p.borrow_mut() = format!("{msg}{at}"));
            } else {
                previous(info);
            }
        }));
    });
}

/// Runs `target` once on `input`; `None` if it returned normally, quickly and frugally.
pub fn execute(target: Target, input: &[u8]) -> Option<Problem> {
    install_hook();
    IN_TARGET.with(|f| f.set(true));
    reset_peak();
    let start = Instant::now();
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| (target.run)(input)));
    let took = start.elapsed();
    let biggest = peak();
    IN_TARGET.with(|f| f.set(false));
    if outcome.is_err() {
        return Some(Problem::Panic(LAST_PANIC.with(|p| p.borrow().clone())));
    }
    if biggest > allocation_limit(input.len()) {
        return Some(Problem::Allocation(biggest));
    }
    (took > SLOW).then_some(Problem::Slow(took))
}

/// FNV-1a, for crash file names that are the same on every machine.
pub fn hash(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Runs `target` on every corpus input, then on mutants of them (seeded by `seed`) until the
/// budget is spent. Each distinct problem is kept once, with its first input, and written to
/// `save_to/<target>-<hash>` when a folder is given.
pub fn fuzz(
    target: Target,
    corpus: &[Vec<u8>],
    budget: Budget,
    seed: u64,
    save_to: Option<&Path>,
) -> std::io::Result<Report> {
    let start = Instant::now();
    let mut rng = Rng::new(seed);
    let mut findings: Vec<Finding> = Vec::new();
    let empty = [Vec::new()];
    let pool = if corpus.is_empty() {
        &empty[..]
    } else {
        corpus
    };
    let mut iterations = 0;
    while iterations < budget.iterations && start.elapsed() < budget.time {
        let input = match corpus.get(iterations as usize) {
            Some(seed_input) => seed_input.clone(),
            None => {
                let base = &pool[rng.below(pool.len())];
                let other = &pool[rng.below(pool.len())];
                mutant(&mut rng, base, other)
            }
        };
        iterations += 1;
        let Some(problem) = execute(target, &input) else {
            continue;
        };
        let same_cause = |f: &Finding| match (&f.problem, &problem) {
            (Problem::Panic(a), Problem::Panic(b)) => a == b,
            (a, b) => std::mem::discriminant(a) == std::mem::discriminant(b),
        };
        if findings.iter().any(same_cause) {
            continue;
        }
        let saved = match save_to {
            Some(dir) => {
                std::fs::create_dir_all(dir)?;
                let path = dir.join(format!("{}-{:016x}", target.name, hash(&input)));
                std::fs::write(&path, &input)?;
                Some(path)
            }
            None => None,
        };
        findings.push(Finding {
            problem,
            input,
            saved,
        });
    }
    Ok(Report {
        target: target.name,
        iterations,
        elapsed: start.elapsed(),
        findings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn panics_on_x(data: &[u8]) {
        assert!(!data.contains(&b'x'), "found an x");
    }

    #[test]
    fn panics_are_caught_recorded_once_and_saved() {
        let t = Target {
            name: "test",
            run: panics_on_x,
        };
        assert_eq!(execute(t, b"abc"), None);
        let Some(Problem::Panic(msg)) = execute(t, b"axc") else {
            panic!("the panic was not caught");
        };
        assert!(msg.starts_with("found an x at "), "{msg}");
        assert!(msg.contains("driver.rs"), "{msg}");

        let dir = std::env::temp_dir().join(format!("kiln-fuzz-driver-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let budget = Budget {
            iterations: 2_000,
            time: Duration::from_secs(30),
        };
        let report = fuzz(t, &[b"wwwwyyyy".to_vec()], budget, 3, Some(&dir)).unwrap();
        assert_eq!(report.iterations, 2_000);
        assert_eq!(report.findings.len(), 1, "one cause, one finding");
        let f = &report.findings[0];
        assert!(f.input.contains(&b'x'));
        assert_eq!(std::fs::read(f.saved.as_ref().unwrap()).unwrap(), f.input);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn allocates_a_lot(data: &[u8]) {
        let v = vec![1u8; allocation_limit(data.len()) + 1];
        assert_eq!(v.len(), allocation_limit(data.len()) + 1);
    }

    #[test]
    fn disproportionate_allocations_are_findings() {
        let t = Target {
            name: "alloc",
            run: allocates_a_lot,
        };
        assert!(matches!(execute(t, b"ab"), Some(Problem::Allocation(n)) if n > 64 << 20));
    }
}
