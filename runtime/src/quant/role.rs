//! What each layer of a declared network becomes in int8, as the macro lists it for
//! `kiln::quantize` (`Network::INT8_LAYERS`): the quantiser calibrates and writes tensors by
//! role, and `precision: int8` bakes them back with the same roles.

use crate::activation::Activation;
use crate::quant::QuantParams;

/// An element-wise function applied in int8: a clamp (ReLU) or a 256-entry table.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Int8Act {
    /// None fused: the product's output is the layer's output.
    Identity,
    /// A clamp at the zero point; the output keeps its input's scale.
    Relu,
    /// A table to the fixed output scale 1/128, zero point 0 (TFLite's).
    Tanh,
    /// A table to the fixed output scale 1/256, zero point -128 (TFLite's).
    Sigmoid,
    /// Any other activation (leaky ReLU, ELU, GELU, swish, ...) as a table built with the
    /// f32 network's own function, to an output scale calibrated like any tensor's.
    Table(Activation),
}

impl Int8Act {
    /// Whether it runs as a 256-entry table.
    pub fn is_table(self) -> bool {
        matches!(self, Int8Act::Tanh | Int8Act::Sigmoid | Int8Act::Table(_))
    }

    /// A table's output scale and zero point, fixed as TFLite fixes them (tanh 1/128 around
    /// 0, sigmoid 1/256 from -128), so every output value is representable.
    pub fn table_output(self) -> Option<QuantParams> {
        match self {
            Int8Act::Tanh => Some(QuantParams {
                scale: 1.0 / 128.0,
                zero_point: 0,
            }),
            Int8Act::Sigmoid => Some(QuantParams {
                scale: 1.0 / 256.0,
                zero_point: -128,
            }),
            _ => None,
        }
    }

    /// The real function (tanh and sigmoid in f64, rounded to f32; other tables by the f32
    /// network's own activation), to build its table.
    pub fn real(self, v: f32) -> f32 {
        if let Int8Act::Table(a) = self {
            let mut x = [v];
            a.forward(&mut x);
            return x[0];
        }
        let v = v as f64;
        (match self {
            Int8Act::Identity => v,
            Int8Act::Relu => v.max(0.0),
            Int8Act::Tanh => libm::tanh(v),
            Int8Act::Sigmoid => 1.0 / (1.0 + libm::exp(-v)),
            Int8Act::Table(_) => unreachable!("kiln bug: handled above"),
        }) as f32
    }
}

/// One top-level layer's int8 form.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Int8Role {
    /// Dense or convolution: int8 weights symmetric per output channel (axis 0), an int32
    /// bias, output rescaled per channel, then the fused activation.
    Product(Int8Act),
    /// A stand-alone activation.
    Activation(Int8Act),
    /// Moves or pools values without changing their scale (flatten, dropout, max pooling,
    /// average pooling without padding).
    Keep,
    /// A batch normalisation folded into the product layer right before it, as TFLite's
    /// converter folds it: that layer's weights scaled by `gamma / sqrt(var + eps)` per
    /// channel and its bias shifted; nothing of its own runs.
    Folded {
        /// The normalisation's epsilon.
        eps: f64,
    },
    /// An LSTM in TFLite's 8x8_16 scheme (`fixed::LstmInt8`): int8 weights symmetric per
    /// gate row, the two biases summed in int32, int16 gates, an int16 cell state at a
    /// power-of-two scale, and its output (the hidden state) int8; `levels` stacked
    /// (`layers = n`), each its own cell on the hidden state of the one below.
    Lstm {
        /// Stacked levels (1 for a single LSTM).
        levels: usize,
    },
    /// No int8 form; the reason, for the error.
    Unsupported(&'static str),
}

/// A top-level layer: its PyTorch name prefix (`layers.3`) and role.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Int8Layer {
    /// `layers.3`.
    pub name: &'static str,
    /// What it becomes in int8.
    pub role: Int8Role,
}

/// The name of an int8 LSTM tensor of level `level`: `base` for level 0 (`bias`,
/// `cell_scale`), `{base}_l{level}` above it, as PyTorch suffixes its stacked levels.
#[cfg(feature = "std")]
pub fn lstm_level_name(base: &str, level: usize) -> String {
    if level == 0 {
        base.to_string()
    } else {
        format!("{base}_l{level}")
    }
}
