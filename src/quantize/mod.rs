//! Post-training quantisation to int8 with the semantics of the TFLite int8 specification:
//! a trained network is run over calibration data to find each activation's range (minimum
//! and maximum, or percentiles), its weights are quantised per output channel (symmetric
//! int8), biases to int32 in units of `input_scale * weight_scale`, activations per tensor
//! (asymmetric int8; a batch norm right after a dense layer or convolution is folded into
//! its weights and bias first; an LSTM gets TFLite's integer-LSTM tensors: int8 weights per
//! gate row, an int32 bias, and a power-of-two scale for its int16 cell state from the cell
//! range seen on a stream), and the result is written as a safetensors file that
//! `network! { .., weights: "model.int8.safetensors", precision: int8 }` bakes into an int8
//! embedded form.
//!
//! ```no_run
//! # use kiln::prelude::*;
//! # kiln::network! { struct Mlp { input: [4], layers: [dense(8), relu, dense(3)], loss: mse } }
//! # let net = Mlp::<f32>::new(&mut seeded(1));
//! # let calibration_inputs = vec![0.0f32; 4 * 100];
//! use kiln::quantize::{quantize, Calibration};
//! let q = quantize(&net, &calibration_inputs, Calibration::Percentile(99.99))?;
//! q.save("model.int8.safetensors")?;
//! # Ok::<(), kiln::quantize::QuantizeError>(())
//! ```
//!
//! Reference: <https://www.tensorflow.org/lite/performance/quantization_spec>.

mod error;
mod observer;
mod tensors;

use std::path::Path;

use kiln_runtime::network::{Network, Observed};
use kiln_runtime::quant::{Int8Role, QuantParams};

use crate::checkpoint::file::{write_atomic, Entry};
pub use error::QuantizeError;
use observer::Observer;

/// How an activation's range is taken from the calibration data.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Calibration {
    /// The smallest and largest value seen: nothing saturates.
    MinMax,
    /// The values at the `p`-th and `(100 - p)`-th percentiles (e.g. 99.99): rare outliers
    /// saturate so the common values get finer steps.
    Percentile(f64),
}

/// A quantised network: its int8 tensors, scales and zero points, ready to write.
pub struct Quantized {
    entries: Vec<Entry>,
    /// The input's scale and zero point.
    pub input: QuantParams,
    /// The output's scale and zero point.
    pub output: QuantParams,
    /// Samples the ranges were calibrated on.
    pub samples: usize,
}

impl Quantized {
    /// Every tensor's name, in file order.
    pub fn names(&self) -> Vec<&str> {
        self.entries.iter().map(|e| e.name.as_str()).collect()
    }

    /// Writes the safetensors file (atomically), with the calibration in its metadata.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), QuantizeError> {
        let meta = [
            ("format", "kiln-int8".to_string()),
            ("calibration_samples", self.samples.to_string()),
        ];
        let meta = meta.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        write_atomic(path.as_ref(), &self.entries, meta).map_err(QuantizeError::Write)
    }
}

/// Calibrates `net` on `inputs` (whole samples, flat) and quantises it. For a network with
/// an LSTM, the rows of `inputs` are one stream of consecutive steps from the zero state (see
/// [`quantize_streams`] for several sequences).
pub fn quantize<N: Network<f32>>(
    net: &N,
    inputs: &[f32],
    calibration: Calibration,
) -> Result<Quantized, QuantizeError> {
    if holds_state::<N>() {
        return quantize_streams(net, &[inputs], calibration);
    }
    let parts: Vec<&[f32]> = inputs.chunks(BATCH * N::INPUT.max(1)).collect();
    quantize_parts(net, &parts, inputs.len(), calibration)
}

/// Calibrates a network with an LSTM on `streams`, each a sequence of consecutive steps (flat
/// rows of `N::INPUT`) run from the zero state, as the int8 form's `step` will see them.
pub fn quantize_streams<N: Network<f32>>(
    net: &N,
    streams: &[&[f32]],
    calibration: Calibration,
) -> Result<Quantized, QuantizeError> {
    let total = streams.iter().map(|s| s.len()).sum();
    for s in streams {
        if !s.len().is_multiple_of(N::INPUT) {
            return Err(QuantizeError::Samples {
                len: s.len(),
                width: N::INPUT,
            });
        }
    }
    quantize_parts(net, streams, total, calibration)
}

/// Whether a layer carries state from step to step (its calibration data must not be cut).
fn holds_state<N: Network<f32>>() -> bool {
    N::INT8_LAYERS
        .iter()
        .any(|l| matches!(l.role, Int8Role::Lstm { .. }))
}

