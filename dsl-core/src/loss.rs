//! `loss: ...`: the training objective, checked against the network's output shape.
//! `softmax_cross_entropy` (options `label_smoothing = eps`, PyTorch's eps/K form, or
//! `label_smoothing_others = eps`, the eps/(K-1) form (old spelling `label_smoothing_notes`); `weight = [..]`, one per class),
//! `mse` (`half = true` for a 1/2 factor), `bce_with_logits` (`pos_weight = [..]` or one
//! number), `mae`, `huber(delta = 1.0)`, `smooth_l1(beta = 1.0)`, `none` for an
//! inference-only network, or a user type (`loss: MyLoss`) implementing the runtime's `Loss`.

use proc_macro2::TokenStream;
use quote::quote;

use crate::args::{boolean, number, Args};
use crate::diag::Ctxt;
use crate::loc::Loc;
use crate::parse::{LayerCall, Value};
use crate::shape::Shape;
use crate::tokens::rt;
use crate::tree::Node;

const LOSSES: &str =
    "softmax_cross_entropy, nll, mse, mae, huber, smooth_l1, bce_with_logits or none";

/// A parsed loss.
pub enum LossSpec {
    None,
    SoftmaxCe {
        smoothing: Option<(bool, f64)>,
        weights: Option<(Vec<f64>, Loc)>,
    },
    Mse {
        half: bool,
    },
    Bce {
        pos_weight: Option<(Vec<f64>, Loc)>,
    },
    Mae,
    Huber {
        delta: f64,
    },
    SmoothL1 {
        beta: f64,
    },
    Nll {
        weights: Option<(Vec<f64>, Loc)>,
    },
    /// `softmax_cross_entropy(per_position = true)`: one label per position of `[K, H, W]`
    /// (or `[K, L]`) logits, a segmentation head's loss.
    SpatialCe,
    /// A user type implementing `kiln::runtime::loss::Loss<T>` (and `Default`, `Clone`),
    /// named by its type name (`loss: WeightedHuber`).
    Custom(syn::Ident),
}

/// `[1.0, 2.0, ..]` (or one number, when `scalar_ok`) of finite values satisfying `ok`.
fn weights(
    v: &Value,
    what: &str,
    ok: impl Fn(f64) -> bool,
    range: &str,
    scalar_ok: bool,
    cx: &mut Ctxt,
) -> Option<(Vec<f64>, Loc)> {
    let items: Vec<&Value> = match v {
        Value::List(items, _) if !items.is_empty() => items.iter().collect(),
        Value::Int(..) | Value::Float(..) if scalar_ok => vec![v],
        other => {
            let form = if scalar_ok {
                "a number or a list"
            } else {
                "a list"
            };
            cx.error_spanned_by(
                other.loc(),
                format!("{what} takes {form} of numbers, e.g. `[1.0, 2.0]`"),
            );
            return None;
        }
    };
    let values: Option<Vec<f64>> = items
        .iter()
        .map(|i| number(i, what, &ok, range, cx))
        .collect();
    values.map(|vs| (vs, v.loc()))
}

