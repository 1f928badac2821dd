//! Freezing parameters for fine-tuning: a frozen tensor gets no optimiser state and no
//! update, and the layers at the front of a network whose tensors are all frozen get no
//! backward pass at all (no gradient, no delta for the layer before).
//!
//! The mask has one entry per parameter tensor (buffers excluded), in `TENSORS` order; an
//! empty mask means nothing is frozen (the default, which allocates nothing).

use crate::error::{KilnError, Result};
use crate::network::TensorSpec;

/// Whether parameter tensor `name` is `target` itself or lies under it (`layers.0` covers
/// `layers.0.weight`; `layers.3.main` covers `layers.3.main.0.bias`).
fn covers(target: &str, name: &str) -> bool {
    name.strip_prefix(target)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
}

/// Sets the frozen flag of every parameter tensor named `target` or under it; returns how many
/// it matched. Errors, changing nothing, if it matches none (naming the layers there are).
pub fn set_frozen(
    tensors: &[TensorSpec],
    mask: &mut Vec<bool>,
    target: &str,
    on: bool,
) -> Result<usize> {
    let params = || tensors.iter().filter(|t| !t.buffer);
    let hits = params().filter(|t| covers(target, t.name)).count();
    if hits == 0 {
        let mut known: Vec<&str> = params()
            .map(|t| t.name.rsplit_once('.').map_or(t.name, |(layer, _)| layer))
            .collect();
        known.dedup();
        return Err(KilnError::NoSuchParameter {
            name: target.into(),
            known: known.join(", "),
        });
    }
    if mask.is_empty() {
        mask.resize(params().count(), false);
    }
    for (m, t) in mask.iter_mut().zip(params()) {
        if covers(target, t.name) {
            *m = on;
        }
    }
    if !mask.contains(&true) {
        mask.clear();
    }
    Ok(hits)
}

/// How many of the network's layers, from the first, hold only frozen parameters (layers
/// without parameters count as frozen when every layer before them is): the backward pass
/// can stop before them. `layers` are the emitted layers' name prefixes, in order.
pub fn frozen_prefix<'a>(
    tensors: &[TensorSpec],
    mask: &[bool],
    layers: impl Iterator<Item = &'a str>,
) -> usize {
    if mask.is_empty() {
        return 0;
    }
    let params: Vec<&TensorSpec> = tensors.iter().filter(|t| !t.buffer).collect();
    let mut prefix = 0;
    for layer in layers {
        let all_frozen = params
            .iter()
            .zip(mask)
            .filter(|(t, _)| covers(layer, t.name))
            .all(|(_, &f)| f);
        if !all_frozen {
            break;
        }
        prefix += 1;
    }
    // Parameter-free layers at the end of a frozen run still need their delta only if a
    // trainable layer comes before them, which the loop above already stopped at.
    prefix
}

/// The names of the frozen parameter tensors.
pub fn frozen_names(tensors: &[TensorSpec], mask: &[bool]) -> Vec<&'static str> {
    tensors
        .iter()
        .filter(|t| !t.buffer)
        .zip(mask)
        .filter(|(_, &f)| f)
        .map(|(t, _)| t.name)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: &[TensorSpec] = &[
        TensorSpec {
            name: "layers.0.weight",
            shape: &[2, 2],
            buffer: false,
        },
        TensorSpec {
            name: "layers.0.bias",
            shape: &[2],
            buffer: false,
        },
        TensorSpec {
            name: "layers.2.weight",
            shape: &[2],
            buffer: false,
        },
        TensorSpec {
            name: "layers.2.running_mean",
            shape: &[2],
            buffer: true,
        },
        TensorSpec {
            name: "layers.10.weight",
            shape: &[1, 2],
            buffer: false,
        },
    ];

    #[test]
    fn freezes_by_layer_or_tensor_and_finds_the_frozen_front() {
        let layers = || ["layers.0", "layers.1", "layers.2", "layers.10"].into_iter();
        let mut m = Vec::new();
        assert_eq!(set_frozen(T, &mut m, "layers.0", true).unwrap(), 2);
        assert_eq!(m, [true, true, false, false]);
        // `layers.1` has no parameters: frozen because layer 0 is.
        assert_eq!(frozen_prefix(T, &m, layers()), 2);
        assert_eq!(set_frozen(T, &mut m, "layers.10.weight", true).unwrap(), 1);
        assert_eq!(frozen_prefix(T, &m, layers()), 2);
        assert_eq!(
            frozen_names(T, &m),
            ["layers.0.weight", "layers.0.bias", "layers.10.weight"]
        );
        // `layers.1` does not cover `layers.10`; an unknown name changes nothing.
        let e = set_frozen(T, &mut m, "layers.1", true)
            .unwrap_err()
            .to_string();
        assert!(e.contains("layers.0, layers.2, layers.10"), "{e}");
        set_frozen(T, &mut m, "layer", true).unwrap_err();
        set_frozen(T, &mut m, "layers.0", false).unwrap();
        set_frozen(T, &mut m, "layers.10", false).unwrap();
        assert!(m.is_empty(), "nothing frozen: the empty mask");
        assert_eq!(frozen_prefix(T, &m, layers()), 0);
    }
}
