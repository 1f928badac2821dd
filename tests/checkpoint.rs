//! Checkpoints: safetensors files with PyTorch names and shapes, written atomically, read
//! back exactly (weights, batch-norm statistics, optimiser state), and rejected with every
//! difference listed when they do not fit.

use std::path::PathBuf;

use kiln::checkpoint::{
    load_training, load_weights, load_weights_from_bytes, save_training, save_weights,
    CheckpointError, Mismatch,
};
use kiln::prelude::*;
use kiln::runtime::network::train_step;
use kiln::runtime::optim::{Adam, NAdam};
use kiln::runtime::rng::uniform;

network! {
    /// Dense layers, batch norm (buffers) and PReLU.
    struct Small {
        input: [6],
        layers: [dense(8), batch_norm, relu, dense(8 -> 5), prelu(per_feature), dense(3)],
        loss: softmax_cross_entropy,
    }
}

network! {
    /// `Small` with one layer wider, one without bias and one more layer.
    struct Other {
        input: [6],
        layers: [dense(9), batch_norm, relu, dense(5, bias = false), prelu(per_feature), dense(3), tanh, dense(3)],
        loss: softmax_cross_entropy,
    }
}

network! {
    /// Composites and recurrent layers, for the names and shapes of `TENSORS`.
    struct Composite {
        input: [4],
        layers: [
            dense(6), tanh,
            residual { dense(6), tanh, dense(6) },
            concat { [dense(3), tanh], [], [dense(2)], [dense(1), dense(2)] },
            maxout(4, pieces = 3),
            layer_norm,
            dense(2),
        ],
        loss: mse,
    }
}

network! {
    struct Recurrent {
        input: [seq, 1],
        layers: [embedding(7, 3), bidirectional(lstm(4), lstm(4)), bidirectional(gru(3), rnn(2)), dense(7)],
        loss: softmax_cross_entropy,
    }
}

network! {
    struct Conv {
        input: [2, 6, 6],
        layers: [conv2d(3, 3, padding = same), batch_norm2d, relu, max_pool2d(2), flatten, dense(2)],
        loss: softmax_cross_entropy,
    }
}

/// A fresh folder under the system's temporary directory.
fn scratch_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("kiln-ckpt-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn weights<T: Float, N: Network<T>>(net: &mut N) -> Vec<(String, Vec<T>)> {
    let mut w = Vec::new();
    net.visit_params(&mut |n, _, v| w.push((n.to_string(), v.to_vec())));
    net.visit_buffers_mut(&mut |n, v| w.push((n.to_string(), v.to_vec())));
    w
}

/// A few training steps, so batch-norm statistics and every weight move off their init.
fn trained<N: Network<f32, Loss = kiln::runtime::loss::SoftmaxCrossEntropy>>(
    mut net: N,
    opt: &mut dyn Optimizer<f32>,
) -> N {
    let mut rng = seeded(7);
    let x: Vec<f32> = (0..8 * N::INPUT)
        .map(|_| uniform(&mut rng, -1.0, 1.0))
        .collect();
    let y: Vec<usize> = (0..8).map(|i| i % N::OUTPUT).collect();
    let mut t = net.new_train(1);
    for _ in 0..3 {
        train_step(&mut net, &x, &y, opt, &mut t).unwrap();
    }
    net
}