impl LossSpec {
    pub fn parse(call: &LayerCall, cx: &mut Ctxt) -> Option<Self> {
        let mut args = Args::new(call);
        let name = call.name.to_string();
        let spec = match name.as_str() {
            "none" => Some(LossSpec::None),
            "softmax_cross_entropy" | "cross_entropy" => Self::cross_entropy(&mut args, cx),
            "mse" => match args.named("half", cx) {
                Some(v) => boolean(v, "`half`", cx).map(|half| LossSpec::Mse { half }),
                None => Some(LossSpec::Mse { half: false }),
            },
            "bce_with_logits" => match args.named("pos_weight", cx) {
                Some(v) => weights(v, "`pos_weight`", |w| w > 0.0, "positive", true, cx).map(|w| {
                    LossSpec::Bce {
                        pos_weight: Some(w),
                    }
                }),
                None => Some(LossSpec::Bce { pos_weight: None }),
            },
            "mae" | "l1" => Some(LossSpec::Mae),
            "nll" => match args.named("weight", cx) {
                Some(v) => weights(v, "a class weight", |w| w >= 0.0, "non-negative", false, cx)
                    .map(|w| LossSpec::Nll { weights: Some(w) }),
                None => Some(LossSpec::Nll { weights: None }),
            },
            "huber" => Self::threshold(&mut args, "delta", |d| d > 0.0, "positive", cx)
                .map(|delta| LossSpec::Huber { delta }),
            "smooth_l1" => Self::threshold(&mut args, "beta", |b| b >= 0.0, "non-negative", cx)
                .map(|beta| LossSpec::SmoothL1 { beta }),
            _ if name.starts_with(|c: char| c.is_ascii_uppercase()) => {
                args.finish(
                    cx,
                    &format!("the loss type `{name}`"),
                    "no arguments (it is built with `Default::default()`)",
                );
                return Some(LossSpec::Custom(call.name.clone()));
            }
            _ => {
                let hint = crate::suggest::closest(
                    &name,
                    &[
                        "softmax_cross_entropy",
                        "nll",
                        "mse",
                        "mae",
                        "huber",
                        "smooth_l1",
                        "bce_with_logits",
                        "none",
                    ],
                )
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
                cx.error_spanned_by(
                    &call.name,
                    format!("unknown loss `{name}`{hint}; expected {LOSSES}, or a type of yours that implements `kiln::runtime::loss::Loss` (a CamelCase type name)"),
                );
                return None;
            }
        };
        args.finish(
            cx,
            &format!("loss `{name}`"),
            "the options listed in the kiln docs (`label_smoothing`, `label_smoothing_others`, `weight`, `per_position`, `half`, `pos_weight`, `delta`, `beta`)",
        );
        spec
    }

    fn cross_entropy(args: &mut Args, cx: &mut Ctxt) -> Option<Self> {
        let pt = args.named("label_smoothing", cx);
        let others = args.named("label_smoothing_others", cx);
        // The old spelling of `label_smoothing_others`, still accepted.
        let old = args.named("label_smoothing_notes", cx);
        let others = others.or(old);
        let weight = args.named("weight", cx);
        let per_position = match args.named("per_position", cx) {
            Some(v) => Some((boolean(v, "`per_position`", cx)?, v.loc())),
            None => None,
        };
        let eps = |v, cx: &mut Ctxt| {
            number(
                v,
                "label smoothing",
                |e| (0.0..1.0).contains(&e),
                "in [0, 1)",
                cx,
            )
        };
        let smoothing = match (pt, others) {
            (Some(_), Some(b)) => {
                cx.error_spanned_by(
                    b.loc(),
                    "give `label_smoothing` (eps/K to every class, PyTorch's form) or `label_smoothing_others` (eps/(K-1) to each wrong class), not both",
                );
                return None;
            }
            (Some(a), None) => Some(eps(a, cx).map(|e| (true, e))?),
            (None, Some(b)) => Some(eps(b, cx).map(|e| (false, e))?),
            (None, None) => None,
        };
        let weights = match weight {
            Some(v) => {
                if let (Some((false, _)), Some(n)) = (smoothing, others) {
                    cx.error_spanned_by(n.loc(), "class weights combine with PyTorch's `label_smoothing` only; write `label_smoothing = ..`");
                    return None;
                }
                Some(weights(
                    v,
                    "a class weight",
                    |w| w >= 0.0,
                    "non-negative",
                    false,
                    cx,
                )?)
            }
            None => None,
        };
        if let Some((true, loc)) = per_position {
            if smoothing.is_some() || weights.is_some() {
                cx.error_spanned_by(loc, "`per_position = true` takes no label smoothing or class weights yet; remove them");
                return None;
            }
            return Some(LossSpec::SpatialCe);
        }
        Some(LossSpec::SoftmaxCe { smoothing, weights })
    }

