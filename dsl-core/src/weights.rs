//! `weights: "file.safetensors"`: the file is read while the macro expands, every tensor the
//! declaration has is looked up by its PyTorch name and shape, and each difference (a tensor
//! missing, extra, of another shape or element type, or holding NaN/inf) is a compile error
//! naming the tensor and both shapes. The values become `{Name}Embedded::WEIGHTS`.

use std::collections::HashMap;
use std::path::PathBuf;

use safetensors::tensor::{Dtype, TensorView};
use safetensors::SafeTensors;
use syn::LitStr;

use crate::diag::Ctxt;
use crate::embedded_op::Baked;
use crate::tree::Resolved;

/// What a tensor of the file may be stored as.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum FileDtype {
    /// F32 or F64.
    Float,
    I8,
    I32,
}

/// A tensor the declaration needs from the file.
pub struct Expected {
    pub name: String,
    pub shape: Vec<usize>,
    pub dtype: FileDtype,
}

/// Reads and checks the weights file of a float network, or records why it cannot be used.
pub fn bake(net: &Resolved, file: &LitStr, cx: &mut Ctxt) -> Option<Baked> {
    // A custom layer's tensors are known to the compiler only; its embedded error says why.
    let tensors = net.tensors();
    let expected: Vec<Expected> = tensors
        .iter()
        .filter(|t| t.from_type.is_none() && !t.is_counter())
        .map(|t| Expected {
            name: t.name.clone(),
            shape: t.shape.clone(),
            dtype: FileDtype::Float,
        })
        .collect();
    let declared: Vec<String> = tensors.into_iter().map(|t| t.name).collect();
    bake_tensors(&expected, &declared, file, cx)
}

/// Reads `file` and checks it holds exactly the `expected` tensors (others named in
/// `declared` are let through), each of its shape and element type and finite.
pub fn bake_tensors(
    expected: &[Expected],
    declared: &[String],
    file: &LitStr,
    cx: &mut Ctxt,
) -> Option<Baked> {
    let rel = file.value();
    let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
    let path = PathBuf::from(dir).join(&rel);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) => {
            cx.error_spanned_by(
                file,
                format!(
                    "cannot read the weights file `{rel}` (paths are relative to the folder of the crate's Cargo.toml): {e}"
                ),
            );
            return None;
        }
    };
    let st = match SafeTensors::deserialize(&bytes) {
        Ok(st) => st,
        Err(e) => {
            cx.error_spanned_by(
                file,
                format!("`{rel}` is not a readable safetensors file: {e}"),
            );
            return None;
        }
    };
    let mut values = HashMap::new();
    for t in expected {
        let view = match st.tensor(&t.name) {
            Ok(v) => v,
            Err(_) => {
                cx.error_spanned_by(
                    file,
                    format!(
                        "`{rel}` has no tensor `{}`; the declaration needs it with shape {:?}",
                        t.name, t.shape
                    ),
                );
                continue;
            }
        };
        if view.shape() != t.shape.as_slice() {
            cx.error_spanned_by(
                file,
                format!(
                    "`{}` has shape {:?} in `{rel}`, but the declaration needs {:?}",
                    t.name,
                    view.shape(),
                    t.shape
                ),
            );
            continue;
        }
        match decode(&view, t.dtype) {
            None => cx.error_spanned_by(
                file,
                format!(
                    "`{}` is stored as {:?} in `{rel}`; the declaration needs {}",
                    t.name,
                    view.dtype(),
                    match t.dtype {
                        FileDtype::Float => "F32 or F64",
                        FileDtype::I8 => "I8",
                        FileDtype::I32 => "I32",
                    }
                ),
            ),
            Some(v) => match v.iter().position(|x| !x.is_finite()) {
                Some(i) => cx.error_spanned_by(
                    file,
                    format!(
                        "`{}` holds a NaN or infinity at element {i} in `{rel}`",
                        t.name
                    ),
                ),
                None => {
                    values.insert(t.name.clone(), v);
                }
            },
        }
    }
    let mut extra: Vec<_> = st
        .names()
        .into_iter()
        .filter(|n| {
            !n.starts_with("optimizer.")
                && !expected.iter().any(|t| t.name == *n)
                && !declared.iter().any(|t| t == n)
        })
        .collect();
    extra.sort_unstable();
    for n in extra {
        let shape = st.tensor(n).map(|v| v.shape().to_vec()).unwrap_or_default();
        cx.error_spanned_by(
            file,
            format!(
                "`{rel}` has a tensor `{n}` (shape {shape:?}) that the declaration does not have"
            ),
        );
    }
    // The macro only expands declarations that checked clean, so any error is the file's.
    if cx.has_errors() {
        return None;
    }
    Some(Baked {
        path: path.display().to_string(),
        values,
    })
}

/// The values of a tensor stored as `want` allows (integers are exact in f64).
fn decode(view: &TensorView, want: FileDtype) -> Option<Vec<f64>> {
    let data = view.data();
    match (view.dtype(), want) {
        (Dtype::I8, FileDtype::I8) => Some(data.iter().map(|&b| b as i8 as f64).collect()),
        (Dtype::I32, FileDtype::I32) => Some(
            data.chunks_exact(4)
                .map(|b| i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f64)
                .collect(),
        ),
        (_, FileDtype::I8 | FileDtype::I32) => None,
        (Dtype::F32, _) => Some(
            data.chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f64)
                .collect(),
        ),
        (Dtype::F64, _) => Some(
            data.chunks_exact(8)
                .map(|b| f64::from_le_bytes(b.try_into().unwrap_or([0; 8])))
                .collect(),
        ),
        _ => None,
    }
}
