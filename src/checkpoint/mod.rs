//! Checkpoints in safetensors with PyTorch's parameter names (`layers.0.weight`, shapes as
//! `state_dict` holds them), so a file written here loads into the same model in PyTorch
//! (`tools/torch_load_checkpoint.py`) and back.
//!
//! - [`save_weights`] / [`load_weights`]: parameters and buffers (batch-norm statistics);
//!   [`load_weights_from_bytes`] reads the same format from memory.
//! - [`save_training`] / [`load_training`]: also the optimiser's state (moments, step count,
//!   learning rate) under `optimizer.<parameter>.<PyTorch state key>`, and caller metadata
//!   (the trainer's epoch and history), so training continues exactly where it stopped.
//!
//! Writes are atomic (temporary file, sync, rename). Loads are all-or-nothing: a file that
//! does not fit is an error listing every missing, unexpected, misshapen, unreadable or
//! non-finite tensor, and nothing is modified.

mod error;
pub(crate) mod file;

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use kiln_runtime::network::{is_counter, Network, TensorSpec, WithGrads};
use kiln_runtime::optim::Optimizer;
use kiln_runtime::Float;

pub use error::{CheckpointError, Mismatch};
use file::{check, copy_into, Entry, Reader};

/// Prefix of the optimiser's tensors in a training checkpoint.
const OPT: &str = "optimizer.";

/// Writes the network's parameters and buffers to `path`.
///
/// ```
/// use kiln::checkpoint::{load_weights, save_weights};
/// use kiln::prelude::*;
///
/// network! {
///     struct Small { input: [4], layers: [dense(8), relu, dense(3)], loss: softmax_cross_entropy }
/// }
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let dir = std::env::temp_dir().join(format!("kiln-doc-weights-{}", std::process::id()));
/// let path = dir.join("small.safetensors"); // the directory is created
/// let net = Small::<f32>::new(&mut seeded(1));
/// save_weights(&net, &path)?;
/// let mut loaded = Small::<f32>::new(&mut seeded(2)); // other initial values
/// load_weights(&mut loaded, &path)?; // every name and shape is checked
/// let x = [0.25f32; 4];
/// let y = net.forward_one(&x, &mut net.scratch());
/// assert_eq!(loaded.forward_one(&x, &mut loaded.scratch()), y);
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok(())
/// # }
/// ```
pub fn save_weights<T: Float, N: Network<T>>(
    net: &N,
    path: impl AsRef<Path>,
) -> Result<(), CheckpointError> {
    file::write_atomic(path.as_ref(), &model_entries(net), base_metadata::<T>())
}

/// [`save_weights`] with extra metadata entries (e.g. the data's scaling), which
/// [`read_metadata`] gives back.
pub fn save_weights_with<T: Float, N: Network<T>>(
    net: &N,
    path: impl AsRef<Path>,
    meta: &[(String, String)],
) -> Result<(), CheckpointError> {
    let mut metadata = base_metadata::<T>();
    metadata.extend(meta.iter().cloned());
    file::write_atomic(path.as_ref(), &model_entries(net), metadata)
}

/// The metadata of the checkpoint at `path` (kiln's own entries and any extra ones).
pub fn read_metadata(path: impl AsRef<Path>) -> Result<HashMap<String, String>, CheckpointError> {
    Reader::open(path.as_ref())?.metadata()
}

/// [`read_metadata`] of a checkpoint already in memory (`name` names it in errors).
pub fn metadata_from_bytes(
    name: &str,
    bytes: &[u8],
) -> Result<HashMap<String, String>, CheckpointError> {
    Reader::from_bytes(name.into(), Cow::Borrowed(bytes))?.metadata()
}

/// Reads parameters and buffers from `path` into `net`. Tensors may be stored as F64, F32,
/// F16 or BF16; the file's `optimizer.*` tensors, if any, are ignored. See [`save_weights`]
/// for an example.
pub fn load_weights<T: Float, N: Network<T>>(
    net: &mut N,
    path: impl AsRef<Path>,
) -> Result<(), CheckpointError> {
    apply_weights(net, Reader::open(path.as_ref())?)
}

