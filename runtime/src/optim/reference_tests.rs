//! Every optimiser configuration in `tools/reference/optim.py`, run for five steps and compared
//! with PyTorch's trajectory (`reference_values.rs`): 1e-12 relative in f64, looser in f32.

use super::reference_values::{Case, CASES, INITIAL};
use super::*;
use crate::error::KilnError;
use crate::param::{Param, ParamKind};

/// The configuration `tools/reference/optim.py` names `name`, built with kiln's builders.
fn build<T: Float>(name: &str) -> Result<Box<dyn Optimizer<T>>> {
    use ParamKind::Weight;
    Ok(match name {
        "sgd_plain" => Box::new(Sgd::new(0.1)?),
        "sgd_momentum_dampening" => Box::new(Sgd::new(0.1)?.momentum(0.9)?.dampening(0.25)?),
        "sgd_nesterov_l2" => Box::new(
            Sgd::new(0.05)?
                .momentum(0.8)?
                .nesterov(true)?
                .weight_decay(0.1)?,
        ),
        "sgd_momentum_decoupled" => Box::new(
            Sgd::new(0.1)?
                .momentum(0.9)?
                .weight_decay(0.2)?
                .decoupled_weight_decay(true)?,
        ),
        "sgd_momentum_l2_weights_only" => Box::new(
            Sgd::new(0.1)?
                .momentum(0.9)?
                .weight_decay(0.1)?
                .decay_only(Weight)?,
        ),
        "sgd_momentum_lr_changes" => Box::new(Sgd::new(0.1)?.momentum(0.9)?),
        "adagrad_default" => Box::new(Adagrad::new(0.1)?),
        "adagrad_full" => Box::new(
            Adagrad::new(0.1)?
                .lr_decay(0.05)?
                .weight_decay(0.1)?
                .initial_accumulator_value(0.2)?
                .eps(1e-6)?,
        ),
        "rmsprop_default" => Box::new(RmsProp::new(0.01)?),
        "rmsprop_momentum" => Box::new(RmsProp::new(0.02)?.momentum(0.9)?),
        "rmsprop_centered_momentum_l2" => Box::new(
            RmsProp::new(0.01)?
                .alpha(0.9)?
                .eps(1e-6)?
                .momentum(0.5)?
                .centered(true)?
                .weight_decay(0.05)?,
        ),
        "rmsprop_centered" => Box::new(RmsProp::new(0.01)?.centered(true)?),
        "adadelta_default" => Box::new(Adadelta::default()),
        "adadelta_custom" => Box::new(Adadelta::new(0.5)?.rho(0.8)?.eps(1e-5)?.weight_decay(0.1)?),
        "adam_default" => Box::new(Adam::new(0.1)?),
        "adam_amsgrad_l2" => Box::new(
            Adam::new(0.05)?
                .betas(0.8, 0.95)?
                .eps(1e-6)?
                .weight_decay(0.1)?
                .amsgrad(true)?,
        ),
        "adam_decoupled" => Box::new(
            Adam::new(0.05)?
                .weight_decay(0.1)?
                .decoupled_weight_decay(true)?,
        ),
        "adam_lr_changes" => Box::new(Adam::new(0.1)?),
        "adamw_default" => Box::new(AdamW::new(0.1)?),
        "adamw_amsgrad_weights_only" => Box::new(
            AdamW::new(0.1)?
                .weight_decay(0.3)?
                .amsgrad(true)?
                .decay_only(Weight)?,
        ),
        "nadam_default" => Box::new(NAdam::new(0.1)?),
        "nadam_l2" => Box::new(
            NAdam::new(0.05)?
                .betas(0.85, 0.99)?
                .weight_decay(0.1)?
                .momentum_decay(0.01)?,
        ),
        "nadam_decoupled" => Box::new(
            NAdam::new(0.05)?
                .weight_decay(0.1)?
                .decoupled_weight_decay(true)?,
        ),
        other => panic!("reference case {other:?} has no kiln configuration"),
    })
}

/// The gradient constant of `optim.py`: `(((7 j + 3 k) % 11) - 5) / 8`.
fn grad_const(j: usize, k: usize) -> f64 {
    (((7 * j + 3 * k) % 11) as f64 - 5.0) * 0.125
}

