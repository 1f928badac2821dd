//! Command-line options shared by the training examples: `--epochs`, `--batch`, `--lr`,
//! `--seed`, each with a per-example default; `--help` prints the usage.

/// Hyper-parameters of a training run, as the examples read them from their command line.
///
/// ```
/// use kiln::train::Options;
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let defaults = Options { epochs: 10, batch: 32, lr: 0.01, seed: 1 };
/// let args = ["--epochs", "3", "--lr", "0.1"].map(String::from);
/// let o = Options::parse("train", defaults.clone(), args)?;
/// assert_eq!((o.epochs, o.batch, o.lr, o.seed), (3, 32, 0.1, 1));
/// let err = Options::parse("train", defaults, ["--batch", "0"].map(String::from)).unwrap_err();
/// assert!(err.contains("at least 1"));
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Passes over the training set (`--epochs`, at least 1).
    pub epochs: usize,
    /// Samples per mini-batch (`--batch`, at least 1).
    pub batch: usize,
    /// The optimiser's learning rate (`--lr`).
    pub lr: f64,
    /// Seed of the weight initialisation, shuffling and dropout (`--seed`).
    pub seed: u64,
}

impl Options {
    /// Parses `args` (without the program name) over `defaults`. `Err` holds the message to
    /// print: the usage for `--help`, otherwise what was wrong.
    pub fn parse(
        program: &str,
        defaults: Options,
        args: impl IntoIterator<Item = String>,
    ) -> Result<Options, String> {
        let usage = format!(
            "usage: {program} [--epochs N (default {})] [--batch N (default {})] [--lr X (default {})] [--seed N (default {})]",
            defaults.epochs, defaults.batch, defaults.lr, defaults.seed
        );
        let mut o = defaults;
        let mut args = args.into_iter();
        let mut seen = Vec::new();
        while let Some(flag) = args.next() {
            if flag == "--help" || flag == "-h" {
                return Err(usage);
            }
            if seen.contains(&flag) {
                return Err(format!("{flag} is given twice; give it once\n{usage}"));
            }
            seen.push(flag.clone());
            let value = args
                .next()
                .ok_or_else(|| format!("{flag} needs a value\n{usage}"))?;
            let bad = |e: &dyn std::fmt::Display| format!("{flag} {value}: {e}\n{usage}");
            match flag.as_str() {
                "--epochs" => o.epochs = value.parse().map_err(|e| bad(&e))?,
                "--batch" => o.batch = value.parse().map_err(|e| bad(&e))?,
                "--lr" => o.lr = value.parse().map_err(|e| bad(&e))?,
                "--seed" => o.seed = value.parse().map_err(|e| bad(&e))?,
                _ => return Err(format!("unknown option {flag}\n{usage}")),
            }
        }
        if o.batch == 0 || o.epochs == 0 {
            return Err(format!("--batch and --epochs must be at least 1\n{usage}"));
        }
        Ok(o)
    }

    /// [`Options::parse`] of the process arguments; prints the message and exits on `Err`
    /// (status 0 for `--help`, 2 otherwise).
    pub fn from_env(program: &str, defaults: Options) -> Options {
        let args: Vec<String> = std::env::args().skip(1).collect();
        let help = args.iter().any(|a| a == "--help" || a == "-h");
        match Options::parse(program, defaults, args) {
            Ok(o) => o,
            Err(msg) => {
                eprintln!("{msg}");
                std::process::exit(if help { 0 } else { 2 });
            }
        }
    }
}

/// The exit status of an example or tool whose work is `result`: success, or the error
/// printed in words (`error: ...`) and status 1.
pub fn exit_code(result: Result<(), Box<dyn std::error::Error>>) -> std::process::ExitCode {
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: Options = Options {
        epochs: 3,
        batch: 32,
        lr: 0.1,
        seed: 1,
    };

    #[test]
    fn parses_overrides_and_rejects_bad_values() {
        let args = |s: &str| s.split_whitespace().map(String::from).collect::<Vec<_>>();
        assert_eq!(
            Options::parse("x", D, args("--epochs 5 --lr 0.01")).unwrap(),
            Options {
                epochs: 5,
                lr: 0.01,
                ..D
            }
        );
        assert!(Options::parse("x", D, args("--batch 0"))
            .unwrap_err()
            .contains("at least 1"));
        assert!(Options::parse("x", D, args("--lr fast"))
            .unwrap_err()
            .starts_with("--lr fast: invalid float"));
        assert!(Options::parse("x", D, args("--speed 2"))
            .unwrap_err()
            .starts_with("unknown option --speed"));
        assert!(Options::parse("x", D, args("--lr 0.1 --lr 0.2"))
            .unwrap_err()
            .starts_with("--lr is given twice"));
        assert!(Options::parse("x", D, args("--help"))
            .unwrap_err()
            .starts_with("usage: x"));
    }
}
