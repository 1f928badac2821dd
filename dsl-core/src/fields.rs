//! The fields of a declaration (`input`, `layers`, `output`, `loss`, `embedded`, `weights`,
//! `precision`, `budget`):
//! each read once, with an error for an unknown, repeated, missing or mistyped one, and the
//! `input`/`output` dimensions read into shapes with hints for the usual slips (a batch
//! dimension, `-1`, `sequence` for `seq`, channels-last images).

use proc_macro2::Span;

use crate::args::count;
use crate::diag::Ctxt;
use crate::parse::{FieldValue, Item, LayerCall, Limit, NetworkDecl, Value};
use crate::shape::Shape;
use crate::suggest::closest;

const FIELDS: &[&str] = &[
    "input",
    "layers",
    "output",
    "loss",
    "embedded",
    "weights",
    "precision",
    "budget",
];
const FIELD_LIST: &str = "`input`, `layers`, `output` and `loss` (and optionally `embedded`, `weights`, `precision` and `budget`)";

const PRECISION_FORMS: &str = "`precision` takes `f32` (the default) or `int8` (with `weights:` naming a file written by `kiln::quantize`)";

/// The fields as written (each `None` when absent or unreadable).
#[derive(Default)]
pub struct Fields<'a> {
    pub input: Option<(&'a [Value], Span)>,
    pub layers: Option<(&'a [Item], Span)>,
    pub output: Option<(&'a [Value], Span)>,
    pub loss: Option<&'a LayerCall>,
    pub embedded: bool,
    pub weights: Option<syn::LitStr>,
    /// `precision: int8`: the embedded form runs in int8 from a quantised weights file.
    pub int8: bool,
    /// `budget: { .. }`: the limits as written, and the field's key.
    pub budget: Option<(&'a [Limit], &'a syn::Ident)>,
}

/// Reads every field, recording what is wrong with each.
pub fn read<'a>(decl: &'a NetworkDecl, cx: &mut Ctxt) -> Fields<'a> {
    let mut f = Fields::default();
    let mut seen: Vec<String> = Vec::new();
    for field in &decl.fields {
        let key = field.key.to_string();
        if seen.contains(&key) {
            cx.error_spanned_by(&field.key, format!("`{key}` is declared twice"));
            continue;
        }
        seen.push(key.clone());
        match (key.as_str(), &field.value) {
            ("input", FieldValue::Dims(d, s)) => f.input = Some((d, *s)),
            ("output", FieldValue::Dims(d, s)) => f.output = Some((d, *s)),
            ("layers", FieldValue::Layers(l, s)) => f.layers = Some((l, *s)),
            ("loss", FieldValue::Call(c)) => f.loss = Some(c),
            ("embedded", FieldValue::Lit(syn::Lit::Bool(b))) => f.embedded = b.value,
            ("weights", FieldValue::Lit(syn::Lit::Str(s))) => f.weights = Some(s.clone()),
            ("budget", FieldValue::Limits(l)) => f.budget = Some((l, &field.key)),
            ("precision", FieldValue::Call(c)) if c.args.is_empty() && c.name == "int8" => {
                f.int8 = true
            }
            ("precision", FieldValue::Call(c)) if c.args.is_empty() && c.name == "f32" => {}
            ("precision", FieldValue::Call(c)) => cx.error_spanned_by(c.loc, PRECISION_FORMS),
            _ => wrong_field(&field.key, &key, cx),
        }
    }
    if f.int8 && f.weights.is_none() {
        if let Some(field) = decl.fields.iter().find(|fd| fd.key == "precision") {
            cx.error_spanned_by(&field.key, "`precision: int8` bakes a quantised model: add `weights: \"model.int8.safetensors\"`, the file `kiln::quantize` writes");
        }
    }
    missing_fields(decl, cx);
    f
}

/// A known field with a value of the wrong form, or an unknown field.
fn wrong_field(key_tok: &syn::Ident, key: &str, cx: &mut Ctxt) {
    let msg = match key {
        "embedded" => "`embedded` takes `true` or `false`".to_string(),
        "weights" => "`weights` takes the path of a safetensors file relative to the crate's Cargo.toml, e.g. `weights: \"model.safetensors\"`".to_string(),
        "input" | "output" => format!("`{key}` takes a shape in brackets, e.g. `{key}: [64]`"),
        "layers" => "`layers` takes a bracketed list, e.g. `layers: [dense(10)]`".to_string(),
        "loss" => "`loss` takes a loss name, e.g. `loss: softmax_cross_entropy`".to_string(),
        "precision" => PRECISION_FORMS.to_string(),
        "budget" => format!("`budget` takes limits in braces, e.g. `{}`", crate::budget::EXAMPLE),
        _ => {
            let hint = match closest(key, FIELDS) {
                Some(s) => format!(" (did you mean `{s}`?)"),
                None => String::new(),
            };
            format!("unknown field `{key}`{hint}; a network declares {FIELD_LIST}")
        }
    };
    cx.error_spanned_by(key_tok, msg);
}

