//! Gradient checking for any generated network: central differences in f64,
//! `(L(p + h) - L(p - h)) / 2h` [FF 5.4], against the generated backward, for every parameter
//! entry and every input entry.

use crate::loss::Loss;
use crate::network::{batch_of, Network};
use crate::Result;

/// Step and tolerances of a [`gradcheck`].
#[derive(Debug, Clone, Copy)]
pub struct GradcheckConfig {
    /// Finite-difference step.
    pub h: f64,
    /// Differences at or below this are treated as exact (near-zero entries).
    pub abs_floor: f64,
    /// Seed for the training randomness (dropout); re-applied before every evaluation so each
    /// loss is a deterministic function of the parameters.
    pub seed: u64,
    /// Check at most this many entries per tensor (evenly spaced), to bound the cost on large
    /// layers; `usize::MAX` checks all.
    pub max_per_tensor: usize,
    /// Time steps per sequence, for sequence networks (ignored by others).
    pub steps: usize,
    /// Check the input gradient too; `false` for token inputs (ids are not differentiable).
    pub inputs: bool,
}

impl Default for GradcheckConfig {
    fn default() -> Self {
        GradcheckConfig {
            h: 1e-6,
            abs_floor: 1e-9,
            seed: 0,
            max_per_tensor: usize::MAX,
            steps: 1,
            inputs: true,
        }
    }
}

/// The outcome of a [`gradcheck`].
#[derive(Debug, Clone)]
pub struct GradcheckReport {
    /// Largest relative error over every checked entry.
    pub max_rel_error: f64,
    /// Where it occurred, e.g. `layers.0.weight[17]` or `input[3]`.
    pub worst: String,
    /// The analytic and numeric values there.
    pub worst_values: (f64, f64),
    /// Entries compared.
    pub checked: usize,
}

impl GradcheckReport {
    /// `Ok` if the largest relative error is at most `tol`, else a message naming the worst
    /// entry and both values (for tests: `report.within(1e-6).unwrap()`).
    pub fn within(&self, tol: f64) -> core::result::Result<(), String> {
        if self.max_rel_error <= tol {
            Ok(())
        } else {
            Err(format!(
                "max relative error {:.3e} > {tol:e} at {} (analytic {}, numeric {})",
                self.max_rel_error, self.worst, self.worst_values.0, self.worst_values.1
            ))
        }
    }
}

/// Compares the network's backward with central differences of its declared loss at `x`.
pub fn gradcheck<N: Network<f64>>(
    net: &mut N,
    x: &[f64],
    target: &<N::Loss as Loss<f64>>::Target,
    cfg: GradcheckConfig,
) -> Result<GradcheckReport> {
    batch_of("gradcheck input", x.len(), N::INPUT)?;
    let mut train = net.new_train(cfg.seed);
    N::set_steps(&mut train, cfg.steps);

    // Analytic gradients.
    N::reseed(&mut train, cfg.seed);
    net.forward_train_flat(x, &mut train)?;
    {
        let (out, d) = N::output_and_grad(&mut train);
        net.loss_fn().loss_and_grad(out, N::OUTPUT, target, d)?;
    }
    let mut dx = vec![0.0; x.len()];
    net.backward_flat(x, &mut train, Some(&mut dx))?;
    let mut analytic: Vec<(String, Vec<f64>)> = Vec::new();
    N::visit_grads(&train, &mut |name, _, g| {
        analytic.push((name.to_string(), g.to_vec()))
    });

    let loss_at = |net: &mut N, x: &[f64], train: &mut N::Train| -> Result<f64> {
        N::reseed(train, cfg.seed);
        net.forward_train_flat(x, train)?;
        let (out, _) = N::output_and_grad(train);
        net.loss_fn().loss(out, N::OUTPUT, target)
    };

    let mut report = GradcheckReport {
        max_rel_error: 0.0,
        worst: String::new(),
        worst_values: (0.0, 0.0),
        checked: 0,
    };
    let record = |report: &mut GradcheckReport, name: &dyn Fn() -> String, ana: f64, num: f64| {
        report.checked += 1;
        let diff = (ana - num).abs();
        let rel = if diff <= cfg.abs_floor {
            0.0
        } else {
            diff / ana.abs().max(num.abs())
        };
        if rel > report.max_rel_error || report.worst.is_empty() {
            report.max_rel_error = rel;
            report.worst = name();
            report.worst_values = (ana, num);
        }
    };
    let picks = |len: usize| -> Vec<usize> {
        if len <= cfg.max_per_tensor {
            (0..len).collect()
        } else {
            (0..cfg.max_per_tensor)
                .map(|i| i * len / cfg.max_per_tensor)
                .collect()
        }
    };

    for (p, (name, grad)) in analytic.iter().enumerate() {
        for i in picks(grad.len()) {
            let bump = |net: &mut N, delta: f64| {
                let mut k = 0;
                net.visit_params_mut(&mut |_, _, v| {
                    if k == p {
                        v[i] += delta;
                    }
                    k += 1;
                });
            };
            bump(net, cfg.h);
            let lp = loss_at(net, x, &mut train)?;
            bump(net, -2.0 * cfg.h);
            let lm = loss_at(net, x, &mut train)?;
            bump(net, cfg.h);
            let num = (lp - lm) / (2.0 * cfg.h);
            record(&mut report, &|| format!("{name}[{i}]"), grad[i], num);
        }
    }
    let mut xp = x.to_vec();
    let input_picks = if cfg.inputs {
        picks(x.len())
    } else {
        Vec::new()
    };
    for i in input_picks {
        let orig = xp[i];
        xp[i] = orig + cfg.h;
        let lp = loss_at(net, &xp, &mut train)?;
        xp[i] = orig - cfg.h;
        let lm = loss_at(net, &xp, &mut train)?;
        xp[i] = orig;
        record(
            &mut report,
            &|| format!("input[{i}]"),
            dx[i],
            (lp - lm) / (2.0 * cfg.h),
        );
    }
    Ok(report)
}