/// [`quantize`] over `parts` (`total` values), each calibrated by one observed forward.
fn quantize_parts<N: Network<f32>>(
    net: &N,
    parts: &[&[f32]],
    total: usize,
    calibration: Calibration,
) -> Result<Quantized, QuantizeError> {
    check_roles::<N>()?;
    if let Calibration::Percentile(p) = calibration {
        if !(50.0..=100.0).contains(&p) {
            return Err(QuantizeError::Percentile(p));
        }
    }
    if total == 0 || !total.is_multiple_of(N::INPUT) {
        return Err(QuantizeError::Samples {
            len: total,
            width: N::INPUT,
        });
    }
    let ranges = calibrate(net, parts, calibration)?;
    let mut params = std::collections::HashMap::new();
    net.visit_params(&mut |name, _, v| {
        params.insert(name.to_string(), v.to_vec());
    });
    // Batch-norm statistics, for folding.
    net.visit_buffers(&mut |name, v| {
        params.insert(name.to_string(), v.to_vec());
    });
    let (entries, input, output) = tensors::build::<N>(&ranges, &params);
    Ok(Quantized {
        entries,
        input,
        output,
        samples: total / N::INPUT,
    })
}

/// Every layer has an int8 form, or the error names the first that has none.
fn check_roles<N: Network<f32>>() -> Result<(), QuantizeError> {
    if N::INT8_LAYERS.is_empty() {
        return Err(QuantizeError::NoLayers);
    }
    for l in N::INT8_LAYERS {
        if let Int8Role::Unsupported(why) = l.role {
            return Err(QuantizeError::Unsupported { layer: l.name, why });
        }
    }
    Ok(())
}

/// The calibrated ranges: the input's, and per layer its output's and (when an activation
/// is fused) its values' before the activation.
pub(crate) struct Ranges {
    pub input: (f32, f32),
    pub output: Vec<(f32, f32)>,
    pub pre: Vec<(f32, f32)>,
    /// A recurrent layer's state in blocks of its hidden width: an LSTM's `h` and `c` per
    /// level (`[h0, c0, h1, c1, ..]`).
    pub state: Vec<Vec<(f32, f32)>>,
}

const BATCH: usize = 256;

fn calibrate<N: Network<f32>>(
    net: &N,
    parts: &[&[f32]],
    calibration: Calibration,
) -> Result<Ranges, QuantizeError> {
    let n = N::INT8_LAYERS.len();
    let mut input = Observer::default();
    let mut out = vec![Observer::default(); n];
    let mut pre = vec![Observer::default(); n];
    let mut state: Vec<Vec<Observer>> = vec![Vec::new(); n];
    let passes = if matches!(calibration, Calibration::MinMax) {
        1
    } else {
        2
    };
    let mut scratch = net.new_scratch();
    for pass in 0..passes {
        for &x in parts.iter().filter(|p| !p.is_empty()) {
            let mut failed = None;
            let mut seen = 0;
            let mut see = |o: &mut Observer, v: &[f32], what: &str| {
                if pass == 0 {
                    if let Err(e) = o.extend(v, what) {
                        failed.get_or_insert(e);
                    }
                } else {
                    o.histogram(v);
                }
            };
            see(&mut input, x, "the calibration input");
            net.forward_observed_flat(x, &mut scratch, &mut |o: Observed<'_, f32>| {
                let name = N::INT8_LAYERS[o.layer].name;
                see(&mut out[o.layer], o.output, name);
                if let Some(z) = o.pre_activation {
                    see(&mut pre[o.layer], z, name);
                }
                if let (Int8Role::Lstm { levels }, Some(s)) =
                    (N::INT8_LAYERS[o.layer].role, o.state)
                {
                    let blocks = &mut state[o.layer];
                    blocks.resize(2 * levels, Observer::default());
                    let width = s.len() / (2 * levels);
                    for (ob, v) in blocks.iter_mut().zip(s.chunks_exact(width.max(1))) {
                        see(ob, v, name);
                    }
                }
                seen += 1;
            })
            .map_err(QuantizeError::Network)?;
            if let Some(e) = failed {
                return Err(e);
            }
            // Every layer once per sample (per step of a stream).
            if seen == 0 || seen % n != 0 {
                return Err(QuantizeError::NoLayers);
            }
        }
    }
    let range = |o: &Observer| o.range(calibration);
    Ok(Ranges {
        input: range(&input),
        output: out.iter().map(range).collect(),
        pre: pre.iter().map(range).collect(),
        state: state
            .iter()
            .map(|b| b.iter().map(range).collect())
            .collect(),
    })
}
