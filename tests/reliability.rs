//! Training guards and determinism: a step whose loss or gradient is NaN/infinite is refused
//! with an error naming the step and the tensor, and changes nothing; the same seed gives
//! bit-identical weights.

use kiln::data::digits;
use kiln::prelude::*;
use kiln::runtime::network::train_step;
use kiln::runtime::optim::{Adam, Sgd};
use kiln::train::{Fit, TrainError};

network! {
    /// Two bias-free maps: scaled inputs make the first weight's gradient overflow in f32
    /// while the loss stays finite.
    struct Overflow {
        input: [2],
        layers: [dense(2, bias = false), tanh, dense(2, bias = false)],
        loss: mse,
    }
}

network! {
    struct Mlp {
        input: [64],
        layers: [dense(32), relu, dropout(0.3), dense(10)],
        loss: softmax_cross_entropy,
    }
}

fn params<N: Network<f32>>(net: &N) -> Vec<f32> {
    let mut w = Vec::new();
    net.visit_params(&mut |_, _, v| w.extend_from_slice(v));
    w
}

/// `Overflow` with weights that keep the forward small for inputs near f32's maximum.
fn overflow_net() -> Overflow<f32> {
    let mut net = Overflow::<f32>::new(&mut seeded(1));
    // The two inputs cancel in the first layer (z = 0, tanh' = 1), the target is far, so
    // dL/dz is about 10 and dL/dW1 = dz x overflows; the loss is 100.
    net.visit_params_mut(&mut |name, _, v| {
        let w = if name == "layers.0.weight" {
            [1e-38; 4]
        } else {
            [1.0, 0.0, 0.0, 1.0]
        };
        v.copy_from_slice(&w);
    });
    net
}

#[test]
fn a_non_finite_gradient_is_refused_and_changes_nothing() {
    let x = [[3e38f32, -3e38]];
    let y = [[10.0f32, 10.0]];
    let mut net = overflow_net();
    let mut opt = Adam::new(0.01).unwrap();
    let mut state = net.train_state(0);
    // The guard is on by default: no call needed.
    // One good step first (zero input: the first weight does not move), so the failing one
    // is step 2.
    train_step(&mut net, &[0.0, 0.0], &[0.0, 0.0], &mut opt, &mut state).unwrap();
    let before = params(&net);
    let err = net.train_step(&x, &y, &mut opt, &mut state).unwrap_err();
    assert!(
        matches!(
            err,
            KilnError::NonFiniteGradient {
                step: 2,
                tensor: "layers.0.weight",
                ..
            }
        ),
        "{err}"
    );
    assert!(err
        .to_string()
        .contains("training step 2: the gradient of `layers.0.weight`"));
    assert_eq!(params(&net), before, "no parameter moved");
    assert_eq!(
        opt.steps(),
        1,
        "the optimiser did not count the refused step"
    );

    // With the guard turned off the same step goes through and poisons the weights.
    let mut unguarded = overflow_net();
    let mut state = unguarded.train_state(0);
    state.set_check_finite(false);
    unguarded
        .train_step(&x, &y, &mut Sgd::new(0.1).unwrap(), &mut state)
        .unwrap();
    assert!(params(&unguarded).iter().any(|v| !v.is_finite()));
}

#[test]
fn a_non_finite_loss_is_refused() {
    let mut net = Mlp::<f32>::new(&mut seeded(2));
    let mut opt = Sgd::new(0.1).unwrap();
    let mut state = net.train_state(0);
    state.set_check_finite(true);
    let mut x = [[0.5f32; 64]; 2];
    x[1][7] = f32::NAN;
    let before = params(&net);
    let err = net
        .train_step(&x, &[1, 2], &mut opt, &mut state)
        .unwrap_err();
    assert!(
        matches!(err, KilnError::NonFiniteLoss { step: 1, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("training step 1: the loss is NaN"));
    assert_eq!(params(&net), before);
}

#[test]
fn the_trainer_guards_by_default() {
    let data = kiln::data::Dataset {
        features: vec![3.4e38, -3.4e38, 3.4e38, -3.4e38],
        labels: vec![0, 1],
        width: 2,
    };
    network! {
        struct Tiny {
            input: [2],
            layers: [dense(2, bias = false), tanh, dense(2, bias = false)],
            loss: softmax_cross_entropy,
        }
    }
    // As above: z = 0, dL/dz = W2^T (p - onehot) = +-4, dL/dW1 = dz x overflows.
    let mut net = Tiny::<f32>::new(&mut seeded(1));
    net.visit_params_mut(&mut |name, _, v| {
        let w = if name == "layers.0.weight" {
            [1e-38; 4]
        } else {
            [4.0, -4.0, -4.0, 4.0]
        };
        v.copy_from_slice(&w);
    });
    let before = params(&net);
    let err = Fit::new(1, 1)
        .unwrap()
        .quiet()
        .run(&mut net, &mut Sgd::new(0.1).unwrap(), &data, None)
        .unwrap_err();
    let TrainError::Kiln(KilnError::NonFiniteGradient { tensor, .. }) = &err else {
        panic!("expected a gradient error, got {err}");
    };
    assert_eq!(*tensor, "layers.0.weight");
    assert!(err.to_string().contains("training step 1"), "{err}");
    assert_eq!(
        params(&net),
        before,
        "the refused first step changed nothing"
    );
}

/// Weights after three epochs of `Fit` on the digits with this run seed.
fn trained(data: &kiln::data::Dataset, seed: u64) -> Vec<f32> {
    let mut net = Mlp::<f32>::new(&mut seeded(7));
    Fit::new(3, 32)
        .unwrap()
        .seed(seed)
        .quiet()
        .run(&mut net, &mut Adam::new(0.01).unwrap(), data, None)
        .unwrap();
    params(&net)
}

#[test]
fn the_same_seed_gives_bit_identical_weights() {
    let mut data = digits().unwrap();
    data.scale(1.0 / 16.0);
    let (a, b) = (trained(&data, 7), trained(&data, 7));
    assert_eq!(a.len(), b.len());
    assert!(a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()));
    // A different seed gives a different run (the test can fail).
    assert_ne!(trained(&data, 8), a);
}
