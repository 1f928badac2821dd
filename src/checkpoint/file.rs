//! The safetensors file itself: tensors encoded little-endian in the network's element type,
//! written atomically (a temporary file in the same folder, synced, then renamed over the
//! target, so a crash never leaves half a checkpoint), and read back in any float type.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fs;
use std::path::Path;

use kiln_runtime::Float;
use safetensors::tensor::{Dtype, TensorView, View};
use safetensors::SafeTensors;

use super::{CheckpointError, Mismatch};

/// One tensor to write.
pub struct Entry {
    pub name: String,
    pub shape: Vec<usize>,
    dtype: Dtype,
    bytes: Vec<u8>,
    /// The first NaN or infinite value, if any: such an entry is never written.
    non_finite: Option<usize>,
}

impl Entry {
    /// `values` in the file type matching `T` (F32 or F64).
    pub fn new<T: Float>(name: String, shape: Vec<usize>, values: &[T]) -> Entry {
        let (dtype, bytes) = if T::NAME == "f64" {
            let b = values
                .iter()
                .flat_map(|v| v.to_f64().to_le_bytes())
                .collect();
            (Dtype::F64, b)
        } else {
            // `T` is f32 here, so the conversion through f64 is exact.
            let b = values
                .iter()
                .flat_map(|v| (v.to_f64() as f32).to_le_bytes())
                .collect();
            (Dtype::F32, b)
        };
        Entry {
            name,
            shape,
            dtype,
            bytes,
            non_finite: values.iter().position(|v| !v.is_finite()),
        }
    }
}

impl Entry {
    /// A step counter (batch norm's `num_batches_tracked`) as PyTorch stores it: an int64
    /// scalar.
    pub fn counter(name: String, value: f64) -> Entry {
        Entry {
            name,
            shape: Vec::new(),
            dtype: Dtype::I64,
            bytes: (value as i64).to_le_bytes().to_vec(),
            non_finite: (!value.is_finite()).then_some(0),
        }
    }
}

impl Entry {
    /// An int8 tensor (a quantised model's weights or table).
    pub fn int8(name: String, shape: Vec<usize>, values: &[i8]) -> Entry {
        Self::integers(
            name,
            shape,
            Dtype::I8,
            values.iter().map(|v| v.to_le_bytes()[0]),
        )
    }

    /// An int32 tensor (a quantised model's biases and zero points).
    pub fn int32(name: String, shape: Vec<usize>, values: &[i32]) -> Entry {
        let bytes = values.iter().flat_map(|v| v.to_le_bytes());
        Self::integers(name, shape, Dtype::I32, bytes)
    }

    fn integers(
        name: String,
        shape: Vec<usize>,
        dtype: Dtype,
        bytes: impl Iterator<Item = u8>,
    ) -> Entry {
        Entry {
            name,
            shape,
            dtype,
            bytes: bytes.collect(),
            non_finite: None,
        }
    }
}

impl View for &Entry {
    fn dtype(&self) -> Dtype {
        self.dtype
    }
    fn shape(&self) -> &[usize] {
        &self.shape
    }
    fn data(&self) -> Cow<'_, [u8]> {
        Cow::Borrowed(&self.bytes)
    }
    fn data_len(&self) -> usize {
        self.bytes.len()
    }
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> CheckpointError + '_ {
    move |source| CheckpointError::Io {
        file: path.display().to_string(),
        source,
    }
}

/// The same file with the keys of its JSON header in sorted order: safetensors writes the
/// metadata map in hash order, so without this two identical runs write different bytes. The
/// tensors' offsets are in the header itself, so reordering it moves no data; the header is
/// padded with spaces to its old length, as the format allows.
fn sorted_header(mut bytes: Vec<u8>) -> Vec<u8> {
    let Some(n) = bytes
        .get(..8)
        .and_then(|b| b.try_into().ok())
        .map(|b| u64::from_le_bytes(b) as usize)
    else {
        return bytes;
    };
    let Some(header) = bytes.get(8..8 + n) else {
        return bytes;
    };
    // `serde_json::Value` keeps object keys in a `BTreeMap`: sorted.
    let sorted = serde_json::from_slice::<serde_json::Value>(header)
        .ok()
        .and_then(|v| serde_json::to_vec(&v).ok());
    if let Some(mut h) = sorted.filter(|h| h.len() <= n) {
        h.resize(n, b' ');
        bytes[8..8 + n].copy_from_slice(&h);
    }
    bytes
}

/// Writes `entries` and `metadata` to `path` atomically, creating its folder if needed.
pub fn write_atomic(
    path: &Path,
    entries: &[Entry],
    metadata: HashMap<String, String>,
) -> Result<(), CheckpointError> {
    // As the reader refuses them: a diverged run must not replace its last good checkpoint.
    if let Some((e, index)) = entries.iter().find_map(|e| e.non_finite.map(|i| (e, i))) {
        return Err(CheckpointError::NonFinite {
            file: path.display().to_string(),
            tensor: e.name.clone(),
            index,
        });
    }
    let bytes = safetensors::serialize(entries.iter().map(|e| (&e.name, e)), Some(metadata))
        .map(sorted_header)
        .map_err(|e| CheckpointError::Malformed {
            file: path.display().to_string(),
            why: e.to_string(),
        })?;
    crate::atomic_write::write_atomic(path, &bytes).map_err(io(path))
}

/// A checkpoint in memory: read from a file, or borrowed from the caller's bytes.
pub struct Reader<'a> {
    pub file: String,
    bytes: Cow<'a, [u8]>,
}