    /// The one option of `huber`/`smooth_l1`, by name or position (default 1).
    fn threshold(
        args: &mut Args,
        key: &'static str,
        ok: impl Fn(f64) -> bool,
        range: &str,
        cx: &mut Ctxt,
    ) -> Option<f64> {
        let v = match args.positional(0) {
            Some(crate::parse::Arg::Positional(v)) => Some(v),
            _ => args.named(key, cx),
        };
        match v {
            Some(v) => number(v, &format!("`{key}`"), ok, range, cx),
            None => Some(1.0),
        }
    }

    /// Checks the loss against the network's output shape and its last layer.
    pub fn check(&self, call: &LayerCall, output: &Shape, last: Option<&Node>, cx: &mut Ctxt) {
        let ends_in = last.and_then(|n| n.kind.normalises().map(|k| (k, n)));
        match (self, ends_in) {
            (LossSpec::SoftmaxCe { .. }, Some((kind, node))) => {
                let fix = if kind == "softmax" {
                    "remove it (for probabilities at inference, apply `kiln::runtime::softmax::softmax_rows` to the output)"
                } else {
                    "remove it, or keep it and write `loss: nll`"
                };
                cx.error_spanned_by(node.loc, format!("`{}` takes logits and applies softmax itself, so `{kind}` before it would apply it twice; {fix}", call.name));
                return;
            }
            (LossSpec::Nll { .. }, Some(("log_softmax", _))) => {}
            (LossSpec::Nll { .. }, _) => {
                cx.error_spanned_by(call.loc, "`nll` takes log-probabilities: end `layers` with `log_softmax`, or use `loss: softmax_cross_entropy` on logits");
                return;
            }
            _ => {}
        }
        if let LossSpec::Nll {
            weights: Some((w, loc)),
        } = self
        {
            if w.len() != output.numel() {
                cx.error_spanned_by(loc, format!("`weight` gives {} class weights, but the network has {} classes (its output is {output}); give one weight per class", w.len(), output.numel()));
            }
        }
        match self {
            LossSpec::SpatialCe if !matches!(output.0[..], [k, _, _] | [k, _] if k >= 2) => {
                cx.error_spanned_by(call.loc, format!("`per_position = true` needs logits of at least 2 classes at each position, [classes, height, width] or [classes, length], but the network produces {output}"));
            }
            LossSpec::SoftmaxCe { weights, .. } => {
                let hint = match output.as_flat() {
                    Some(n) if n >= 2 => {
                        if let Some((w, loc)) = weights {
                            if w.len() != n {
                                cx.error_spanned_by(loc, format!("`weight` gives {} class weights, but the network has {n} classes (its output is {output}); give one weight per class", w.len()));
                            }
                        }
                        return;
                    }
                    Some(_) => "; for one logit (a yes/no target) use `loss: bce_with_logits`".to_string(),
                    None if output.0.len() == 3 => format!(
                        "; end with `flatten` (giving [{}]) and a `dense(classes)` head, or with `global_avg_pool` (giving [{}]) when the channels are the classes, or write `softmax_cross_entropy(per_position = true)` for one label per position (segmentation)",
                        output.numel(),
                        output.0[0]
                    ),
                    None => String::new(),
                };
                cx.error_spanned_by(
                    call.loc,
                    format!("`{}` needs a flat output of at least 2 classes, but the network produces {output}{hint}", call.name),
                );
            }
            LossSpec::Bce {
                pos_weight: Some((w, loc)),
            } if w.len() != 1 && w.len() != output.numel() => {
                cx.error_spanned_by(loc, format!("`pos_weight` gives {} weights, but the network has {} outputs (its output is {output}); give one per output, or one number for all", w.len(), output.numel()));
            }
            _ => {}
        }
    }

