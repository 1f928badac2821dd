//! What a declared model costs to run, known while the macro expands: its stored values,
//! multiply-accumulates per sample (per step for sequences) and the embedded form's scratch,
//! in total and per top-level layer. The generated consts and the `budget:` rule read them.

use crate::embedded_layout::{layout, Layout};
use crate::tree::{Node, Resolved};

/// One top-level layer's share of the cost.
pub struct LayerCost {
    /// `layers.3`.
    pub name: String,
    /// `[784] -> [256]`.
    pub shapes: String,
    /// Stored values: parameters and buffers, step counters left out.
    pub values: usize,
    pub macs: u64,
    /// Values the layer adds to the embedded scratch: its recurrent state.
    pub state: usize,
    /// Its output's values per sample (per step), which one scratch buffer must hold.
    pub width: usize,
    /// Bytes of its int8 form (`precision: int8`).
    pub int8_bytes: usize,
    /// Bytes its int8 form adds to the scratch: its recurrent state.
    pub int8_state: usize,
}

/// The whole model's cost, with the embedded form's layout it was read from.
pub struct Cost<'a> {
    pub layers: Vec<LayerCost>,
    /// Stored values (parameters and buffers, without step counters): the model file.
    pub values: usize,
    pub macs: u64,
    /// The widest buffer a layer reads or writes: the input or a layer's output.
    pub widest: usize,
    /// The embedded scratch: two buffers of `widest` values, the composites' work area and
    /// every recurrent state.
    pub scratch_values: usize,
    /// The input's values per sample (per step for sequences).
    pub per_step_in: usize,
    /// Rows each scratch buffer holds: the sequence's steps when a layer needs the whole
    /// sequence (the network then runs layer by layer over it), else 1.
    pub rows: usize,
    /// The embedded forward over the scratch; its `work` is the composites' work area.
    pub layout: Layout<'a>,
    /// A custom layer, whose tensors and products only the compiler sees.
    pub custom: Option<String>,
    /// `precision: int8`: the embedded form's bytes are its int8 form's.
    pub int8: bool,
    /// Whether every layer has an int8 form (the layers' `int8_bytes` then add up to it).
    pub int8_form: bool,
}

impl<'a> Cost<'a> {
    pub fn of(net: &'a Resolved) -> Cost<'a> {
        let per_step_in = net.per_step_input();
        let widest = net
            .layers
            .iter()
            .map(|l| l.output.numel())
            .chain([per_step_in])
            .max()
            .unwrap_or(1);
        let lay = layout(&net.layers, per_step_in, net.output.numel(), widest);
        let int8 = crate::int8::kernels(net);
        let int8_form = !int8
            .iter()
            .any(|k| matches!(k.role, crate::int8::Role8::Unsupported(_)));
        let mut layers: Vec<LayerCost> = net
            .layers
            .iter()
            .zip(&int8)
            .map(|(l, k)| layer_cost(l, &lay, k))
            .collect();
        // The LSTMs' shared gate tables, counted with the first.
        let lstm = int8
            .iter()
            .position(|k| matches!(k.role, crate::int8::Role8::Lstm { .. }));
        if let Some(i) = lstm {
            layers[i].int8_bytes += crate::int8::LSTM_TABLE_BYTES;
        }
        let custom = net.layers.iter().find_map(|l| {
            let mut tys = Vec::new();
            l.kind.custom_types(&mut tys);
            (!tys.is_empty()).then(|| l.prefix())
        });
        let rows = if lay.whole { net.steps.unwrap_or(1) } else { 1 };
        // A whole-sequence forward after a reduction over time keeps every step's output.
        let ys = if lay.whole && net.reduced {
            rows * net.output.numel()
        } else {
            0
        };
        Cost {
            values: layers.iter().map(|l| l.values).sum(),
            macs: layers.iter().map(|l| l.macs).sum(),
            scratch_values: rows * (2 * widest + lay.work)
                + ys
                + layers.iter().map(|l| l.state).sum::<usize>(),
            rows,
            per_step_in,
            layout: lay,
            widest,
            layers,
            custom,
            int8: net.int8,
            int8_form,
        }
    }

    /// The embedded scratch's bytes: `elem` bytes per value, or the int8 form's.
    pub fn scratch_bytes(&self, elem: usize) -> u64 {
        if self.int8 {
            return self.int8_scratch_bytes() as u64;
        }
        (self.scratch_values * elem) as u64
    }

    /// The int8 form's scratch: two i8 buffers of `widest` values and every recurrent state
    /// (aligned to 2 bytes when an LSTM's int16 cell is there).
    pub fn int8_scratch_bytes(&self) -> usize {
        let states: usize = self.layers.iter().map(|l| l.int8_state).sum();
        let align = if states > 0 { 2 } else { 1 };
        (2 * self.widest + states).next_multiple_of(align)
    }
}

fn layer_cost(l: &Node, lay: &Layout, int8: &crate::int8::Int8Kernel) -> LayerCost {
    let values = l
        .tensors()
        .iter()
        .filter(|t| !t.is_counter() && t.from_type.is_none())
        .map(|t| t.shape.iter().product::<usize>())
        .sum();
    // The recurrent states of the layer and of any layer inside it.
    let state = lay
        .leaves
        .iter()
        .filter(|leaf| leaf.within(&l.prefix()))
        .map(|leaf| leaf.state_len())
        .sum();
    LayerCost {
        name: l.prefix(),
        shapes: format!("{} -> {}", l.input, l.output),
        values,
        macs: l.kind.macs(&l.input, &l.output),
        state,
        width: l.output.numel(),
        int8_bytes: int8.bytes(),
        int8_state: int8.state_bytes(),
    }
}

/// `1.5 KiB`, `340 bytes`: sizes as the budget's units write them.
pub fn bytes_text(b: u64) -> String {
    const KIB: f64 = 1024.0;
    let v = b as f64;
    match b {
        0..1024 => format!("{b} bytes"),
        _ if v < KIB * KIB => format!("{:.1} KiB", v / KIB),
        _ if v < KIB * KIB * KIB => format!("{:.1} MiB", v / (KIB * KIB)),
        _ => format!("{:.1} GiB", v / (KIB * KIB * KIB)),
    }
}

/// `218,000`: a count with thousands separated.
pub fn count_text(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
