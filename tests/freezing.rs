//! Fine-tuning with frozen parameters: frozen tensors come out of training bit-identical, get
//! no optimiser state (in memory or in checkpoints), the frozen layers at the front get no
//! backward pass at all, and a frozen run resumes exactly.

use std::path::PathBuf;

use kiln::checkpoint::{load_weights, save_weights};
use kiln::data::{digits, Dataset};
use kiln::prelude::*;
use kiln::runtime::network::train_step;
use kiln::runtime::optim::Adam;
use kiln::train::{Fit, TrainError};

network! {
    struct Mlp {
        input: [64],
        layers: [dense(32), relu, dense(32), relu, dense(10)],
        loss: softmax_cross_entropy,
    }
}

fn scratch_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("kiln-freeze-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn data() -> (Dataset, Dataset) {
    let mut d = digits().unwrap();
    d.scale(1.0 / 16.0);
    d.split(0.8, 3).unwrap()
}

/// Every parameter tensor by name.
fn tensors(net: &Mlp<f32>) -> Vec<(String, Vec<f32>)> {
    let mut v = Vec::new();
    net.visit_params(&mut |n, _, w| v.push((n.to_string(), w.to_vec())));
    v
}

fn changed(before: &[(String, Vec<f32>)], after: &[(String, Vec<f32>)]) -> Vec<String> {
    before
        .iter()
        .zip(after)
        .filter(|(a, b)| a.1 != b.1)
        .map(|(a, _)| a.0.clone())
        .collect()
}

#[test]
fn fine_tuning_the_head_keeps_the_feature_extractor_bit_identical() {
    let dir = scratch_dir("head");
    let (train, val) = data();
    // A trained feature extractor...
    let mut net = Mlp::<f32>::new(&mut seeded(1));
    Fit::new(4, 32)
        .unwrap()
        .quiet()
        .run(&mut net, &mut Adam::new(0.01).unwrap(), &train, None)
        .unwrap();
    save_weights(&net, dir.join("pretrained.safetensors")).unwrap();
    // ... loaded into a fresh network, whose head alone is trained.
    let mut tuned = Mlp::<f32>::new(&mut seeded(7));
    load_weights(&mut tuned, dir.join("pretrained.safetensors")).unwrap();
    let before = tensors(&tuned);
    let mut opt = Adam::new(0.01).unwrap();
    let h = Fit::new(3, 32)
        .unwrap()
        .freeze(&["layers.0", "layers.2"])
        .checkpoint(dir.join("tuned.safetensors"))
        .quiet()
        .run(&mut tuned, &mut opt, &train, Some(&val))
        .unwrap();
    assert_eq!(
        changed(&before, &tensors(&tuned)),
        ["layers.4.weight", "layers.4.bias"]
    );
    let acc = h.last().unwrap().val.as_ref().unwrap().accuracy.unwrap();
    assert!(acc > 0.9, "fine-tuned accuracy {acc}");
    // The optimiser keeps state for the head only, and so does the checkpoint.
    let mut names = Vec::new();
    opt.visit_state(&mut |n, _| names.push(n.to_string()));
    assert_eq!(
        names.len(),
        2 * 2,
        "Adam's two moments of two tensors: {names:?}"
    );
    let file = std::fs::read(dir.join("tuned.safetensors")).unwrap();
    let st = safetensors::SafeTensors::deserialize(&file).unwrap();
    let mut opt_names: Vec<String> = st
        .names()
        .into_iter()
        .filter(|n| n.starts_with("optimizer."))
        .map(String::from)
        .collect();
    opt_names.sort();
    assert_eq!(
        opt_names,
        [
            "optimizer.layers.4.bias.exp_avg",
            "optimizer.layers.4.bias.exp_avg_sq",
            "optimizer.layers.4.weight.exp_avg",
            "optimizer.layers.4.weight.exp_avg_sq"
        ]
    );
}