    /// The runtime loss type (`None` for inference-only networks).
    pub fn ty(&self) -> Option<TokenStream> {
        let rt = rt();
        Some(match self {
            LossSpec::None => return None,
            LossSpec::SoftmaxCe { .. } => quote!(#rt::loss::SoftmaxCrossEntropy),
            LossSpec::SpatialCe => quote!(#rt::loss::SpatialSoftmaxCrossEntropy),
            LossSpec::Mse { .. } => quote!(#rt::loss::Mse),
            LossSpec::Bce { .. } => quote!(#rt::loss::BceWithLogits),
            LossSpec::Mae => quote!(#rt::loss::Mae),
            LossSpec::Huber { .. } => quote!(#rt::loss::Huber),
            LossSpec::SmoothL1 { .. } => quote!(#rt::loss::SmoothL1),
            LossSpec::Nll { .. } => quote!(#rt::loss::Nll),
            LossSpec::Custom(ty) => {
                let alias = custom_alias(ty);
                quote!(#alias)
            }
        })
    }

    /// An expression building the loss for the network's `output` (may use `?`).
    pub fn construct(&self, output: &Shape) -> TokenStream {
        let rt = rt();
        let mean = quote!(#rt::loss::Reduction::Mean);
        match self {
            LossSpec::None => quote!(()),
            LossSpec::SoftmaxCe { smoothing, weights } => {
                let ls = match smoothing {
                    None => quote!(#rt::loss::LabelSmoothing::None),
                    Some((true, e)) => quote!(#rt::loss::LabelSmoothing::PyTorch(#e)),
                    Some((false, e)) => quote!(#rt::loss::LabelSmoothing::OtherClasses(#e)),
                };
                let w = weights
                    .as_ref()
                    .map(|(w, _)| quote!(.with_class_weights(&[#(#w),*])?));
                quote!(#rt::loss::SoftmaxCrossEntropy::new(#ls, #mean)? #w)
            }
            LossSpec::Mse { half } => quote!(#rt::loss::Mse::new(#half, #mean)),
            LossSpec::Bce { pos_weight } => {
                let w = pos_weight
                    .as_ref()
                    .map(|(w, _)| quote!(.with_pos_weight(&[#(#w),*])?));
                quote!(#rt::loss::BceWithLogits::new(#mean) #w)
            }
            LossSpec::Mae => quote!(#rt::loss::Mae::new(#mean)),
            LossSpec::Huber { delta } => quote!(#rt::loss::Huber::new(#delta, #mean)?),
            LossSpec::SmoothL1 { beta } => quote!(#rt::loss::SmoothL1::new(#beta, #mean)?),
            LossSpec::Custom(ty) => {
                let alias = custom_alias(ty);
                quote!(<#alias as ::core::default::Default>::default())
            }
            LossSpec::SpatialCe => {
                let positions: usize = output.0[1..].iter().product();
                quote!(#rt::loss::SpatialSoftmaxCrossEntropy::new(#positions, #mean)?)
            }
            LossSpec::Nll { weights } => {
                let w = weights
                    .as_ref()
                    .map(|(w, _)| quote!(.with_class_weights(&[#(#w),*])?));
                quote!(#rt::loss::Nll::new(#mean) #w)
            }
        }
    }

    /// Whether training targets are class labels (`&[usize]`) rather than values.
    pub fn class_labels(&self) -> bool {
        matches!(
            self,
            LossSpec::SoftmaxCe { .. } | LossSpec::SpatialCe | LossSpec::Nll { .. }
        )
    }
}

/// The name generated code gives a loss type of the user's (`type __KilnLoss = MyLoss;` once
/// in the expansion's module): the user's name then appears once, so a missing or misspelt
/// type is one error. Spanned at the user's type, so errors about it point there.
pub fn custom_alias(ty: &syn::Ident) -> syn::Ident {
    syn::Ident::new("__KilnLoss", ty.span())
}