/// Runs steps `from..to` of `case` on `p` (weight then bias) with `opt`.
fn run<T: Float>(case: &Case, opt: &mut dyn Optimizer<T>, p: &mut [T; 9], from: usize, to: usize) {
    for k in from..to {
        if let Some(lrs) = case.lrs {
            opt.set_learning_rate(lrs[k]).unwrap();
        }
        let g: Vec<T> = (0..9)
            .map(|j| p[j] * T::from_f64(0.5) + T::from_f64(grad_const(j, k)))
            .collect();
        let (w, b) = p.split_at_mut(6);
        let mut set = [
            Param {
                name: "weight",
                kind: ParamKind::Weight,
                value: w,
                grad: &g[..6],
            },
            Param {
                name: "bias",
                kind: ParamKind::Bias,
                value: b,
                grad: &g[6..],
            },
        ];
        opt.step(&mut set).unwrap();
    }
}

fn assert_close<T: Float>(case: &Case, k: usize, got: &[T; 9], rel: f64) {
    for (j, (g, &want)) in got.iter().zip(&case.expected[k]).enumerate() {
        let err = (g.to_f64() - want).abs() / want.abs().max(1.0);
        assert!(
            err <= rel,
            "{} ({}) step {} element {j}: kiln {g} vs PyTorch {want} (error {err:e})",
            case.name,
            T::NAME,
            k + 1
        );
    }
}

fn check_case<T: Float>(case: &Case, rel: f64) {
    let mut opt = build::<T>(case.name).unwrap();
    let mut p = INITIAL.map(T::from_f64);
    for k in 0..5 {
        run(case, &mut *opt, &mut p, k, k + 1);
        assert_close(case, k, &p, rel);
    }
    assert_eq!(opt.steps(), 5);
}

#[test]
fn every_optimiser_matches_pytorch_f64() {
    assert_eq!(CASES.len(), 23);
    for case in CASES {
        check_case::<f64>(case, 1e-12);
    }
}

#[test]
fn every_optimiser_matches_pytorch_f32() {
    for case in CASES {
        check_case::<f32>(case, 5e-6);
    }
}

#[test]
fn parameters_actually_move_and_configurations_differ() {
    // Guards against a vacuous comparison: every case moves every parameter, and cases that
    // differ only in an option (AMSGrad, decay filter, lr changes) have different trajectories.
    for case in CASES {
        for (j, (&a, &b)) in case.expected[4].iter().zip(&INITIAL).enumerate() {
            assert!(
                (a - b).abs() > 1e-4,
                "{} element {j} did not move",
                case.name
            );
        }
    }
    let last = |name: &str| CASES.iter().find(|c| c.name == name).unwrap().expected[4];
    assert_ne!(
        last("sgd_momentum_lr_changes"),
        last("sgd_momentum_dampening")
    );
    assert_ne!(last("adam_lr_changes"), last("adam_default"));
    // Decay restricted to weights: kiln's biases follow the undecayed run exactly, the
    // weights do not.
    let kiln = |mut opt: Box<dyn Optimizer<f64>>| {
        let case = Case {
            name: "any",
            lrs: None,
            expected: [[0.0; 9]; 5],
        };
        let mut p = INITIAL;
        run(&case, &mut *opt, &mut p, 0, 5);
        p
    };
    let wd = kiln(build("sgd_momentum_l2_weights_only").unwrap());
    let plain = kiln(Box::new(Sgd::new(0.1).unwrap().momentum(0.9).unwrap()));
    assert_eq!(wd[6..], plain[6..]);
    assert!(wd[..6].iter().zip(&plain[..6]).all(|(a, b)| a != b));
}

