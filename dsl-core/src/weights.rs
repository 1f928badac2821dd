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

/// Reads and checks the weights file, or records why it cannot be used.
pub fn bake(net: &Resolved, file: &LitStr, cx: &mut Ctxt) -> Option<Baked> {
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
    let declared = net.tensors();
    let mut values = HashMap::new();
    // A custom layer's tensors are known to the compiler only; its embedded error says why.
    for t in declared
        .iter()
        .filter(|t| t.from_type.is_none() && !t.is_counter())
    {
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
        match decode(&view) {
            None => cx.error_spanned_by(
                file,
                format!(
                    "`{}` is stored as {:?} in `{rel}`; baked weights must be F32 or F64",
                    t.name,
                    view.dtype()
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
        .filter(|n| !n.starts_with("optimizer.") && !declared.iter().any(|t| t.name == *n))
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

/// The values of an F32 or F64 tensor.
fn decode(view: &TensorView) -> Option<Vec<f64>> {
    let data = view.data();
    match view.dtype() {
        Dtype::F32 => Some(
            data.chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f64)
                .collect(),
        ),
        Dtype::F64 => Some(
            data.chunks_exact(8)
                .map(|b| f64::from_le_bytes(b.try_into().unwrap_or([0; 8])))
                .collect(),
        ),
        _ => None,
    }
}
