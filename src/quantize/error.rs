//! What can go wrong in quantising a network.

use std::fmt;

use crate::checkpoint::CheckpointError;

/// Why a network could not be quantised or its file written.
#[derive(Debug)]
pub enum QuantizeError {
    /// The network lists no int8 layers (a sequence network, or one not declared with
    /// `network!`).
    NoLayers,
    /// A layer has no int8 form.
    Unsupported {
        /// `layers.3`.
        layer: &'static str,
        /// Why, and what int8 takes.
        why: &'static str,
    },
    /// The calibration inputs are empty or not whole samples.
    Samples {
        /// Values given.
        len: usize,
        /// Values per sample.
        width: usize,
    },
    /// A percentile outside 50..=100.
    Percentile(f64),
    /// A NaN or infinity in the calibration data or a layer's output.
    NonFinite {
        /// The input or the layer's name.
        tensor: String,
    },
    /// The network's forward pass refused the inputs.
    Network(kiln_runtime::KilnError),
    /// The file could not be written.
    Write(CheckpointError),
}

impl fmt::Display for QuantizeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QuantizeError::NoLayers => write!(f, "the network has no int8 form: int8 takes feed-forward networks declared with `network!`"),
            QuantizeError::Unsupported { layer, why } => write!(f, "`{layer}` has no int8 form: {why}"),
            QuantizeError::Samples { len, width } => write!(f, "calibration needs whole samples of {width} values, got {len} values"),
            QuantizeError::Percentile(p) => write!(f, "a calibration percentile must lie in 50..=100, got {p}"),
            QuantizeError::NonFinite { tensor } => write!(f, "{tensor} holds a NaN or infinity during calibration"),
            QuantizeError::Network(e) => write!(f, "calibration forward pass: {e}"),
            QuantizeError::Write(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for QuantizeError {}