#[test]
fn tensors_carry_pytorch_names_and_shapes() {
    let specs = |t: &[kiln::runtime::network::TensorSpec]| {
        t.iter()
            .map(|t| {
                format!(
                    "{}{:?}{}",
                    t.name,
                    t.shape,
                    if t.buffer { " buffer" } else { "" }
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(
        specs(Small::<f32>::TENSORS),
        [
            "layers.0.weight[8, 6]",
            "layers.0.bias[8]",
            "layers.1.weight[8]",
            "layers.1.bias[8]",
            "layers.1.running_mean[8] buffer",
            "layers.1.running_var[8] buffer",
            "layers.1.num_batches_tracked[] buffer",
            "layers.3.weight[5, 8]",
            "layers.3.bias[5]",
            "layers.4.weight[5]",
            "layers.5.weight[3, 5]",
            "layers.5.bias[3]",
        ]
    );
    assert_eq!(
        specs(Conv::<f32>::TENSORS)[..2],
        ["layers.0.weight[3, 2, 3, 3]", "layers.0.bias[3]"]
    );
    assert_eq!(
        specs(Recurrent::<f32>::TENSORS),
        [
            "layers.0.weight[7, 3]",
            "layers.1.weight_ih_l0[16, 3]",
            "layers.1.weight_hh_l0[16, 4]",
            "layers.1.bias_ih_l0[16]",
            "layers.1.bias_hh_l0[16]",
            "layers.1.weight_ih_l0_reverse[16, 3]",
            "layers.1.weight_hh_l0_reverse[16, 4]",
            "layers.1.bias_ih_l0_reverse[16]",
            "layers.1.bias_hh_l0_reverse[16]",
            "layers.2.0.weight_ih_l0[9, 8]",
            "layers.2.0.weight_hh_l0[9, 3]",
            "layers.2.0.bias_ih_l0[9]",
            "layers.2.0.bias_hh_l0[9]",
            "layers.2.1.weight_ih_l0[2, 8]",
            "layers.2.1.weight_hh_l0[2, 2]",
            "layers.2.1.bias_ih_l0[2]",
            "layers.2.1.bias_hh_l0[2]",
            "layers.3.weight[7, 5]",
            "layers.3.bias[7]",
        ]
    );
    // Every network: the macro's list and the runtime's visitors agree name for name.
    fn agree<N: Network<f64>>(mut net: N) {
        kiln::runtime::network::check_tensors(&net).unwrap();
        let (mut mutable, mut read_only) = (Vec::new(), Vec::new());
        net.visit_buffers_mut(&mut |n, v| mutable.push((n.to_string(), v.len())));
        net.visit_buffers(&mut |n, v| read_only.push((n.to_string(), v.len())));
        assert_eq!(mutable, read_only);
    }
    let rng = &mut seeded(1);
    agree(Small::<f64>::new(rng));
    agree(Other::<f64>::new(rng));
    agree(Composite::<f64>::new(rng));
    agree(Recurrent::<f64>::new(rng));
    agree(Conv::<f64>::new(rng));
    // Names as the nn.Sequential / nn.ModuleList a PyTorch user writes for the declaration:
    // a fused activation keeps its position (`main.0`, `main.2`), concat branch k is `.k`.
    let names: Vec<_> = Composite::<f64>::TENSORS
        .iter()
        .map(|t| t.name)
        .filter(|n| n.ends_with("weight"))
        .collect();
    assert_eq!(
        names,
        [
            "layers.0.weight",
            "layers.2.main.0.weight",
            "layers.2.main.2.weight",
            "layers.3.0.0.weight",
            "layers.3.2.0.weight",
            "layers.3.3.0.weight",
            "layers.3.3.1.weight",
            "layers.4.weight",
            "layers.5.weight",
            "layers.6.weight",
        ]
    );
}

#[test]
fn weights_round_trip_exactly_and_files_are_replaced_atomically() {
    let dir = scratch_dir("roundtrip");
    let path = dir.join("nested/small.safetensors");
    let mut a = trained(
        Small::<f32>::new(&mut seeded(1)),
        &mut Adam::new(0.01).unwrap(),
    );
    save_weights(&a, &path).unwrap();
    let mut b = Small::<f32>::new(&mut seeded(2));
    assert_ne!(weights(&mut a), weights(&mut b));
    load_weights(&mut b, &path).unwrap();
    assert_eq!(weights(&mut a), weights(&mut b));
    let x = [[0.3f32, -0.2, 0.5, 0.1, -0.7, 0.9]];
    let (mut ya, mut yb) = ([[0.0f32; 3]], [[0.0f32; 3]]);
    a.forward(&x, &mut ya, &mut a.scratch()).unwrap();
    b.forward(&x, &mut yb, &mut b.scratch()).unwrap();
    assert_eq!(ya, yb);

    // Overwriting leaves exactly the one file: no temporary is left behind.
    save_weights(&b, &path).unwrap();
    let files: Vec<_> = std::fs::read_dir(dir.join("nested"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(files, ["small.safetensors"]);

    // f32 file into an f64 network: converted exactly.
    let mut c = Small::<f64>::new(&mut seeded(3));
    load_weights(&mut c, &path).unwrap();
    let (wa, wc) = (weights(&mut a), weights(&mut c));
    for ((na, va), (nc, vc)) in wa.iter().zip(&wc) {
        assert_eq!(na, nc);
        assert!(va.iter().zip(vc).all(|(x, y)| *x as f64 == *y));
    }
}

#[test]
fn a_file_that_does_not_fit_lists_every_difference_and_changes_nothing() {
    let dir = scratch_dir("mismatch");
    let path = dir.join("small.safetensors");
    save_weights(&Small::<f32>::new(&mut seeded(1)), &path).unwrap();
    let mut other = Other::<f32>::new(&mut seeded(2));
    let before = weights(&mut other);
    let err = load_weights(&mut other, &path).unwrap_err();
    let CheckpointError::Mismatch { file, mismatches } = &err else {
        panic!("expected a mismatch, got {err}");
    };
    assert!(file.ends_with("small.safetensors"));
    let shape = |name: &str, expected: &[usize], found: &[usize]| Mismatch::Shape {
        name: name.into(),
        expected: expected.to_vec(),
        found: found.to_vec(),
    };
    let want = [
        shape("layers.0.weight", &[9, 6], &[8, 6]),
        shape("layers.0.bias", &[9], &[8]),
        shape("layers.1.weight", &[9], &[8]),
        shape("layers.1.bias", &[9], &[8]),
        shape("layers.3.weight", &[5, 9], &[5, 8]),
        Mismatch::Missing {
            name: "layers.7.weight".into(),
            shape: vec![3, 3],
        },
        Mismatch::Missing {
            name: "layers.7.bias".into(),
            shape: vec![3],
        },
        shape("layers.1.running_mean", &[9], &[8]),
        shape("layers.1.running_var", &[9], &[8]),
        Mismatch::Unexpected {
            name: "layers.3.bias".into(),
            shape: vec![5],
        },
    ];
    for w in &want {
        assert!(mismatches.contains(w), "{w} not reported in:\n{err}");
    }
    assert_eq!(mismatches.len(), want.len(), "{err}");
    let msg = err.to_string();
    assert!(msg.contains("10 differences"), "{msg}");
    assert!(
        msg.contains("`layers.0.weight` has shape [8, 6] in the file, the network expects [9, 6]"),
        "{msg}"
    );
    assert!(msg.contains("missing `layers.7.weight`"), "{msg}");
    assert!(msg.contains("unexpected `layers.3.bias`"), "{msg}");
    assert_eq!(
        weights(&mut other),
        before,
        "a failed load must change nothing"
    );
}

#[test]
fn unreadable_files_and_non_finite_values_are_errors() {
    let dir = scratch_dir("bad");
    let missing = load_weights(
        &mut Small::<f32>::new(&mut seeded(1)),
        dir.join("none.safetensors"),
    );
    assert!(matches!(missing, Err(CheckpointError::Io { .. })));

    let path = dir.join("small.safetensors");
    let mut net = Small::<f32>::new(&mut seeded(1));
    save_weights(&net, &path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    for cut in [0, 7, 8, 40, bytes.len() - 1] {
        std::fs::write(&path, &bytes[..cut]).unwrap();
        let err = load_weights(&mut net, &path).unwrap_err();
        assert!(
            matches!(err, CheckpointError::Malformed { .. }),
            "cut at {cut}: {err}"
        );
        assert!(err.to_string().contains("small.safetensors"));
    }

    // The reader refuses a file holding a NaN (written by another tool: kiln's writer refuses).
    save_weights(&net, &path).unwrap();
    let mut bytes = std::fs::read(&path).unwrap();
    let at = {
        let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
        let data = st.tensor("layers.3.bias").unwrap().data().as_ptr();
        data as usize - bytes.as_ptr() as usize + 2 * 4
    };
    bytes[at..at + 4].copy_from_slice(&f32::NAN.to_le_bytes());
    std::fs::write(&path, &bytes).unwrap();
    let mut fresh = Small::<f32>::new(&mut seeded(2));
    let err = load_weights(&mut fresh, &path).unwrap_err().to_string();
    assert!(
        err.contains("`layers.3.bias` holds a NaN or infinity at element 2"),
        "{err}"
    );

    // The writer refuses non-finite weights and leaves the last good file as it was.
    save_weights(&net, &path).unwrap();
    let good = std::fs::read(&path).unwrap();
    net.visit_params_mut(&mut |name, _, v| {
        if name == "layers.3.bias" {
            v[2] = f32::INFINITY;
        }
    });
    let err = save_weights(&net, &path).unwrap_err();
    assert!(
        matches!(&err, CheckpointError::NonFinite { tensor, index: 2, .. } if tensor == "layers.3.bias"),
        "{err}"
    );
    assert_eq!(
        std::fs::read(&path).unwrap(),
        good,
        "the good file was replaced"
    );
}

#[test]
fn weights_load_from_bytes_in_memory_like_from_the_file() {
    let dir = scratch_dir("bytes");
    let path = dir.join("small.safetensors");
    let mut a = trained(
        Small::<f32>::new(&mut seeded(1)),
        &mut Adam::new(0.01).unwrap(),
    );
    save_weights(&a, &path).unwrap();
    let bytes = std::fs::read(&path).unwrap();

    let mut b = Small::<f32>::new(&mut seeded(2));
    load_weights_from_bytes(&mut b, "embedded", &bytes).unwrap();
    assert_eq!(weights(&mut a), weights(&mut b));
    let mut c = Small::<f64>::new(&mut seeded(3));
    load_weights_from_bytes(&mut c, "embedded", &bytes).unwrap();
    assert_eq!(weights(&mut c)[0].1[0], weights(&mut a)[0].1[0] as f64);

    // Errors name the bytes by the caller's name, and a failed load changes nothing.
    let mut fresh = Small::<f32>::new(&mut seeded(4));
    let before = weights(&mut fresh);
    let err =
        load_weights_from_bytes(&mut fresh, "weights.bin", &bytes[..bytes.len() / 2]).unwrap_err();
    assert!(matches!(err, CheckpointError::Malformed { .. }), "{err}");
    assert!(err.to_string().starts_with("weights.bin: "), "{err}");
    let mut other = Other::<f32>::new(&mut seeded(5));
    let err = load_weights_from_bytes(&mut other, "weights.bin", &bytes).unwrap_err();
    let CheckpointError::Mismatch { file, mismatches } = &err else {
        panic!("expected a mismatch, got {err}");
    };
    assert_eq!((file.as_str(), mismatches.len()), ("weights.bin", 10));
    assert_eq!(weights(&mut fresh), before);
}

#[test]
fn training_state_restores_so_the_next_steps_are_identical() {
    let dir = scratch_dir("training");
    let path = dir.join("run.safetensors");
    let mut rng = seeded(9);
    let x: Vec<f32> = (0..8 * 6).map(|_| uniform(&mut rng, -1.0, 1.0)).collect();
    let y: Vec<usize> = (0..8).map(|i| i % 3).collect();

    for nadam in [false, true] {
        let make = |lr: f64| -> Box<dyn Optimizer<f32>> {
            if nadam {
                Box::new(NAdam::new(lr).unwrap())
            } else {
                Box::new(Adam::new(lr).unwrap().amsgrad(true).unwrap())
            }
        };
        let mut opt_a = make(0.01);
        let mut a = trained(Small::<f32>::new(&mut seeded(1)), opt_a.as_mut());
        opt_a.set_learning_rate(0.003).unwrap();
        let meta = [("epoch".to_string(), "3".to_string())];
        save_training(&path, &a, opt_a.as_mut(), &[], &meta).unwrap();

        let mut b = Small::<f32>::new(&mut seeded(5));
        let mut opt_b = make(0.5);
        let grads = Small::<f32>::new(&mut seeded(6));
        let back = load_training(&path, &mut b, opt_b.as_mut(), &grads, &[]).unwrap();
        assert_eq!(back.get("epoch").map(String::as_str), Some("3"));
        assert_eq!(opt_b.steps(), 3);
        assert_eq!(opt_b.learning_rate(), 0.003);

        let (mut ta, mut tb) = (a.new_train(4), b.new_train(4));
        for _ in 0..3 {
            train_step(&mut a, &x, &y, opt_a.as_mut(), &mut ta).unwrap();
            train_step(&mut b, &x, &y, opt_b.as_mut(), &mut tb).unwrap();
        }
        assert_eq!(weights(&mut a), weights(&mut b), "nadam: {nadam}");
    }

    // A weights-only file has no optimiser state: resuming from it says so.
    save_weights(&Small::<f32>::new(&mut seeded(1)), &path).unwrap();
    let err = load_training(
        &path,
        &mut Small::<f32>::new(&mut seeded(1)),
        &mut Adam::new(0.1).unwrap(),
        &Small::<f32>::new(&mut seeded(1)),
        &[],
    )
    .unwrap_err();
    assert!(err.to_string().contains("kiln.optimizer.steps"), "{err}");

    // Metadata values out of any run's range are refused, not taken (a step count of
    // u64::MAX once wrapped on the next step).
    let mut net = Small::<f32>::new(&mut seeded(1));
    let mut opt = Adam::new(0.1).unwrap();
    let mut t = net.new_train(0);
    let (x, y) = ([0.5f32; 12], [1usize, 2]);
    kiln::runtime::network::train_step(&mut net, &x, &y, &mut opt, &mut t).unwrap();
    save_training(&path, &net, &mut opt, &[], &[]).unwrap();
    for (key, value, why) in [
        (
            "kiln.optimizer.steps",
            u64::MAX.to_string(),
            "beyond any run",
        ),
        (
            "kiln.optimizer.lr",
            "-1.0".to_string(),
            "not a learning rate",
        ),
    ] {
        let bytes = std::fs::read(&path).unwrap();
        let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
        let mut meta = kiln::checkpoint::read_metadata(&path).unwrap();
        meta.insert(key.into(), value);
        let bad = path.with_extension("bad.safetensors");
        safetensors::serialize_to_file(st.tensors(), Some(meta), &bad).unwrap();
        let err = load_training(
            &bad,
            &mut net,
            &mut Adam::new(0.1).unwrap(),
            &Small::<f32>::new(&mut seeded(1)),
            &[],
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains(key) && err.contains(why), "{err}");
    }
}

#[test]
fn identical_saves_write_identical_bytes() {
    // The metadata is a hash map; its order must not reach the file (hash-comparable runs).
    let dir = scratch_dir("deterministic");
    let net = Small::<f32>::new(&mut seeded(1));
    let mut opt = Adam::new(0.1).unwrap();
    let meta: Vec<(String, String)> = (0..24)
        .map(|i| (format!("key{i}"), format!("value {i}")))
        .collect();
    let mut files = Vec::new();
    for k in 0..4 {
        let path = dir.join(format!("run{k}.safetensors"));
        save_training(&path, &net, &mut opt, &[], &meta).unwrap();
        files.push(std::fs::read(&path).unwrap());
    }
    assert!(files.windows(2).all(|w| w[0] == w[1]));
    // And the file still reads back with every key.
    let back = kiln::checkpoint::read_metadata(dir.join("run0.safetensors")).unwrap();
    assert_eq!(back["key23"], "value 23");
}
