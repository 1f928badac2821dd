//! Declaration-level rules, each a small named check over the fields and the resolved layers:
//! blocks are declared once, `layers` is not empty, `output` says what the last layer
//! produces (shape, per step or per sequence, step count), the loss suits the output, and no
//! two affine maps collapse into one (a warning).

use std::collections::HashSet;

use crate::diag::Ctxt;
use crate::fields::Dims;
use crate::parse::{Item, NetworkDecl};
use crate::shape::Shape;
use crate::tree::Node;

/// `block name` declared twice: the second would be silently ignored.
pub fn blocks_declared_once(decl: &NetworkDecl, cx: &mut Ctxt) {
    let mut seen = HashSet::new();
    for b in &decl.blocks {
        if !seen.insert(b.name.to_string()) {
            cx.error_spanned_by(
                &b.name,
                format!("block `{}` is declared twice; rename one of them", b.name),
            );
        }
    }
}

/// `layers: []`.
pub fn layers_not_empty(items: &[Item], span: proc_macro2::Span, cx: &mut Ctxt) {
    if items.is_empty() {
        cx.error_at(
            span,
            "`layers` is empty; a network needs at least one layer",
        );
    }
}

/// The declared `output` against what the last layer produces.
pub fn output_matches(
    input: &Dims,
    output: &Dims,
    actual: Option<&Shape>,
    reduced: bool,
    last: Option<(usize, &Item)>,
    cx: &mut Ctxt,
) {
    if output.seq && !input.seq {
        cx.error_at(
            output.span,
            "`output: [seq, ..]` needs a sequence input: declare `input: [seq, features]`",
        );
        return;
    }
    if input.seq && reduced && output.seq {
        if let Some(a) = actual {
            cx.error_at(output.span, format!("a reduction over time makes one output per sequence, {a}; declare `output: {a}`"));
        }
        return;
    }
    if input.seq && !reduced && !output.seq {
        if let Some(a) = actual {
            let per_step = a.to_string();
            let per_step = per_step.trim_start_matches('[');
            cx.error_at(output.span, format!("this sequence network produces one output per step, [seq, {per_step}; declare `output: [seq, {per_step}`, or reduce each sequence to one output with `last_step`, `mean_over_time` or `max_over_time` before the per-sequence layers"));
        }
        return;
    }
    if let (Some(i), Some(o)) = (input.steps, output.steps) {
        if i != o {
            cx.error_at(output.span, format!("`output` declares {o} steps but `input` declares {i}; every layer keeps the number of steps, so write `seq({i})` in both"));
            return;
        }
    }
    let (Some(actual), Some(declared)) = (actual, &output.shape) else {
        return;
    };
    if actual == declared {
        return;
    }
    let last = last
        .map(|(i, c)| format!(" `{}` (layers[{i}])", c.name()))
        .unwrap_or_default();
    let show = |s: &Shape| {
        if input.seq && !reduced {
            format!("[seq, {}", s.to_string().trim_start_matches('['))
        } else {
            s.to_string()
        }
    };
    let (declared, actual) = (show(declared), show(actual));
    cx.error_at(
        output.span,
        format!("the declared output {declared} does not match {actual}, the output of the last layer{last}; write `output: {actual}` or change that layer"),
    );
}

/// Two affine maps with nothing between them collapse into one: legal, but a likely slip.
pub fn affine_collapse(nodes: &[Node], cx: &mut Ctxt) {
    for w in nodes.windows(2) {
        if w[1].index == w[0].index + 1 && w[0].kind.is_affine() && w[1].kind.is_affine() {
            cx.warn_at(
                w[1].loc.start,
                format!(
                    "layers[{}] follows layers[{}] with no activation between them: two affine maps collapse into one; add an activation or merge them",
                    w[1].index, w[0].index
                ),
            );
        }
    }
}
