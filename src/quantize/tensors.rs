//! The int8 tensors of each layer from its role, its f32 weights and its calibrated ranges,
//! named as `precision: int8` reads them (see the macro's int8 form): `quant.scale` and
//! `quant.zero_point` for the input; a product's `weight` (i8), `bias` (i32), `weight_scale`,
//! and its output's `scale`/`zero_point`; a table's `table` (i8 [256]), with a fused table's
//! product writing to `pre_scale`/`pre_zero_point`. A batch norm right after a product is
//! folded into its weights and bias first (as TFLite's converter does) and writes nothing.

use std::collections::HashMap;

use kiln_runtime::fixed::{build_table, cell_bits};
use kiln_runtime::network::Network;
use kiln_runtime::quant::{
    lstm_level_name, quantize_bias, quantize_weights, Int8Act, Int8Role, QuantParams,
};

use super::Ranges;
use crate::checkpoint::file::Entry;

/// The entries of the file, the input's and the output's quantisation.
pub(crate) fn build<N: Network<f32>>(
    ranges: &Ranges,
    params: &HashMap<String, Vec<f32>>,
) -> (Vec<Entry>, QuantParams, QuantParams) {
    let mut out = Vec::new();
    let input = QuantParams::from_range(ranges.input.0, ranges.input.1);
    qparams(&mut out, "quant", "", input);
    let mut cur = input;
    for (i, l) in N::INT8_LAYERS.iter().enumerate() {
        let p = l.name;
        match l.role {
            Int8Role::Product(act) => {
                // A folded batch norm's output is this layer's.
                let fold = N::INT8_LAYERS.get(i + 1).and_then(|next| match next.role {
                    Int8Role::Folded { eps } => Some((next.name, eps)),
                    _ => None,
                });
                product::<N>(&mut out, p, cur, params, fold);
                let own = |(lo, hi)| QuantParams::from_range(lo, hi);
                let output = own(ranges.output[i + usize::from(fold.is_some())]);
                cur = if act.is_table() {
                    // TFLite's fixed scale for tanh and sigmoid, the calibrated one otherwise.
                    let to = act.table_output().unwrap_or(output);
                    let pre = own(ranges.pre[i]);
                    qparams(&mut out, p, "pre_", pre);
                    table(&mut out, p, act, pre, to);
                    to
                } else {
                    output
                };
                qparams(&mut out, p, "", cur);
            }
            Int8Role::Activation(act) if act.is_table() => {
                let own = QuantParams::from_range(ranges.output[i].0, ranges.output[i].1);
                let to = act.table_output().unwrap_or(own);
                table(&mut out, p, act, cur, to);
                qparams(&mut out, p, "", to);
                cur = to;
            }
            Int8Role::Lstm { levels } => {
                let h = QuantParams::from_range(ranges.output[i].0, ranges.output[i].1);
                for level in 0..levels {
                    // Every level's hidden state is the next one's input; the top one's is
                    // the layer's output.
                    let block = |b: usize| ranges.state[i].get(2 * level + b).copied();
                    let hidden = match (level + 1 == levels, block(0)) {
                        (false, Some((lo, hi))) => QuantParams::from_range(lo, hi),
                        _ => h,
                    };
                    lstm(&mut out, p, level, cur, params);
                    let (lo, hi) = block(1).unwrap_or((0.0, 0.0));
                    let cell_scale = 1.0 / (1u64 << cell_bits(lo.abs().max(hi.abs()))) as f32;
                    let name = lstm_level_name("cell_scale", level);
                    out.push(Entry::new(format!("{p}.{name}"), vec![], &[cell_scale]));
                    if level + 1 < levels {
                        let s = lstm_level_name("hidden_scale", level);
                        let z = lstm_level_name("hidden_zero_point", level);
                        out.push(Entry::new(format!("{p}.{s}"), vec![], &[hidden.scale]));
                        out.push(Entry::int32(
                            format!("{p}.{z}"),
                            vec![],
                            &[hidden.zero_point],
                        ));
                    }
                    cur = hidden;
                }
                qparams(&mut out, p, "", h);
            }
            Int8Role::Activation(_) => {}
            Int8Role::Keep | Int8Role::Folded { .. } | Int8Role::Unsupported(_) => {}
        }
    }
    (out, input, cur)
}