/// Like [`load_weights`], from a checkpoint already in memory (weights embedded with
/// `include_bytes!`, fetched over the network, or held in a bundle); `name` stands for the
/// file in error messages.
pub fn load_weights_from_bytes<T: Float, N: Network<T>>(
    net: &mut N,
    name: &str,
    bytes: &[u8],
) -> Result<(), CheckpointError> {
    apply_weights(net, Reader::from_bytes(name.into(), Cow::Borrowed(bytes))?)
}

/// Checks the checkpoint's model tensors against `net`, then copies them in (all or nothing).
fn apply_weights<T: Float, N: Network<T>>(
    net: &mut N,
    reader: Reader<'_>,
) -> Result<(), CheckpointError> {
    let st = reader.tensors()?;
    let mismatches = check_model::<T, N>(&st);
    if !mismatches.is_empty() {
        return Err(CheckpointError::Mismatch {
            file: reader.file,
            mismatches,
        });
    }
    copy_model(net, &st);
    Ok(())
}

/// Writes the network, the optimiser's state and `meta` (string pairs the caller reads back
/// from [`load_training`]; keys starting `kiln.` are reserved). `frozen` is the training
/// state's frozen flags (`Network::frozen`; `&[]` when nothing is frozen), which decide the
/// parameter each optimiser state belongs to.
///
/// ```
/// use kiln::checkpoint::{load_training, save_training};
/// use kiln::prelude::*;
/// use kiln::runtime::optim::Adam;
///
/// network! {
///     struct Small { input: [4], layers: [dense(8), relu, dense(3)], loss: softmax_cross_entropy }
/// }
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let path = std::env::temp_dir().join(format!("kiln-doc-{}.safetensors", std::process::id()));
/// let mut net = Small::<f32>::new(&mut seeded(1));
/// let (mut opt, mut state) = (Adam::new(1e-2)?, net.train_state(0));
/// net.train_step(&[[0.5; 4], [-0.5; 4]], &[0, 2], &mut opt, &mut state)?;
/// save_training(&path, &net, &mut opt, &[], &[("epoch".into(), "1".into())])?;
///
/// let (mut net2, mut opt2) = (Small::<f32>::new(&mut seeded(2)), Adam::new(0.5)?);
/// let grads = Small::<f32>::new(&mut seeded(3)); // any network of the same type
/// let meta = load_training(&path, &mut net2, &mut opt2, &grads, &[])?;
/// assert_eq!(meta["epoch"], "1");
/// assert_eq!((opt2.steps(), opt2.learning_rate()), (1, 1e-2)); // Adam's moments came back too
/// # std::fs::remove_file(&path)?;
/// # Ok(())
/// # }
/// ```
pub fn save_training<T: Float, N: Network<T>>(
    path: impl AsRef<Path>,
    net: &N,
    opt: &mut dyn Optimizer<T>,
    frozen: &[bool],
    meta: &[(String, String)],
) -> Result<(), CheckpointError> {
    let mut entries = model_entries(net);
    let params = param_specs::<T, N>(frozen);
    opt.visit_state(&mut |name, v| {
        let (name, shape) = state_tensor(&params, name, v.len());
        entries.push(Entry::new(name, shape, v));
    });
    let mut metadata = base_metadata::<T>();
    metadata.insert("kiln.optimizer.steps".into(), opt.steps().to_string());
    metadata.insert(
        "kiln.optimizer.lr".into(),
        format!("{:?}", opt.learning_rate()),
    );
    opt.visit_scalars(&mut |name, v| {
        metadata.insert(format!("kiln.optimizer.scalar.{name}"), format!("{v:?}"));
    });
    for (k, v) in meta {
        metadata.insert(k.clone(), v.clone());
    }
    file::write_atomic(path.as_ref(), &entries, metadata)
}

/// Restores a [`save_training`] checkpoint into `net` and `opt` (built as for the original
/// run; `grads` is any network of the same type, e.g. the training state's gradients;
/// `frozen` the same flags as when it was saved) and returns the file's metadata.
/// All-or-nothing, like [`load_weights`]. See [`save_training`] for an example.
pub fn load_training<T: Float, N: Network<T>>(
    path: impl AsRef<Path>,
    net: &mut N,
    opt: &mut dyn Optimizer<T>,
    grads: &N,
    frozen: &[bool],
) -> Result<HashMap<String, String>, CheckpointError> {
    apply_training(Reader::open(path.as_ref())?, net, opt, grads, frozen)
}