/// Nothing to underline for a missing field: point at the network's name, as rustc does for a
/// struct literal missing a field.
fn missing_fields(decl: &NetworkDecl, cx: &mut Ctxt) {
    let name = &decl.name;
    let missing = |what: &str, example: &str, cx: &mut Ctxt| {
        cx.error_spanned_by(
            name,
            format!("`{name}` is missing `{what}`; add e.g. `{example}`"),
        );
    };
    let present = |k: &str| decl.fields.iter().any(|fd| fd.key == k);
    if !present("input") {
        missing("input", "input: [64],", cx);
    }
    if !present("layers") {
        missing("layers", "layers: [dense(10)],", cx);
    }
    if !present("loss") {
        cx.error_spanned_by(
            name,
            format!("`{name}` is missing `loss`; training needs one (e.g. `loss: softmax_cross_entropy,`), or write `loss: none,` for an inference-only network"),
        );
    }
}

/// `input`/`output` dimensions as declared.
pub struct Dims {
    /// `[seq, ...]`: the first dimension is the number of time steps.
    pub seq: bool,
    /// The fixed length of `[seq(32), ...]`, if one is given.
    pub steps: Option<usize>,
    /// The per-sample (per-step for sequences) shape; `None` after an error.
    pub shape: Option<Shape>,
    pub span: Span,
}

const SEQ_SPELLINGS: &[&str] = &["sequence", "time", "steps", "timesteps", "seq_len", "T"];
const BATCH_SPELLINGS: &[&str] = &["batch", "batch_size", "None", "N", "B", "_"];

/// Reads `[dims]`, `[seq, dims]` or `[seq(n), dims]` of the field `what`.
pub fn dims(values: &[Value], span: Span, what: &str, cx: &mut Ctxt) -> Dims {
    let mut rest = values;
    let mut seq = false;
    let mut steps = None;
    match values.first() {
        Some(Value::Ident(i)) if i == "seq" => (seq, rest) = (true, &values[1..]),
        Some(Value::Call(i, args, loc)) if i == "seq" => {
            (seq, rest) = (true, &values[1..]);
            steps = match args.as_slice() {
                [crate::parse::Arg::Positional(n)] => count(n, "the sequence length", 1, cx),
                _ => {
                    cx.error_spanned_by(
                        loc,
                        "`seq(n)` takes one length, e.g. `input: [seq(32), 65]`",
                    );
                    None
                }
            };
        }
        Some(Value::Ident(i)) if SEQ_SPELLINGS.contains(&i.to_string().as_str()) => {
            cx.error_spanned_by(i, format!("`{i}` is not a dimension; a sequence of time steps is written `seq` (any length) or `seq(32)` (a fixed length), e.g. `{what}: [seq, 65]`"));
            (seq, rest) = (true, &values[1..]);
        }
        Some(first) if is_batch(first) => {
            let per_sample: Vec<String> = values[1..].iter().map(Value::source).collect();
            cx.error_spanned_by(first.loc(), format!("the batch is not declared: kiln shapes are per sample and the batch size is chosen at run time; write `{what}: [{}]`", per_sample.join(", ")));
            rest = &values[1..];
        }
        _ => {}
    }
    let shape = per_sample_shape(rest, span, what, cx);
    Dims {
        seq,
        steps,
        shape,
        span,
    }
}

fn is_batch(v: &Value) -> bool {
    match v {
        Value::Float(x, _) => *x == -1.0,
        Value::Ident(i) => BATCH_SPELLINGS.contains(&i.to_string().as_str()),
        _ => false,
    }
}

fn per_sample_shape(dims: &[Value], span: Span, what: &str, cx: &mut Ctxt) -> Option<Shape> {
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

/// `input: [28, 28, 1]`: an image written height, width, channels.
pub fn channels_last(input: &Dims, cx: &mut Ctxt) -> bool {
    let Some(Shape(d)) = &input.shape else {
        return false;
    };
    let looks = !input.seq && d.len() == 3 && d[0] == d[1] && [1, 3, 4].contains(&d[2]) && d[0] > 4;
    if looks {
        cx.error_at(
            input.span,
            format!(
                "`input: [{h}, {w}, {c}]` reads as an image in channels-last order (height, width, channels); kiln's images are [channels, height, width] as in PyTorch: write `input: [{c}, {h}, {w}]`",
                h = d[0],
                w = d[1],
                c = d[2]
            ),
        );
    }
    looks
}