/// `weight` per output channel, `bias` in units of `input.scale * weight_scale`; with
/// `fold` (a batch norm's prefix and epsilon), the normalisation folded in first.
fn product<N: Network<f32>>(
    out: &mut Vec<Entry>,
    p: &str,
    input: QuantParams,
    params: &HashMap<String, Vec<f32>>,
    fold: Option<(&str, f64)>,
) {
    let name = format!("{p}.weight");
    let Some(spec) = N::TENSORS.iter().find(|t| t.name == name) else {
        unreachable!("kiln bug: the product layer `{p}` lists no weight");
    };
    let co = spec.shape[0];
    let k = params[&name].len() / co;
    let mut w = params[&name].clone();
    let mut b = params
        .get(&format!("{p}.bias"))
        .cloned()
        .unwrap_or_else(|| vec![0.0; co]);
    if let Some((bn, eps)) = fold {
        fold_batch_norm(&mut w, &mut b, params, bn, eps);
    }
    let mut wq = vec![0i8; w.len()];
    let mut scales = vec![0f32; co];
    let mut bq = vec![0i32; co];
    for o in 0..co {
        let rows = o * k..(o + 1) * k;
        scales[o] = quantize_weights(&w[rows.clone()], &mut wq[rows]);
        bq[o] = quantize_bias(b[o] as f64, input.scale, scales[o]);
    }
    out.push(Entry::int8(name, spec.shape.to_vec(), &wq));
    out.push(Entry::int32(format!("{p}.bias"), vec![co], &bq));
    out.push(Entry::new(format!("{p}.weight_scale"), vec![co], &scales));
}

/// An LSTM level's weights per gate row (`weight_ih_l{k}`, `weight_hh_l{k}` with their
/// scales) and its two biases summed into `bias` (`bias_l{k}` above level 0), in units of
/// `input.scale * weight_ih_scale`.
fn lstm(
    out: &mut Vec<Entry>,
    p: &str,
    level: usize,
    input: QuantParams,
    params: &HashMap<String, Vec<f32>>,
) {
    let get = |t: &str| &params[&format!("{p}.{t}_l{level}")];
    let g = get("bias_ih").len();
    let mut bias = vec![0i32; g];
    for which in ["ih", "hh"] {
        let name = format!("{p}.weight_{which}_l{level}");
        let w = &params[&name];
        let k = w.len() / g;
        let mut q = vec![0i8; w.len()];
        let scales: Vec<f32> = w
            .chunks_exact(k)
            .zip(q.chunks_exact_mut(k))
            .map(|(w, q)| quantize_weights(w, q))
            .collect();
        if which == "ih" {
            let (bi, bh) = (get("bias_ih"), get("bias_hh"));
            for (r, b) in bias.iter_mut().enumerate() {
                *b = quantize_bias(bi[r] as f64 + bh[r] as f64, input.scale, scales[r]);
            }
        }
        out.push(Entry::int8(name, vec![g, k], &q));
        let scale = lstm_level_name(&format!("weight_{which}_scale"), level);
        out.push(Entry::new(format!("{p}.{scale}"), vec![g], &scales));
    }
    let bias_name = lstm_level_name("bias", level);
    out.push(Entry::int32(format!("{p}.{bias_name}"), vec![g], &bias));
}

/// `w[o] *= s[o]`, `b[o] = (b[o] - mean[o]) s[o] + beta[o]` with `s = gamma / sqrt(var +
/// eps)`, in f64 and rounded once to f32.
fn fold_batch_norm(
    w: &mut [f32],
    b: &mut [f32],
    params: &HashMap<String, Vec<f32>>,
    bn: &str,
    eps: f64,
) {
    let get = |t: &str| &params[&format!("{bn}.{t}")];
    let (gamma, beta) = (get("weight"), get("bias"));
    let (mean, var) = (get("running_mean"), get("running_var"));
    let k = w.len() / b.len();
    for (o, (row, b)) in w.chunks_exact_mut(k).zip(b.iter_mut()).enumerate() {
        let s = gamma[o] as f64 / (var[o] as f64 + eps).sqrt();
        for v in row {
            *v = (*v as f64 * s) as f32;
        }
        *b = ((*b as f64 - mean[o] as f64) * s + beta[o] as f64) as f32;
    }
}

fn table(out: &mut Vec<Entry>, p: &str, act: Int8Act, input: QuantParams, output: QuantParams) {
    let t = build_table(|v| act.real(v), input, output);
    out.push(Entry::int8(format!("{p}.table"), vec![256], &t));
}

/// `{p}.{what}scale` and `{p}.{what}zero_point`, as scalars.
fn qparams(out: &mut Vec<Entry>, p: &str, what: &str, q: QuantParams) {
    out.push(Entry::new(format!("{p}.{what}scale"), vec![], &[q.scale]));
    out.push(Entry::int32(
        format!("{p}.{what}zero_point"),
        vec![],
        &[q.zero_point],
    ));
}