/// Like [`load_training`], from a checkpoint already in memory; `name` stands for the file in
/// error messages.
pub fn load_training_from_bytes<T: Float, N: Network<T>>(
    name: &str,
    bytes: &[u8],
    net: &mut N,
    opt: &mut dyn Optimizer<T>,
    grads: &N,
    frozen: &[bool],
) -> Result<HashMap<String, String>, CheckpointError> {
    let reader = Reader::from_bytes(name.into(), Cow::Borrowed(bytes))?;
    apply_training(reader, net, opt, grads, frozen)
}

/// Checks a training checkpoint against `net` and `opt`, then restores both from it.
fn apply_training<T: Float, N: Network<T>>(
    reader: Reader<'_>,
    net: &mut N,
    opt: &mut dyn Optimizer<T>,
    grads: &N,
    frozen: &[bool],
) -> Result<HashMap<String, String>, CheckpointError> {
    let st = reader.tensors()?;
    let steps: u64 = reader.meta("kiln.optimizer.steps")?;
    let lr: f64 = reader.meta("kiln.optimizer.lr")?;
    // A step count beyond 2^53 cannot come from training (and would lose exactness in the
    // bias corrections, or wrap); a learning rate must be one an optimiser accepts.
    let bad = |key: &str, why: String| CheckpointError::Metadata {
        file: reader.file.clone(),
        key: key.into(),
        why,
    };
    if steps > 1 << 53 {
        return Err(bad(
            "kiln.optimizer.steps",
            format!("{steps} steps is beyond any run (at most 2^53)"),
        ));
    }
    if !(lr.is_finite() && lr >= 0.0) {
        return Err(bad(
            "kiln.optimizer.lr",
            format!("{lr} is not a learning rate"),
        ));
    }
    let metadata = reader.metadata()?;
    let mut mismatches = check_model::<T, N>(&st);

    // The optimiser's state as it exists after `init_state`, against the file's.
    let in_file: BTreeSet<&str> = st
        .names()
        .into_iter()
        .filter(|n| n.starts_with(OPT))
        .collect();
    let mut expected = Vec::new();
    if steps > 0 || !in_file.is_empty() {
        opt.init_state(&mut WithGrads {
            net: &mut *net,
            grads,
            frozen,
        })?;
        let params = param_specs::<T, N>(frozen);
        opt.visit_state(&mut |name, v| expected.push(state_tensor(&params, name, v.len())));
    }
    for (name, shape) in &expected {
        match st.tensor(name) {
            Ok(view) => check(name, &view, shape, &mut mismatches),
            Err(_) => mismatches.push(Mismatch::Missing {
                name: name.clone(),
                shape: shape.clone(),
            }),
        }
    }
    for name in in_file {
        if !expected.iter().any(|(n, _)| n == name) {
            mismatches.push(unexpected(&st, name));
        }
    }
    let mut scalars = Vec::new();
    opt.visit_scalars(&mut |name, _| scalars.push(format!("kiln.optimizer.scalar.{name}")));
    let scalars = scalars
        .iter()
        .map(|k| reader.meta::<f64>(k))
        .collect::<Result<Vec<_>, _>>()?;
    if !mismatches.is_empty() {
        return Err(CheckpointError::Mismatch {
            file: reader.file,
            mismatches,
        });
    }
    opt.set_learning_rate(lr)?;
    copy_model(net, &st);
    let params = param_specs::<T, N>(frozen);
    opt.visit_state(&mut |name, v| {
        let (name, _) = state_tensor(&params, name, v.len());
        copy_into(&st.tensor(&name).expect("checked above"), v);
    });
    opt.set_steps(steps);
    let mut it = scalars.into_iter();
    opt.visit_scalars(&mut |_, v| *v = it.next().expect("one value per scalar"));
    Ok(metadata)
}

/// Every tensor of the network, named and shaped by `N::TENSORS`.
fn model_entries<T: Float, N: Network<T>>(net: &N) -> Vec<Entry> {
    let mut entries = Vec::with_capacity(N::TENSORS.len());
    net.visit_params(&mut |name, _, v| {
        entries.push(Entry::new(name.into(), shape_of::<T, N>(name, v.len()), v))
    });
    net.visit_buffers(&mut |name, v| {
        entries.push(match is_counter(name) {
            true => Entry::counter(name.into(), v[0].to_f64()),
            false => Entry::new(name.into(), shape_of::<T, N>(name, v.len()), v),
        })
    });
    entries
}

