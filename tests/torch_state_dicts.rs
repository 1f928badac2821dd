//! PyTorch state_dicts load into the matching declarations with no key remapping, give
//! PyTorch's outputs, and kiln writes them back under the same names, shapes and dtypes (so
//! `load_state_dict(strict=True)` takes kiln's file): a ResNet basic block with a projection
//! shortcut and batch norm (`num_batches_tracked` included), a 4-branch Inception block, a
//! dense block declared as a block, and two bidirectional LSTM layers whose directions have
//! different widths. The modules and files come from `tools/reference/state_dicts.py`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use kiln::checkpoint::{load_weights, save_weights};
use kiln::prelude::*;

#[path = "fixtures/torch_state_dicts.rs"]
mod torch;

network! {
    struct BasicBlock {
        input: [3, 8, 8],
        layers: [
            residual {
                conv2d(8, 3, 2, 1), batch_norm2d, relu,
                conv2d(8, 3, padding = 1), batch_norm2d,
            } shortcut { conv2d(8, 1, 2), batch_norm2d },
            relu,
            global_avg_pool,
            dense(4),
        ],
        loss: softmax_cross_entropy,
    }
}

network! {
    struct Inception {
        input: [4, 6, 6],
        layers: [
            concat {
                [conv2d(2, 1), relu],
                [conv2d(2, 1), relu, conv2d(3, 3, padding = 1), relu],
                [conv2d(1, 1), relu, conv2d(2, 5, padding = 2), relu],
                [max_pool2d(3, 1, 1), conv2d(2, 1), relu],
            },
            global_avg_pool,
            dense(3),
        ],
        loss: softmax_cross_entropy,
    }
}

network! {
    block dense_conv(g) { concat { [], [batch_norm2d, relu, conv2d(g, 3, padding = 1)] } }
    struct DenseBlock {
        input: [4, 5, 5],
        layers: [dense_conv(3), dense_conv(3), global_avg_pool, dense(3)],
        loss: softmax_cross_entropy,
    }
}

network! {
    struct BiLstm {
        input: [seq, 3],
        layers: [bidirectional(lstm(4), lstm(3)), bidirectional(lstm(2), lstm(5)), dense(2)],
        output: [seq, 2],
        loss: mse,
    }
}

fn file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(format!("tests/fixtures/state_dicts/{name}.safetensors"))
}

/// Name -> (shape, dtype) of every tensor in a safetensors file.
fn layout(path: &Path) -> BTreeMap<String, (Vec<usize>, String)> {
    let bytes = std::fs::read(path).unwrap();
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    st.tensors()
        .into_iter()
        .map(|(n, v)| (n, (v.shape().to_vec(), format!("{:?}", v.dtype()))))
        .collect()
}

/// The declaration's names are PyTorch's keys; the file loads as it is; kiln's own file has
/// PyTorch's names, shapes and dtypes.
fn loads_as_is<N: Network<f32>>(net: &mut N, name: &str, keys: &[&str]) {
    let mut ours: Vec<&str> = N::TENSORS.iter().map(|t| t.name).collect();
    let mut theirs = keys.to_vec();
    ours.sort_unstable();
    theirs.sort_unstable();
    assert_eq!(ours, theirs, "{name}");
    load_weights(net, file(name)).unwrap();
    let out =
        std::env::temp_dir().join(format!("kiln-sd-{name}-{}.safetensors", std::process::id()));
    save_weights(&*net, &out).unwrap();
    assert_eq!(
        layout(&out),
        layout(&file(name)),
        "{name}: kiln's file differs from PyTorch's"
    );
}

fn assert_close(got: &[f32], want: &[f32], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}");
    for (i, (a, b)) in got.iter().zip(want).enumerate() {
        assert!(
            (a - b).abs() <= 1e-5 * (1.0 + b.abs()),
            "{what}[{i}]: {a} vs {b}"
        );
    }
}

/// Every batch-norm step counter holds PyTorch's 3 training batches.
fn counters<N: Network<f32>>(net: &N) -> Vec<f32> {
    let mut c = Vec::new();
    net.visit_buffers(&mut |n, v| {
        if kiln::runtime::network::is_counter(n) {
            c.push(v[0]);
        }
    });
    c
}

#[test]
fn resnet_basic_block_with_batch_norm_loads_unmodified() {
    let mut net = BasicBlock::<f32>::new(&mut seeded(0));
    loads_as_is(&mut net, "basic_block", torch::BASIC_BLOCK_KEYS);
    assert_eq!(counters(&net), [3.0; 3]);
    let mut y = [[0.0f32; 4]; 2];
    net.forward(
        torch::BASIC_BLOCK_X.as_chunks::<192>().0,
        &mut y,
        &mut net.scratch(),
    )
    .unwrap();
    assert_close(y.as_flattened(), &torch::BASIC_BLOCK_Y, "basic block");
}

#[test]
fn inception_block_loads_unmodified() {
    let mut net = Inception::<f32>::new(&mut seeded(0));
    loads_as_is(&mut net, "inception", torch::INCEPTION_KEYS);
    let mut y = [[0.0f32; 3]; 2];
    net.forward(
        torch::INCEPTION_X.as_chunks::<144>().0,
        &mut y,
        &mut net.scratch(),
    )
    .unwrap();
    assert_close(y.as_flattened(), &torch::INCEPTION_Y, "inception");
}

#[test]
fn dense_block_loads_unmodified() {
    let mut net = DenseBlock::<f32>::new(&mut seeded(0));
    loads_as_is(&mut net, "dense_block", torch::DENSE_BLOCK_KEYS);
    assert_eq!(counters(&net), [3.0; 2]);
    let mut y = [[0.0f32; 3]; 2];
    net.forward(
        torch::DENSE_BLOCK_X.as_chunks::<100>().0,
        &mut y,
        &mut net.scratch(),
    )
    .unwrap();
    assert_close(y.as_flattened(), &torch::DENSE_BLOCK_Y, "dense block");
}

#[test]
fn bidirectional_lstm_of_different_widths_loads_unmodified() {
    let mut net = BiLstm::<f32>::new(&mut seeded(0));
    loads_as_is(&mut net, "bilstm", torch::BILSTM_KEYS);
    let mut y = [[0.0f32; 2]; 10];
    net.forward_seq(
        torch::BILSTM_X.as_chunks::<3>().0,
        5,
        &mut y,
        &mut net.scratch(),
    )
    .unwrap();
    assert_close(y.as_flattened(), &torch::BILSTM_Y, "bidirectional LSTM");
}

#[test]
fn a_file_without_step_counters_still_loads() {
    // PyTorch before 0.4.1 wrote no `num_batches_tracked`, and PyTorch loads such files with
    // the counters at 0; so does kiln.
    let net = BasicBlock::<f32>::new(&mut seeded(0));
    let bytes = std::fs::read(file("basic_block")).unwrap();
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let kept: Vec<(String, safetensors::tensor::TensorView)> = st
        .tensors()
        .into_iter()
        .filter(|(n, _)| !kiln::runtime::network::is_counter(n))
        .collect();
    let out = std::env::temp_dir().join(format!("kiln-sd-old-{}.safetensors", std::process::id()));
    safetensors::serialize_to_file(kept, None, &out).unwrap();
    let mut old = net;
    load_weights(&mut old, &out).unwrap();
    assert_eq!(counters(&old), [0.0; 3]);
}
