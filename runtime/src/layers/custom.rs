//! User-written layers in a declaration: a type implementing [`Layer`] and [`CustomLayer`]
//! appears in `layers: [...]` by its name (`GatedLinear<64>`, the float type `T` added first).
//! The macro checks its `IN` and `OUT` against the declared shapes at compile time and lists
//! its tensors in the network's `TENSORS` under the layer's prefix (`layers.3.weight`), so the
//! generated backward, `gradcheck`, checkpoints and optimisers treat it like a built-in layer.

use super::Layer;
use crate::float::Float;
use crate::network::TensorSpec;
use crate::rng::KilnRng;

/// What a declaration needs of a user-written layer beyond [`Layer`].
#[diagnostic::on_unimplemented(
    message = "`{Self}` is used as a layer in `network!` but does not implement `CustomLayer<{T}>`",
    note = "a custom layer is `Clone` and implements `kiln::runtime::layers::Layer<T>` (passes and tensors) and `CustomLayer<T>` (`TENSORS` and `init`), generic over the float type `T` first"
)]
pub trait CustomLayer<T: Float>: Layer<T> + Clone {
    /// The layer's tensors as PyTorch names them inside the module (`weight`, `bias`): the
    /// trainable ones in the order of [`Layer::param_names`], then the buffers in the order of
    /// [`Layer::buffer_names`], each with its PyTorch shape.
    const TENSORS: &'static [TensorSpec];

    /// A freshly initialised layer (the network's constructor calls it with its generator).
    fn init(rng: &mut KilnRng) -> Self;
}

/// What a declaration reads of a custom layer at compile time: its widths, checked against
/// the shapes around it, and its tensors, listed in the network's. One function for both, so
/// that a type that is no layer gets one error, not one per use.
pub const fn describe<T: Float, L: CustomLayer<T>>() -> Description {
    Description {
        n_in: L::IN,
        n_out: L::OUT,
        tensors: L::TENSORS,
    }
}

/// See [`describe`].
#[derive(Clone, Copy, Debug)]
pub struct Description {
    /// `Layer::IN`: values per sample in.
    pub n_in: usize,
    /// `Layer::OUT`: values per sample out.
    pub n_out: usize,
    /// `CustomLayer::TENSORS`.
    pub tensors: &'static [TensorSpec],
}

/// One entry of a network's tensor list while it is assembled at compile time: a built-in
/// layer's tensor, already fully named, or a custom layer's tensors under a prefix.
#[derive(Clone, Copy)]
pub enum TensorPart {
    /// A fully named tensor.
    One(TensorSpec),
    /// `CustomLayer::TENSORS` of the layer named `prefix` (`layers.3`).
    Prefixed(&'static str, &'static [TensorSpec]),
}

/// The number of tensors in `parts`.
pub const fn tensor_count(parts: &[TensorPart]) -> usize {
    let mut n = 0;
    let mut i = 0;
    while i < parts.len() {
        n += match parts[i] {
            TensorPart::One(_) => 1,
            TensorPart::Prefixed(_, list) => list.len(),
        };
        i += 1;
    }
    n
}

/// The bytes of every full name (`prefix.name`) of the prefixed parts, concatenated.
pub const fn name_bytes_len(parts: &[TensorPart]) -> usize {
    let mut n = 0;
    let mut i = 0;
    while i < parts.len() {
        if let TensorPart::Prefixed(prefix, list) = parts[i] {
            let mut j = 0;
            while j < list.len() {
                n += prefix.len() + 1 + list[j].name.len();
                j += 1;
            }
        }
        i += 1;
    }
    n
}

/// The full names of the prefixed parts, one after another (`B == name_bytes_len(parts)`).
pub const fn name_bytes<const B: usize>(parts: &[TensorPart]) -> [u8; B] {
    let mut out = [0u8; B];
    let mut at = 0;
    let mut i = 0;
    while i < parts.len() {
        if let TensorPart::Prefixed(prefix, list) = parts[i] {
            let mut j = 0;
            while j < list.len() {
                at = copy_into(&mut out, at, prefix.as_bytes());
                at = copy_into(&mut out, at, b".");
                at = copy_into(&mut out, at, list[j].name.as_bytes());
                j += 1;
            }
        }
        i += 1;
    }
    assert!(at == B, "kiln bug: tensor name bytes miscounted");
    out
}

const fn copy_into<const B: usize>(out: &mut [u8; B], at: usize, bytes: &[u8]) -> usize {
    let mut k = 0;
    while k < bytes.len() {
        out[at + k] = bytes[k];
        k += 1;
    }
    at + bytes.len()
}

/// The tensor list, with the prefixed parts' names pointing into `names` (the output of
/// [`name_bytes`] for the same parts, kept in a `static`). `N == tensor_count(parts)`.
pub const fn tensor_specs<const N: usize>(
    parts: &[TensorPart],
    names: &'static [u8],
) -> [TensorSpec; N] {
    const EMPTY: TensorSpec = TensorSpec {
        name: "",
        shape: &[],
        buffer: false,
    };
    let mut out = [EMPTY; N];
    let mut n = 0;
    let mut rest = names;
    let mut i = 0;
    while i < parts.len() {
        match parts[i] {
            TensorPart::One(spec) => {
                out[n] = spec;
                n += 1;
            }
            TensorPart::Prefixed(prefix, list) => {
                let mut j = 0;
                while j < list.len() {
                    let (name, tail) = rest.split_at(prefix.len() + 1 + list[j].name.len());
                    rest = tail;
                    // The bytes are whole `&str`s and `.` joined by `name_bytes`: valid UTF-8.
                    let name = match core::str::from_utf8(name) {
                        Ok(s) => s,
                        Err(_) => panic!("kiln bug: tensor names are not UTF-8"),
                    };
                    out[n] = TensorSpec {
                        name,
                        shape: list[j].shape,
                        buffer: list[j].buffer,
                    };
                    n += 1;
                    j += 1;
                }
            }
        }
        i += 1;
    }
    assert!(n == N, "kiln bug: tensor count miscounted");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const INNER: &[TensorSpec] = &[
        TensorSpec {
            name: "weight",
            shape: &[4, 2],
            buffer: false,
        },
        TensorSpec {
            name: "running_mean",
            shape: &[4],
            buffer: true,
        },
    ];
    const PARTS: &[TensorPart] = &[
        TensorPart::One(TensorSpec {
            name: "layers.0.weight",
            shape: &[2, 3],
            buffer: false,
        }),
        TensorPart::Prefixed("layers.1", INNER),
        TensorPart::Prefixed("layers.2.body.0", INNER),
    ];
    static NAMES: [u8; name_bytes_len(PARTS)] = name_bytes(PARTS);
    static SPECS: [TensorSpec; tensor_count(PARTS)] = tensor_specs(PARTS, &NAMES);
    const ALL: &[TensorSpec] = &SPECS;

    #[test]
    fn prefixed_parts_are_named_under_their_layer() {
        let names: Vec<_> = ALL.iter().map(|t| (t.name, t.shape, t.buffer)).collect();
        assert_eq!(
            names,
            [
                ("layers.0.weight", &[2, 3][..], false),
                ("layers.1.weight", &[4, 2][..], false),
                ("layers.1.running_mean", &[4][..], true),
                ("layers.2.body.0.weight", &[4, 2][..], false),
                ("layers.2.body.0.running_mean", &[4][..], true),
            ]
        );
    }
}
