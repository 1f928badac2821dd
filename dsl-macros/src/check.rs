//! Stage 2: meaning and shapes. Resolves every layer to its kind, threads the per-sample shape
//! through the list with each kind's shape rule, fuses activations into the layer before them,
//! and checks the declared output and the loss. Errors are collected, not thrown: after a shape
//! error the remaining layers are still parsed (their own errors are reported), but no further
//! shape errors are derived from a shape that is already wrong.

use proc_macro2::Span;
use syn::{Attribute, Ident, Visibility};

use crate::args::count;
use crate::ctxt::Ctxt;
use crate::layers::{self, activation::ActLayer, compose, ActSpec, LayerKind, Prev};
use crate::loc::Loc;
use crate::loss::LossSpec;
use crate::parse::{arg_loc, Arg, BlockDef, FieldValue, Item, LayerCall, NetworkDecl, Value};
use crate::shape::Shape;

/// A declaration whose every layer is known and every shape agrees.
pub struct Checked {
    pub attrs: Vec<Attribute>,
    pub vis: Visibility,
    pub name: Ident,
    pub input: Shape,
    pub layers: Vec<CheckedLayer>,
    pub output: Shape,
    pub loss: LossSpec,
    /// Whether samples are sequences of runtime length (`input: [seq, F]`).
    pub seq: bool,
    /// The fixed number of steps of `input: [seq(n), F]`.
    pub steps: Option<usize>,
    /// Legal but suspicious declarations, emitted as compiler warnings.
    pub warnings: Vec<(Loc, String)>,
    /// Whether to emit the embedded form `{Name}Embedded` (`embedded: true`, or implied by
    /// `weights`).
    pub embedded: bool,
    /// `weights: "file.safetensors"`: weights to bake into `{Name}Embedded::WEIGHTS`.
    pub weights: Option<syn::LitStr>,
}

/// One emitted layer: `index` is its position in `layers: [...]` (PyTorch's `layers.{index}`).
pub struct CheckedLayer {
    pub index: usize,
    pub loc: Loc,
    pub kind: Box<dyn LayerKind>,
    pub input: Shape,
    pub output: Shape,
}

const FIELDS: &str =
    "`input`, `layers`, `output` and `loss` (and optionally `embedded` and `weights`)";

