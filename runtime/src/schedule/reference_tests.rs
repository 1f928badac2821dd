//! Every schedule in `tools/reference/schedules.py`, compared with the learning rates PyTorch's
//! schedulers produce over 41 steps (`reference_values.rs`), to 1e-12 relative.

use super::reference_values::CASES;
use super::*;
use crate::optim::{Adam, Sgd};

/// The schedule `tools/reference/schedules.py` names `name`, built with kiln's constructors.
fn build(name: &str) -> Result<Box<dyn LrSchedule>> {
    Ok(match name {
        "step_decay" => Box::new(StepDecay::new(0.1, 7, 0.5)?),
        "multi_step" => Box::new(MultiStep::new(0.1, &[30, 5, 12, 12], 0.3)?),
        "inverse_time" => Box::new(InverseTime::new(0.2, 0.3)?),
        "exponential" => Box::new(Exponential::new(0.1, 0.9)?),
        "exponential_exp" => Box::new(ExponentialExp::new(0.1, 0.1)?),
        "cosine" => Box::new(Cosine::new(0.1, 40, 0.001)?),
        "warmup_cosine" => {
            Box::new(Warmup::new(5, Cosine::new(0.1, 36, 0.01)?)?.start_factor(0.25)?)
        }
        "warmup_step" => {
            Box::new(Warmup::new(4, StepDecay::new(0.05, 10, 0.5)?)?.start_factor(0.1)?)
        }
        "triangular" => Box::new(Triangular::new(0.01, 0.1, 6)?),
        "sgdr" => Box::new(Sgdr::new(0.1, 0.001, 5, 2)?),
        "sgdr_constant_period" => Box::new(Sgdr::new(0.1, 0.0, 7, 1)?),
        other => panic!("reference case {other:?} has no kiln schedule"),
    })
}

#[test]
fn every_schedule_matches_pytorch() {
    assert_eq!(CASES.len(), 11);
    for (name, want) in CASES {
        let s = build(name).unwrap();
        for (k, &w) in want.iter().enumerate() {
            let got = s.lr_at(k as u64);
            let err = (got - w).abs() / w.abs().max(1e-300);
            assert!(
                err <= 1e-12,
                "{name} k = {k}: kiln {got} vs PyTorch {w} (relative error {err:e})"
            );
        }
    }
}

#[test]
fn reference_sequences_are_not_trivial() {
    // Each PyTorch sequence changes, so a constant schedule could not pass.
    for (name, want) in CASES {
        assert!(want.iter().any(|&x| x != want[0]), "{name} is constant");
    }
}

#[test]
fn cosine_holds_its_minimum_where_pytorch_climbs_back() {
    let s = Cosine::new(0.1, 40, 0.001).unwrap();
    assert_eq!(s.lr_at(41), 0.001);
    assert_eq!(s.lr_at(80), 0.001);
}

#[test]
fn apply_sets_the_optimisers_learning_rate() {
    let s = Exponential::new(0.5, 0.5).unwrap();
    let mut opt = Sgd::<f64>::new(0.0).unwrap();
    assert_eq!(apply(&s, &mut opt, 2).unwrap(), 0.125);
    assert_eq!(crate::optim::Optimizer::<f64>::learning_rate(&opt), 0.125);
    let boxed: Box<dyn LrSchedule> = Box::new(s);
    let mut adam = Adam::<f32>::new(1e-3).unwrap();
    apply(&boxed, &mut adam, 1).unwrap();
    assert_eq!(crate::optim::Optimizer::<f32>::learning_rate(&adam), 0.25);
}