/// The declared shape of tensor `name`; the macro's list and the runtime's visitors agree by
/// construction (tested for every model), so a miss is a bug in kiln.
fn shape_of<T: Float, N: Network<T>>(name: &str, len: usize) -> Vec<usize> {
    let spec = N::TENSORS
        .iter()
        .find(|t| t.name == name)
        .unwrap_or_else(|| panic!("kiln bug: `{name}` is visited but not declared in TENSORS"));
    assert_eq!(
        spec.numel(),
        len,
        "kiln bug: `{name}` has {len} values, TENSORS says {:?}",
        spec.shape
    );
    spec.shape.to_vec()
}

/// Checks every declared tensor against the file, and the file's other model tensors.
fn check_model<T: Float, N: Network<T>>(st: &safetensors::SafeTensors) -> Vec<Mismatch> {
    let mut out = Vec::new();
    for spec in N::TENSORS {
        match st.tensor(spec.name) {
            Ok(view) => check(spec.name, &view, spec.shape, &mut out),
            Err(_) if spec.is_counter() => {}
            Err(_) => out.push(Mismatch::Missing {
                name: spec.name.into(),
                shape: spec.shape.to_vec(),
            }),
        }
    }
    let mut names = st.names();
    names.sort_unstable();
    for name in names {
        if !name.starts_with(OPT) && !N::TENSORS.iter().any(|t| t.name == name) {
            out.push(unexpected(st, name));
        }
    }
    out
}

/// A tensor of the file that nothing in the network or optimiser takes.
fn unexpected(st: &safetensors::SafeTensors, name: &str) -> Mismatch {
    Mismatch::Unexpected {
        name: name.into(),
        shape: st
            .tensor(name)
            .map(|v| v.shape().to_vec())
            .unwrap_or_default(),
    }
}

/// Copies every (checked) model tensor of the file into the network.
fn copy_model<T: Float, N: Network<T>>(net: &mut N, st: &safetensors::SafeTensors) {
    let view = |name: &str| {
        st.tensor(name)
            .expect("tensors are checked before they are copied")
    };
    net.visit_params_mut(&mut |name, _, v| copy_into(&view(name), v));
    net.visit_buffers_mut(&mut |name, v| match st.tensor(name) {
        Ok(t) => copy_into(&t, v),
        // A step counter the file lacks (checked) starts at 0, as in PyTorch.
        Err(_) => v.fill(T::ZERO),
    });
}

/// The parameter tensors an optimiser sees: all but the buffers and the frozen ones, whose
/// position in this list is the index of their optimiser state.
fn param_specs<T: Float, N: Network<T>>(frozen: &[bool]) -> Vec<&'static TensorSpec> {
    N::TENSORS
        .iter()
        .filter(|t| !t.buffer)
        .enumerate()
        .filter(|(k, _)| !frozen.get(*k).copied().unwrap_or(false))
        .map(|(_, t)| t)
        .collect()
}

/// The file name and shape of optimiser state `"{index}.{key}"`: `optimizer.<param>.<key>`,
/// shaped as its parameter when it has as many values (moments), flat otherwise.
fn state_tensor(params: &[&TensorSpec], name: &str, len: usize) -> (String, Vec<usize>) {
    let (index, key) = name.split_once('.').unwrap_or(("", name));
    match index.parse::<usize>().ok().and_then(|i| params.get(i)) {
        Some(p) if p.numel() == len => (format!("{OPT}{}.{key}", p.name), p.shape.to_vec()),
        Some(p) => (format!("{OPT}{}.{key}", p.name), vec![len]),
        None => (format!("{OPT}{name}"), vec![len]),
    }
}

fn base_metadata<T: Float>() -> HashMap<String, String> {
    HashMap::from([
        // Hugging Face's marker for "PyTorch layout", which its loaders look for.
        ("format".to_string(), "pt".to_string()),
        ("kiln.dtype".to_string(), T::NAME.to_string()),
        (
            "kiln.version".to_string(),
            env!("CARGO_PKG_VERSION").to_string(),
        ),
    ])
}
