//! User-written layers in declarations: a type implementing `Layer` and `CustomLayer`
//! (the example's `GatedLinear`) used like a built-in layer, alone, inside `residual { }`, in a
//! block whose parameter sets its size, and per step in a sequence network. Checked: its
//! tensors in `TENSORS` under PyTorch's names, PyTorch parity of the whole network (f64),
//! gradcheck, checkpoints and training.

#[path = "../examples/custom_layer/gated_linear.rs"]
mod gated_linear;
#[path = "fixtures/torch_custom_layer.rs"]
mod torch;
#[path = "support/torch_params.rs"]
mod torch_params;

use gated_linear::GatedLinear;
use kiln::prelude::*;
use kiln::runtime::network::check_tensors;
use kiln::runtime::rng::uniform;
use torch_params::assert_close;

network! {
    /// PyTorch's model in `tools/reference/custom_layer.py`.
    struct Gated {
        input: [5],
        layers: [GatedLinear<5, 3> -> [3], tanh, dense(2)],
        loss: softmax_cross_entropy,
    }
}

network! {
    block gated(n) { GatedLinear<n, n>, tanh }
    /// Inside a residual, and in a block whose parameter is the type's size.
    struct Composite {
        input: [6],
        layers: [
            residual { GatedLinear<6, 6>, dense(6) },
            gated(6),
            dense(3),
        ],
        loss: softmax_cross_entropy,
    }
}

network! {
    /// Per step after an LSTM: the custom layer sees steps x sequences rows.
    struct Tagger {
        input: [seq, 3],
        layers: [lstm(6), GatedLinear<6, 4> -> [4], dense(2)],
        output: [seq, 2],
        loss: softmax_cross_entropy,
    }
}

fn inputs(n: usize, seed: u64) -> Vec<f64> {
    let mut rng = seeded(seed);
    (0..n).map(|_| uniform(&mut rng, -1.0, 1.0)).collect()
}

fn names<N: Network<f64>>() -> Vec<(&'static str, Vec<usize>)> {
    N::TENSORS
        .iter()
        .map(|t| (t.name, t.shape.to_vec()))
        .collect()
}

#[test]
fn custom_tensors_are_listed_under_pytorch_names() {
    assert_eq!(
        names::<Gated<f64>>(),
        [
            ("layers.0.weight", vec![6, 5]),
            ("layers.0.bias", vec![6]),
            ("layers.2.weight", vec![2, 3]),
            ("layers.2.bias", vec![2]),
        ]
    );
    let composite = names::<Composite<f64>>();
    assert!(
        composite.contains(&("layers.0.main.0.weight", vec![12, 6])),
        "{composite:?}"
    );
    assert!(
        composite.contains(&("layers.1.0.weight", vec![12, 6])),
        "{composite:?}"
    );
    check_tensors(&Gated::<f64>::new(&mut seeded(1))).unwrap();
    check_tensors(&Composite::<f64>::new(&mut seeded(1))).unwrap();
    check_tensors(&Tagger::<f64>::new(&mut seeded(1))).unwrap();
}

#[test]
fn custom_layer_network_matches_pytorch() {
    let mut net = Gated::<f64>::new(&mut seeded(1));
    assert_eq!(torch::PARAMS.len(), 4);
    torch_params::load(&mut net, torch::PARAMS);
    let mut t = net.new_train(0);
    net.forward_train_flat(&torch::X, &mut t).unwrap();
    let (out, d) = Gated::<f64>::output_and_grad(&mut t);
    assert_close(out, &torch::LOGITS, "logits");
    let loss = net
        .loss_fn()
        .loss_and_grad(out, 2, &torch::LABELS, d)
        .unwrap();
    assert!(
        (loss - torch::LOSS).abs() < 1e-12,
        "{loss} vs {}",
        torch::LOSS
    );
    let mut dx = vec![0.0; torch::X.len()];
    net.backward_flat(&torch::X, &mut t, Some(&mut dx)).unwrap();
    assert_close(&dx, &torch::DX, "dL/dx");
    torch_params::assert_grads::<Gated<f64>>(&t, torch::PARAMS);
}

#[test]
fn custom_layers_match_finite_differences_in_every_position() {
    let r = gradcheck(
        &mut Gated::<f64>::new(&mut seeded(2)),
        &inputs(4 * 5, 3),
        &[0, 1, 1, 0],
        Default::default(),
    )
    .unwrap();
    assert!(r.max_rel_error <= 1e-6 && r.checked > 40, "alone: {r:?}");
    let r = gradcheck(
        &mut Composite::<f64>::new(&mut seeded(4)),
        &inputs(3 * 6, 5),
        &[2, 0, 1],
        Default::default(),
    )
    .unwrap();
    assert!(
        r.max_rel_error <= 1e-6 && r.checked > 200,
        "composite: {r:?}"
    );
    let r = gradcheck(
        &mut Tagger::<f64>::new(&mut seeded(6)),
        &inputs(4 * 2 * 3, 7),
        &[0, 1, 1, 0, 1, 1, 0, 0],
        GradcheckConfig {
            steps: 4,
            ..Default::default()
        },
    )
    .unwrap();
    assert!(
        r.max_rel_error <= 1e-6 && r.checked > 100,
        "per step: {r:?}"
    );
}

#[test]
fn custom_layers_train_and_round_trip_through_checkpoints() {
    let mut net = Composite::<f64>::new(&mut seeded(8));
    let x = inputs(16 * 6, 9);
    let labels: Vec<usize> = (0..16).map(|i| i % 3).collect();
    let xs = x.as_chunks::<6>().0;
    let mut opt = kiln::runtime::optim::Adam::new(0.02).unwrap();
    let mut t = net.train_state(1);
    let before = net.eval_loss(xs, &labels, &mut net.scratch()).unwrap();
    for _ in 0..150 {
        net.train_step(xs, &labels, &mut opt, &mut t).unwrap();
    }
    let after = net.eval_loss(xs, &labels, &mut net.scratch()).unwrap();
    assert!(
        after < before * 0.3,
        "loss fell from {before} to {after} only"
    );

    let dir = std::env::temp_dir().join(format!("kiln-custom-layer-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("composite.safetensors");
    kiln::checkpoint::save_weights(&net, &path).unwrap();
    let mut back = Composite::<f64>::new(&mut seeded(99));
    kiln::checkpoint::load_weights(&mut back, &path).unwrap();
    let mut a = Vec::new();
    net.visit_params(&mut |_, _, v| a.extend_from_slice(v));
    let mut b = Vec::new();
    back.visit_params(&mut |_, _, v| b.extend_from_slice(v));
    assert_eq!(a, b);
    std::fs::remove_dir_all(&dir).ok();
}