#[test]
fn frozen_front_layers_get_no_backward_pass() {
    let (train, _) = data();
    let x = &train.rows::<64>().unwrap()[..32];
    let y = &train.labels[..32];
    let mut net = Mlp::<f32>::new(&mut seeded(2));
    let mut t = net.train_state(0);
    assert_eq!(t.freeze("layers.0").unwrap(), 2);
    assert_eq!(t.frozen(), ["layers.0.weight", "layers.0.bias"]);
    let mut opt = Adam::new(0.01).unwrap();
    let before = tensors(&net);
    for _ in 0..3 {
        train_step(&mut net, x.as_flattened(), y, &mut opt, &mut t).unwrap();
    }
    assert_eq!(
        changed(&before, &tensors(&net)),
        [
            "layers.2.weight",
            "layers.2.bias",
            "layers.4.weight",
            "layers.4.bias"
        ]
    );
    // The first layer's gradients were never computed (still the zeros they started as):
    // its backward, and the delta into it, were skipped.
    let mut grads = Vec::new();
    Mlp::<f32>::visit_grads(&t, &mut |n, _, g| {
        grads.push((n.to_string(), g.iter().any(|&v| v != 0.0)))
    });
    assert_eq!(
        grads,
        [
            ("layers.0.weight".to_string(), false),
            ("layers.0.bias".to_string(), false),
            ("layers.2.weight".to_string(), true),
            ("layers.2.bias".to_string(), true),
            ("layers.4.weight".to_string(), true),
            ("layers.4.bias".to_string(), true),
        ]
    );
    // A caller asking for dL/dx still gets it, through the frozen layer.
    let mut dx = vec![[0.0f32; 64]; 32];
    net.forward_train(x, &mut t).unwrap();
    t.output_grad_mut().fill([0.1; 10]);
    net.backward(x, &mut t, Some(&mut dx)).unwrap();
    assert!(dx.as_flattened().iter().any(|&v| v != 0.0));
}

#[test]
fn a_frozen_middle_layer_keeps_its_values_and_the_rest_trains() {
    let (train, _) = data();
    let x = &train.rows::<64>().unwrap()[..32];
    let y = &train.labels[..32];
    let mut net = Mlp::<f32>::new(&mut seeded(3));
    let mut t = net.train_state(0);
    t.freeze("layers.2.weight").unwrap();
    let before = tensors(&net);
    let mut opt = Adam::new(0.01).unwrap();
    for _ in 0..3 {
        train_step(&mut net, x.as_flattened(), y, &mut opt, &mut t).unwrap();
    }
    let moved = changed(&before, &tensors(&net));
    assert_eq!(
        moved,
        [
            "layers.0.weight",
            "layers.0.bias",
            "layers.2.bias",
            "layers.4.weight",
            "layers.4.bias"
        ]
    );
    // Unfreezing lets it train again (before the optimiser's state exists only).
    let net = Mlp::<f32>::new(&mut seeded(3));
    let mut t = net.train_state(0);
    t.freeze("layers.2").unwrap();
    assert_eq!(t.unfreeze("layers.2.bias").unwrap(), 1);
    assert_eq!(t.frozen(), ["layers.2.weight"]);
    t.unfreeze("layers.2").unwrap();
    assert!(t.frozen().is_empty());
}

#[test]
fn a_frozen_run_resumes_exactly_and_unknown_names_are_errors() {
    let dir = scratch_dir("resume");
    let (train, _) = data();
    let train = train.select(&(0..300).collect::<Vec<_>>());
    let fit = |epochs| {
        Fit::new(epochs, 32)
            .unwrap()
            .seed(4)
            .freeze(&["layers.0"])
            .checkpoint(dir.join("run.safetensors"))
            .quiet()
    };
    let mut a = Mlp::<f32>::new(&mut seeded(5));
    fit(4)
        .run(&mut a, &mut Adam::new(0.01).unwrap(), &train, None)
        .unwrap();
    let mut b = Mlp::<f32>::new(&mut seeded(5));
    let mut opt = Adam::new(0.01).unwrap();
    fit(2).run(&mut b, &mut opt, &train, None).unwrap();
    fit(4)
        .resume(dir.join("run.safetensors"))
        .run(&mut b, &mut opt, &train, None)
        .unwrap();
    assert_eq!(tensors(&a), tensors(&b));
    // Resuming with another frozen set would not repeat the run.
    let e = Fit::new(5, 32)
        .unwrap()
        .seed(4)
        .resume(dir.join("run.safetensors"))
        .quiet()
        .run(&mut b, &mut Adam::new(0.01).unwrap(), &train, None)
        .unwrap_err();
    assert!(e.to_string().contains("frozen tensors"), "{e}");

    let e = Fit::new(1, 32)
        .unwrap()
        .freeze(&["layers.1"])
        .quiet()
        .run(&mut b, &mut Adam::new(0.01).unwrap(), &train, None)
        .unwrap_err();
    assert!(matches!(e, TrainError::Kiln(_)), "{e}");
    assert!(
        e.to_string()
            .contains("no parameter tensor is named `layers.1`"),
        "{e}"
    );
    assert!(
        e.to_string().contains("layers.0, layers.2, layers.4"),
        "{e}"
    );
}