impl<'a> Reader<'a> {
    /// Reads and validates the file at `path`.
    pub fn open(path: &Path) -> Result<Reader<'static>, CheckpointError> {
        let bytes = fs::read(path).map_err(io(path))?;
        Reader::from_bytes(path.display().to_string(), Cow::Owned(bytes))
    }

    /// Validates checkpoint bytes already in memory; `file` names them in errors.
    pub fn from_bytes(file: String, bytes: Cow<'a, [u8]>) -> Result<Reader<'a>, CheckpointError> {
        let r = Reader { file, bytes };
        r.tensors()?;
        Ok(r)
    }

    /// The parsed tensors (parsing validates the header and every offset).
    pub fn tensors(&self) -> Result<SafeTensors<'_>, CheckpointError> {
        SafeTensors::deserialize(&self.bytes).map_err(|e| CheckpointError::Malformed {
            file: self.file.clone(),
            why: e.to_string(),
        })
    }

    /// The string metadata (`__metadata__`), empty when the file has none.
    pub fn metadata(&self) -> Result<HashMap<String, String>, CheckpointError> {
        let (_, meta) =
            SafeTensors::read_metadata(&self.bytes).map_err(|e| CheckpointError::Malformed {
                file: self.file.clone(),
                why: e.to_string(),
            })?;
        Ok(meta.metadata().clone().unwrap_or_default())
    }

    /// A metadata value parsed as `V`.
    pub fn meta<V: std::str::FromStr>(&self, key: &str) -> Result<V, CheckpointError> {
        let meta = self.metadata()?;
        let raw = meta.get(key).ok_or_else(|| CheckpointError::Metadata {
            file: self.file.clone(),
            key: key.into(),
            why: "not present (was this file written by kiln's trainer?)".into(),
        })?;
        raw.parse().map_err(|_| CheckpointError::Metadata {
            file: self.file.clone(),
            key: key.into(),
            why: format!("cannot read {raw:?}"),
        })
    }
}

/// Checks that `view` can be read as `shape` (element type known, values finite).
pub fn check(name: &str, view: &TensorView, shape: &[usize], out: &mut Vec<Mismatch>) {
    if view.shape() != shape {
        out.push(Mismatch::Shape {
            name: name.into(),
            expected: shape.to_vec(),
            found: view.shape().to_vec(),
        });
        return;
    }
    match values(view) {
        None => out.push(Mismatch::Dtype {
            name: name.into(),
            found: format!("{:?}", view.dtype()),
        }),
        Some(mut it) => {
            if let Some(index) = it.position(|v| !v.is_finite()) {
                out.push(Mismatch::NonFinite {
                    name: name.into(),
                    index,
                });
            }
        }
    }
}

/// Copies a checked tensor into `dst`, converting to `T`.
pub fn copy_into<T: Float>(view: &TensorView, dst: &mut [T]) {
    let vals = values(view).expect("tensors are checked before they are copied");
    for (d, v) in dst.iter_mut().zip(vals) {
        *d = T::from_f64(v);
    }
}

/// The tensor's values as f64, if its element type is one kiln reads (floats, and int64 for
/// counters).
fn values<'a>(view: &'a TensorView) -> Option<Box<dyn Iterator<Item = f64> + 'a>> {
    let data = view.data();
    Some(match view.dtype() {
        Dtype::F64 => Box::new(
            data.chunks_exact(8)
                .map(|b| f64::from_le_bytes(b.try_into().unwrap())),
        ),
        Dtype::F32 => Box::new(
            data.chunks_exact(4)
                .map(|b| f32::from_le_bytes(b.try_into().unwrap()) as f64),
        ),
        Dtype::F16 => Box::new(
            data.chunks_exact(2)
                .map(|b| f16_to_f64(u16::from_le_bytes([b[0], b[1]]))),
        ),
        Dtype::BF16 => Box::new(
            data.chunks_exact(2)
                .map(|b| f32::from_bits((u16::from_le_bytes([b[0], b[1]]) as u32) << 16) as f64),
        ),
        // Integer tensors: batch norm's step counter.
        Dtype::I64 => Box::new(
            data.chunks_exact(8)
                .map(|b| i64::from_le_bytes(b.try_into().unwrap()) as f64),
        ),
        _ => return None,
    })
}

/// IEEE binary16 to f64 (subnormals, infinities and NaN included).
fn f16_to_f64(h: u16) -> f64 {
    let sign = if h >> 15 == 1 { -1.0 } else { 1.0 };
    let exp = ((h >> 10) & 0x1f) as i32;
    let frac = (h & 0x3ff) as f64;
    sign * match exp {
        0 => frac * 2f64.powi(-24),
        0x1f if frac == 0.0 => f64::INFINITY,
        0x1f => f64::NAN,
        e => (1.0 + frac / 1024.0) * 2f64.powi(e - 15),
    }
}

#[cfg(test)]
mod tests {
    use super::f16_to_f64;

    #[test]
    fn half_precision_decodes() {
        assert_eq!(f16_to_f64(0x3c00), 1.0);
        assert_eq!(f16_to_f64(0xc000), -2.0);
        assert_eq!(f16_to_f64(0x3555), 0.333251953125);
        assert_eq!(f16_to_f64(0x0001), 2f64.powi(-24));
        assert_eq!(f16_to_f64(0x7c00), f64::INFINITY);
        assert!(f16_to_f64(0x7e00).is_nan());
    }
}
