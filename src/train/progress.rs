//! A progress display that redraws one line on a terminal (steps/s, loss, ETA) and prints plain
//! log lines when the output is not a terminal (CI logs, files).

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// Progress of a training run over a known number of steps.
pub struct Progress {
    total: u64,
    done: u64,
    start: Instant,
    last_draw: Instant,
    tty: bool,
    visible: bool,
    /// Plain-log mode: the step at which the next status line is printed.
    next_log: u64,
    loss_avg: f64,
}

impl Progress {
    /// A display for `total` steps, on stderr.
    pub fn new(total: u64) -> Self {
        let now = Instant::now();
        Progress {
            total,
            done: 0,
            start: now,
            last_draw: now - Duration::from_secs(1),
            tty: std::io::stderr().is_terminal(),
            visible: true,
            next_log: total.div_ceil(10).max(1),
            loss_avg: f64::NAN,
        }
    }

    /// A display that shows nothing (quiet runs); `finish` still returns the elapsed time.
    pub fn hidden() -> Self {
        Progress {
            visible: false,
            ..Progress::new(0)
        }
    }

    /// Records one finished step and its loss; redraws at most 10 times a second on a terminal.
    pub fn step(&mut self, loss: f64) {
        self.done += 1;
        self.loss_avg = if self.loss_avg.is_nan() {
            loss
        } else {
            0.95 * self.loss_avg + 0.05 * loss
        };
        if !self.visible {
            return;
        }
        if self.tty {
            if self.last_draw.elapsed() >= Duration::from_millis(100) {
                self.last_draw = Instant::now();
                let _ = write!(std::io::stderr(), "\r\x1b[2K{}", self.bar());
            }
        } else if self.done >= self.next_log {
            // Not a terminal (CI, a file): a plain line every tenth of the run.
            self.next_log += self.total.div_ceil(10).max(1);
            let _ = writeln!(std::io::stderr(), "{}", self.status());
        }
    }

    /// One line of status: `step 120/560 [21%] 4,310 steps/s loss 0.412 ETA 0.1s`.
    pub fn status(&self) -> String {
        let secs = self.start.elapsed().as_secs_f64().max(1e-9);
        let rate = self.done as f64 / secs;
        let left = self.total.saturating_sub(self.done) as f64 / rate.max(1e-9);
        let pct = 100 * self.done / self.total.max(1);
        format!(
            "step {}/{} [{pct:>3}%] {rate:>8.0} steps/s  loss {:.4}  ETA {left:.1}s",
            self.done, self.total, self.loss_avg
        )
    }

    /// The status behind a 20-cell bar, for terminals.
    fn bar(&self) -> String {
        let filled = (20 * self.done / self.total.max(1)).min(20) as usize;
        format!(
            "[{}{}] {}",
            "#".repeat(filled),
            "-".repeat(20 - filled),
            self.status()
        )
    }

    /// Prints a line that stays (an epoch summary) below the progress line.
    pub fn println(&mut self, line: &str) {
        if !self.visible {
            return;
        }
        let mut err = std::io::stderr();
        if self.tty {
            let _ = writeln!(err, "\r\x1b[2K{line}");
            let _ = write!(err, "{}", self.bar());
        } else {
            let _ = writeln!(err, "{line}");
        }
    }

    /// Ends the display; returns the elapsed time.
    pub fn finish(&mut self) -> Duration {
        if self.tty && self.visible {
            let _ = writeln!(std::io::stderr(), "\r\x1b[2K{}", self.bar());
        }
        self.start.elapsed()
    }
}