pub fn check(decl: NetworkDecl, cx: &mut Ctxt) -> Option<Checked> {
    let mut input = None;
    let mut layer_calls = None;
    let mut output = None;
    let mut loss_call = None;
    let mut embedded = None;
    let mut weights = None;
    for field in &decl.fields {
        let key = field.key.to_string();
        let slot_taken = match (key.as_str(), &field.value) {
            ("input", FieldValue::Dims(d, s)) => input.replace((d, *s)).is_some(),
            ("output", FieldValue::Dims(d, s)) => output.replace((d, *s)).is_some(),
            ("layers", FieldValue::Layers(l, s)) => layer_calls.replace((l, *s)).is_some(),
            ("loss", FieldValue::Call(c)) => loss_call.replace(c).is_some(),
            ("embedded", FieldValue::Lit(syn::Lit::Bool(b))) => embedded.replace(b.value).is_some(),
            ("weights", FieldValue::Lit(syn::Lit::Str(s))) => weights.replace(s.clone()).is_some(),
            ("embedded", _) => {
                cx.error_spanned_by(&field.key, "`embedded` takes `true` or `false`");
                false
            }
            ("weights", _) => {
                cx.error_spanned_by(
                    &field.key,
                    "`weights` takes the path of a safetensors file relative to the crate's Cargo.toml, e.g. `weights: \"model.safetensors\"`",
                );
                false
            }
            ("input" | "output", _) => {
                cx.error_spanned_by(
                    &field.key,
                    format!("`{key}` takes a shape in brackets, e.g. `{key}: [64]`"),
                );
                false
            }
            ("layers", _) => {
                cx.error_spanned_by(
                    &field.key,
                    "`layers` takes a bracketed list, e.g. `layers: [dense(10)]`",
                );
                false
            }
            ("loss", _) => {
                cx.error_spanned_by(
                    &field.key,
                    "`loss` takes a loss name, e.g. `loss: softmax_cross_entropy`",
                );
                false
            }
            _ => {
                let hint = match layers::closest(
                    &key,
                    &["input", "layers", "output", "loss", "embedded", "weights"],
                ) {
                    Some(s) => format!(" (did you mean `{s}`?)"),
                    None => String::new(),
                };
                cx.error_spanned_by(
                    &field.key,
                    format!("unknown field `{key}`{hint}; a network declares {FIELDS}"),
                );
                false
            }
        };
        if slot_taken {
            cx.error_spanned_by(&field.key, format!("`{key}` is declared twice"));
        }
    }
    // Nothing to underline for a missing field: point at the network's name, as rustc does for
    // a struct literal missing a field.
    let name = &decl.name;
    let missing = |what: &str, example: &str, cx: &mut Ctxt| {
        cx.error_spanned_by(
            name,
            format!("`{name}` is missing `{what}`; add e.g. `{example}`"),
        );
    };
    if input.is_none() {
        missing("input", "input: [64],", cx);
    }
    if layer_calls.is_none() {
        missing("layers", "layers: [dense(10)],", cx);
    }
    if loss_call.is_none() {
        cx.error_spanned_by(
            name,
            format!("`{name}` is missing `loss`; training needs one (e.g. `loss: softmax_cross_entropy,`), or write `loss: none,` for an inference-only network"),
        );
    }

    let input_seq = input.is_some_and(|(dims, _)| is_seq(dims));
    let steps = input.and_then(|(dims, _)| fixed_steps(dims, cx));
    let input_shape = input.and_then(|(dims, span)| dims_shape(dims, span, "input", cx));
    let declared_output = output.and_then(|(dims, span)| {
        if is_seq(dims) && !input_seq {
            cx.error_at(
                span,
                "`output: [seq, ..]` needs a sequence input: declare `input: [seq, features]`",
            );
        }
        dims_shape(dims, span, "output", cx).map(|s| (s, span))
    });
    let loss = loss_call.and_then(|c| LossSpec::parse(c, cx).map(|l| (l, c)));

    let mut checked: Vec<CheckedLayer> = Vec::new();
    let mut shape = input_shape.clone();
    let mut last_item: Option<(usize, &Item)> = None;
    if let Some((items, span)) = layer_calls {
        if items.is_empty() {
            cx.error_at(
                span,
                "`layers` is empty; a network needs at least one layer",
            );
        }
        let scope = Scope {
            blocks: &decl.blocks,
            path: "layers".into(),
            depth: 0,
            seq: input_seq,
        };
        let (layers, out) = check_seq(items, shape.take(), &scope, cx);
        checked = layers;
        shape = out;
        last_item = items.iter().enumerate().next_back();
    }

    if let (Some(actual), Some((declared, span))) = (&shape, &declared_output) {
        if actual != declared {
            let last = last_item
                .map(|(i, c)| format!(" `{}` (layers[{i}])", c.name()))
                .unwrap_or_default();
            // Sequence shapes are shown as declared: `[seq, 65]`.
            let show = |s: &Shape| {
                if input_seq {
                    format!("[seq, {}", s.to_string().trim_start_matches('['))
                } else {
                    s.to_string()
                }
            };
            let (declared, actual) = (show(declared), show(actual));
            cx.error_at(
                *span,
                format!("the declared output {declared} does not match {actual}, the output of the last layer{last}; write `output: {actual}` or change that layer"),
            );
        }
    }
    if let (Some(out), Some((l, call))) = (&shape, &loss) {
        l.check(call, out, cx);
    }
    if cx.has_errors() {
        return None;
    }
    // [CS 2.3]: two affine maps with nothing between them collapse into one.
    let warnings = checked
        .windows(2)
        .filter(|w| w[1].index == w[0].index + 1 && w[0].kind.is_affine() && w[1].kind.is_affine())
        .map(|w| {
            (
                w[1].loc,
                format!(
                    "layers[{}] follows layers[{}] with no activation between them: two affine maps collapse into one; add an activation or merge them",
                    w[1].index, w[0].index
                ),
            )
        })
        .collect();
    Some(Checked {
        attrs: decl.attrs,
        vis: decl.vis,
        name: decl.name,
        input: input_shape?,
        layers: checked,
        output: shape?,
        loss: loss?.0,
        seq: input_seq,
        steps,
        warnings,
        embedded: embedded.unwrap_or(false) || weights.is_some(),
        weights,
    })
}

/// `[seq, ...]`: the first dimension is the runtime number of time steps.
fn is_seq(dims: &[Value]) -> bool {
    matches!(dims.first(), Some(Value::Ident(i)) if i == "seq")
        || matches!(dims.first(), Some(Value::Call(i, _, _)) if i == "seq")
}

/// The fixed length of `[seq(32), ...]`, if one is given (errors recorded).
fn fixed_steps(dims: &[Value], cx: &mut Ctxt) -> Option<usize> {
    match dims.first() {
        Some(Value::Call(i, args, loc)) if i == "seq" => match args.as_slice() {
            [n] => count(n, "the sequence length", 1, cx),
            _ => {
                cx.error_spanned_by(
                    loc,
                    "`seq(n)` takes one length, e.g. `input: [seq(32), 65]`",
                );
                None
            }
        },
        _ => None,
    }
}