#[test]
fn checkpoint_round_trip_through_visit_state() {
    // Three steps, save the state by name, restore it into a fresh optimiser, two more steps:
    // must land on PyTorch's fifth step.
    for case in CASES {
        let mut opt = build::<f64>(case.name).unwrap();
        let mut p = INITIAL;
        run(case, &mut *opt, &mut p, 0, 3);
        let mut saved = Vec::new();
        opt.visit_state(&mut |n, t| saved.push((n.to_string(), t.to_vec())));
        let mut scalars = Vec::new();
        opt.visit_scalars(&mut |n, x| scalars.push((n.to_string(), *x)));
        assert!(saved
            .iter()
            .all(|(n, _)| n.starts_with("0.") || n.starts_with("1.")));
        let lr = opt.learning_rate();

        let mut fresh = build::<f64>(case.name).unwrap();
        let (mut w, mut b) = ([0.0; 6], [0.0; 3]);
        let mut set = [
            Param {
                name: "weight",
                kind: ParamKind::Weight,
                value: &mut w,
                grad: &[0.0; 6],
            },
            Param {
                name: "bias",
                kind: ParamKind::Bias,
                value: &mut b,
                grad: &[0.0; 3],
            },
        ];
        fresh.init_state(&mut set).unwrap();
        assert_eq!((w, b), ([0.0; 6], [0.0; 3]), "init_state must not step");
        let mut i = 0;
        fresh.visit_state(&mut |n, t| {
            assert_eq!(n, saved[i].0);
            t.copy_from_slice(&saved[i].1);
            i += 1;
        });
        assert_eq!(i, saved.len(), "{}", case.name);
        fresh.visit_scalars(&mut |n, x| *x = scalars.iter().find(|s| s.0 == n).unwrap().1);
        fresh.set_steps(3);
        fresh.set_learning_rate(lr).unwrap();
        run(case, &mut *fresh, &mut p, 3, 5);
        assert_close(case, 4, &p, 1e-12);
    }
}

#[test]
fn state_names_follow_pytorch_keys() {
    let names = |mut o: Box<dyn Optimizer<f64>>| {
        let mut v = [1.0];
        let mut set = [Param {
            name: "w",
            kind: ParamKind::Weight,
            value: &mut v,
            grad: &[0.5],
        }];
        o.step(&mut set).unwrap();
        let mut n = Vec::new();
        o.visit_state(&mut |s, _| n.push(s.to_string()));
        n
    };
    assert_eq!(names(build("sgd_plain").unwrap()), Vec::<String>::new());
    assert_eq!(names(build("sgd_plain").unwrap()).len(), 0);
    assert_eq!(
        names(build("sgd_nesterov_l2").unwrap()),
        ["0.momentum_buffer"]
    );
    assert_eq!(names(build("adagrad_default").unwrap()), ["0.sum"]);
    assert_eq!(
        names(build("rmsprop_centered_momentum_l2").unwrap()),
        ["0.square_avg", "0.momentum_buffer", "0.grad_avg"]
    );
    assert_eq!(
        names(build("adadelta_default").unwrap()),
        ["0.square_avg", "0.acc_delta"]
    );
    assert_eq!(
        names(build("adam_amsgrad_l2").unwrap()),
        ["0.exp_avg", "0.exp_avg_sq", "0.max_exp_avg_sq"]
    );
    assert_eq!(
        names(build("nadam_default").unwrap()),
        ["0.exp_avg", "0.exp_avg_sq"]
    );
}

#[test]
fn changed_parameter_set_is_an_error_and_changes_nothing() {
    for case in CASES {
        let mut opt = build::<f64>(case.name).unwrap();
        let mut p = INITIAL;
        run(case, &mut *opt, &mut p, 0, 1);
        let before = p;
        // Drop the bias.
        let mut set = [Param {
            name: "weight",
            kind: ParamKind::Weight,
            value: &mut p[..6],
            grad: &[1.0; 6],
        }];
        assert_eq!(
            opt.step(&mut set),
            Err(KilnError::ParameterSetChanged {
                index: 1,
                expected_len: 3,
                actual_len: 0
            }),
            "{}",
            case.name
        );
        // Resize the weight.
        let (w, b) = p.split_at_mut(5);
        let mut set = [
            Param {
                name: "weight",
                kind: ParamKind::Weight,
                value: w,
                grad: &[1.0; 5],
            },
            Param {
                name: "bias",
                kind: ParamKind::Bias,
                value: &mut b[1..],
                grad: &[1.0; 3],
            },
        ];
        assert_eq!(
            opt.step(&mut set),
            Err(KilnError::ParameterSetChanged {
                index: 0,
                expected_len: 6,
                actual_len: 5
            })
        );
        // A gradient of the wrong length.
        let (w, b) = p.split_at_mut(6);
        let mut set = [
            Param {
                name: "weight",
                kind: ParamKind::Weight,
                value: w,
                grad: &[1.0; 6],
            },
            Param {
                name: "bias",
                kind: ParamKind::Bias,
                value: b,
                grad: &[1.0; 2],
            },
        ];
        assert!(matches!(
            opt.step(&mut set),
            Err(KilnError::LengthMismatch { .. })
        ));
        assert_eq!(p, before, "{}", case.name);
        assert_eq!(opt.steps(), 1);
    }
}
