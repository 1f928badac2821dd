//! From the syntax tree to the resolved model: the fields, the input and output dimensions,
//! the layer lists through `resolve`, then the declaration's rules. Everything wrong is
//! recorded in the `Ctxt`; the result is the resolved model when nothing was, and a sketch of
//! what is known either way (for the stand-in emitted after errors).

use crate::budget;
use crate::cost::Cost;
use crate::diag::Ctxt;
use crate::fields::{self, Dims};
use crate::loss::LossSpec;
use crate::parse::NetworkDecl;
use crate::resolve::{resolve_list, Resolution, Scope};
use crate::rules;
use crate::tree::Resolved;

/// What is known of a declaration even when it has errors.
#[derive(Default, Clone, Copy)]
pub struct Sketch {
    /// Scalars per input sample (per step for sequences).
    pub input: Option<usize>,
    /// Scalars per output sample.
    pub output: Option<usize>,
    pub seq: bool,
    /// Whether the loss takes class labels (`None`: unknown loss).
    pub class_labels: Option<bool>,
    pub embedded: bool,
    /// `precision: int8`: the embedded form is int8.
    pub int8: bool,
}

/// Checks `decl`; the model is `Some` only when no error was recorded.
pub fn check(decl: &NetworkDecl, cx: &mut Ctxt) -> (Option<Resolved>, Sketch) {
    let f = fields::read(decl, cx);
    rules::blocks_declared_once(decl, cx);
    let input = f.input.map(|(d, s)| fields::dims(d, s, "input", cx));
    let output = f.output.map(|(d, s)| fields::dims(d, s, "output", cx));
    let loss = f.loss.and_then(|c| LossSpec::parse(c, cx).map(|l| (l, c)));
    let mut start = input.as_ref().and_then(|i| i.shape.clone());
    if input.as_ref().is_some_and(|i| fields::channels_last(i, cx)) {
        start = None;
    }
    if let (Some(s), Some(i)) = (&start, &input) {
        if s.numel() > crate::shape::MAX_NUMEL {
            cx.error_at(
                i.span,
                format!(
                    "the input has {} values per sample, more than kiln's limit of {}",
                    s.numel(),
                    crate::shape::MAX_NUMEL
                ),
            );
            start = None;
        }
    }
    let seq = input.as_ref().is_some_and(|i| i.seq);
    let mut res = Resolution {
        nodes: Vec::new(),
        output: None,
        reduced: false,
    };
    if let Some((items, span)) = f.layers {
        rules::layers_not_empty(items, span, cx);
        let scope = Scope {
            blocks: &decl.blocks,
            path: "layers".into(),
            depth: 0,
            seq,
            uses: Vec::new(),
        };
        res = resolve_list(items, start, &scope, cx);
        if let (Some(i), Some(o)) = (&input, &output) {
            let last = items.iter().enumerate().next_back();
            rules::output_matches(i, o, res.output.as_ref(), res.reduced, last, cx);
        }
    }
    if let (Some(out), Some((l, call))) = (&res.output, &loss) {
        l.check(call, out, res.nodes.last(), cx);
    }
    rules::affine_collapse(&res.nodes, cx);
    let sketch = Sketch {
        input: input
            .as_ref()
            .and_then(|i| i.shape.as_ref())
            .map(|s| s.numel()),
        output: output
            .as_ref()
            .and_then(|o| o.shape.as_ref())
            .or(res.output.as_ref())
            .map(|s| s.numel()),
        seq,
        class_labels: loss.as_ref().map(|(l, _)| l.class_labels()),
        embedded: f.embedded || f.weights.is_some() || f.int8,
        int8: f.int8,
    };
    let budget = f
        .budget
        .map(|(limits, key)| (budget::read(limits, key, cx), key));
    if cx.has_errors() {
        return (None, sketch);
    }
    let resolved = assemble(decl, input, res, loss.map(|(l, _)| l), &f);
    if let (Some(net), Some((b, key))) = (&resolved, &budget) {
        budget::within(b, &Cost::of(net), key, cx);
        if cx.has_errors() {
            return (None, sketch);
        }
    }
    (resolved, sketch)
}

fn assemble(
    decl: &NetworkDecl,
    input: Option<Dims>,
    res: Resolution,
    loss: Option<LossSpec>,
    f: &fields::Fields,
) -> Option<Resolved> {
    let input = input?;
    let mut nodes = res.nodes;
    let output = res.output?;
    if nodes.is_empty() {
        // Only reshapes (`layers: [flatten]`): one identity layer carries the data through.
        let shape = input.shape.clone()?;
        nodes.push(crate::tree::Node {
            index: 0,
            loc: crate::loc::Loc::of(decl.name.span()),
            kind: Box::new(crate::layers::compose::Seq::with_identity(
                Vec::new(),
                &shape,
            )),
            input: shape,
            output: output.clone(),
            uses: Vec::new(),
        });
    }
    Some(Resolved {
        attrs: decl.attrs.clone(),
        vis: decl.vis.clone(),
        name: decl.name.clone(),
        seq: input.seq,
        reduced: res.reduced,
        steps: input.steps,
        input: input.shape?,
        layers: nodes,
        output,
        loss: loss?,
        embedded: f.embedded || f.weights.is_some(),
        weights: f.weights.clone(),
        int8: f.int8,
    })
}