/// The per-sample (per-step for sequences) shape of `[dims]` or `[seq, dims]`.
fn dims_shape(dims: &[Value], span: Span, what: &str, cx: &mut Ctxt) -> Option<Shape> {
    let dims = if is_seq(dims) { &dims[1..] } else { dims };
    if dims.is_empty() {
        cx.error_at(
            span,
            format!("`{what}` needs at least one dimension, e.g. `[64]`"),
        );
        return None;
    }
    let parsed: Vec<Option<usize>> = dims
        .iter()
        .map(|d| count(d, &format!("an {what} dimension"), 1, cx))
        .collect();
    parsed.into_iter().collect::<Option<Vec<_>>>().map(Shape)
}

/// Where a sequence of items sits, for messages, and the blocks it may use.
struct Scope<'a> {
    /// Whether samples are sequences (`input: [seq, F]`).
    seq: bool,
    blocks: &'a [BlockDef],
    /// `layers`, `layers[3].main`, ...
    path: String,
    depth: usize,
}

impl Scope<'_> {
    fn child(&self, path: String) -> Scope<'_> {
        Scope {
            blocks: self.blocks,
            path,
            depth: self.depth + 1,
            seq: self.seq,
        }
    }
}

/// Checks a sequence of items from `input`; returns the emitted layers (activations fused,
/// `flatten` folded into the shapes) and the output shape, `None` after a shape error.
fn check_seq(
    items: &[Item],
    input: Option<Shape>,
    scope: &Scope,
    cx: &mut Ctxt,
) -> (Vec<CheckedLayer>, Option<Shape>) {
    let mut checked: Vec<CheckedLayer> = Vec::new();
    let mut shape = input;
    let mut last_was_fusable = false;
    if scope.depth > 16 {
        if let Some(first) = items.first() {
            cx.error_spanned_by(
                first.loc(),
                "blocks nest more than 16 deep; does a block use itself?",
            );
        }
        return (checked, None);
    }
    for (index, item) in items.iter().enumerate() {
        let prev_what = match index {
            0 if scope.depth == 0 => "the network input".to_string(),
            0 => format!("the input of {}", scope.path),
            i => format!("`{}` ({}[{}])", items[i - 1].name(), scope.path, i - 1),
        };
        let prev = Prev { what: &prev_what };
        let here = format!("{}[{index}]", scope.path);
        let kind: Box<dyn LayerKind> = match item {
            Item::Call(call) => {
                if call.name == "flatten" {
                    if let Some(cur) = shape.take() {
                        shape = layers::flatten::output_shape(call, &cur, &prev, cx);
                    } else {
                        layers::flatten::check_args(call, cx);
                    }
                    continue;
                }
                // Activations: fused into the layer before when it takes them.
                match ActSpec::parse(call, cx) {
                    Some(Some(act)) => {
                        if last_was_fusable {
                            if let Some(prev) = checked.last_mut() {
                                if prev.kind.fuse(&act) {
                                    last_was_fusable = false;
                                    continue;
                                }
                            }
                        }
                        Box::new(ActLayer { act })
                    }
                    Some(None) => {
                        last_was_fusable = false;
                        continue;
                    }
                    None => match scope.blocks.iter().find(|b| b.name == call.name) {
                        Some(block) => {
                            let Some(items) = instantiate(block, call, cx) else {
                                shape = None;
                                continue;
                            };
                            let (inner, out) = check_seq(
                                &items,
                                shape.take(),
                                &scope.child(format!("{here} (`{}`)", block.name)),
                                cx,
                            );
                            let Some(out) = out else { continue };
                            let Some(input) = inner.first().map(|l| l.input.clone()) else {
                                // A block that only reshapes or is empty.
                                shape = Some(out);
                                continue;
                            };
                            shape = Some(out.clone());
                            last_was_fusable = true;
                            checked.push(CheckedLayer {
                                index,
                                loc: call.loc,
                                kind: Box::new(compose::Seq::new(inner)),
                                input,
                                output: out,
                            });
                            continue;
                        }
                        None => match layers::parse_layer(call, cx) {
                            Some(k) => k,
                            None => {
                                shape = None;
                                last_was_fusable = false;
                                continue;
                            }
                        },
                    },
                }
            }
            Item::Residual {
                kw,
                main,
                shortcut,
                loc,
            } => {
                let Some(cur) = shape.take() else { continue };
                let (m, mout) = check_seq(
                    main,
                    Some(cur.clone()),
                    &scope.child(format!("{here}.main")),
                    cx,
                );
                let (sc, sout) = match shortcut {
                    Some(items) => check_seq(
                        items,
                        Some(cur.clone()),
                        &scope.child(format!("{here}.shortcut")),
                        cx,
                    ),
                    None => (Vec::new(), Some(cur.clone())),
                };
                if main.is_empty() {
                    cx.error_spanned_by(
                        kw,
                        "`residual { ... }` needs at least one layer in its main branch",
                    );
                    continue;
                }
                let (Some(mout), Some(sout)) = (mout, sout) else {
                    continue;
                };
                if mout != sout {
                    let fix = if shortcut.is_none() {
                        "; add a projection, e.g. `shortcut { conv2d(channels, 1, stride) }`"
                    } else {
                        ""
                    };
                    cx.error_spanned_by(
                        loc,
                        format!("the branches of this residual block disagree: the main branch produces {mout}, the shortcut {sout}{fix}"),
                    );
                    continue;
                }
                shape = Some(mout.clone());
                last_was_fusable = true;
                checked.push(CheckedLayer {
                    index,
                    loc: *loc,
                    kind: Box::new(compose::Residual::new(
                        compose::Seq::new(m),
                        compose::Seq::with_identity(sc, &cur),
                    )),
                    input: cur,
                    output: mout,
                });
                continue;
            }
            Item::Concat { kw, branches, loc } => {
                let Some(cur) = shape.take() else { continue };
                if branches.len() < 2 {
                    cx.error_spanned_by(kw, "`concat { [..], [..] }` needs at least two branches");
                    continue;
                }
                let mut seqs = Vec::new();
                let mut outs = Vec::new();
                for (b, items) in branches.iter().enumerate() {
                    let (layers, out) = check_seq(
                        items,
                        Some(cur.clone()),
                        &scope.child(format!("{here}.{b}")),
                        cx,
                    );
                    seqs.push(compose::Seq::with_identity(layers, &cur));
                    outs.push(out);
                }
                let Some(outs) = outs.into_iter().collect::<Option<Vec<_>>>() else {
                    continue;
                };
                let Some(out) = compose::concat_shape(&outs, loc, cx) else {
                    continue;
                };
                shape = Some(out.clone());
                last_was_fusable = false;
                checked.push(CheckedLayer {
                    index,
                    loc: *loc,
                    kind: Box::new(compose::Concat::new(seqs)),
                    input: cur,
                    output: out,
                });
                continue;
            }
        };
        last_was_fusable = true;
        let Item::Call(call) = item else { continue };
        if kind.recurrent() {
            if !scope.seq {
                cx.error_spanned_by(
                    call.loc,
                    format!(
                        "`{}` runs over sequences: declare the input as `input: [seq, features]`",
                        call.name
                    ),
                );
                shape = None;
                continue;
            }
            if scope.depth > 0 {
                cx.error_spanned_by(call.loc, format!("`{}` cannot be used inside a block, residual or concat yet; put it in `layers: [...]` directly", call.name));
                shape = None;
                continue;
            }
        }
        let Some(cur) = shape.take() else { continue };
        if let Some(out) = kind.output_shape(call, &cur, &prev, cx) {
            shape = Some(out.clone());
            checked.push(CheckedLayer {
                index,
                loc: call.loc,
                kind,
                input: cur,
                output: out,
            });
        }
    }
    (checked, shape)
}

/// The items of `block` with its parameters replaced by the call's arguments.
fn instantiate(block: &BlockDef, call: &LayerCall, cx: &mut Ctxt) -> Option<Vec<Item>> {
    let positional: Vec<&Value> = call
        .args
        .iter()
        .filter_map(|a| match a {
            Arg::Positional(v) => Some(v),
            other => {
                cx.error_spanned_by(
                    arg_loc(other),
                    format!("block `{}` takes plain values in order", block.name),
                );
                None
            }
        })
        .collect();
    if positional.len() != block.params.len() || positional.len() != call.args.len() {
        let names: Vec<String> = block.params.iter().map(|p| p.to_string()).collect();
        cx.error_spanned_by(
            call.loc,
            format!(
                "block `{}` takes {} argument(s) ({}), got {}",
                block.name,
                block.params.len(),
                names.join(", "),
                call.args.len()
            ),
        );
        return None;
    }
    let map: Vec<(String, Value)> = block
        .params
        .iter()
        .map(|p| p.to_string())
        .zip(positional.into_iter().cloned())
        .collect();
    Some(block.items.iter().map(|i| i.substitute(&map)).collect())
}
