//! `loss: ...`: the training objective, checked against the network's output shape.
//! `softmax_cross_entropy` (options `label_smoothing = eps`, PyTorch's eps/K form, or
//! `label_smoothing_notes = eps`, the notes' eps/(K-1) form), `mse` (`half = true` for the
//! notes' 1/2 factor), `bce_with_logits`, `mae`, or `none` for an inference-only network.

use proc_macro2::TokenStream;
use quote::quote;

use crate::args::{boolean, number, Args};
use crate::diag::Ctxt;
use crate::parse::LayerCall;
use crate::shape::Shape;
use crate::tokens::rt;

/// A parsed loss.
pub enum LossSpec {
    None,
    SoftmaxCe { smoothing: Option<(bool, f64)> },
    Mse { half: bool },
    Bce,
    Mae,
}

impl LossSpec {
    pub fn parse(call: &LayerCall, cx: &mut Ctxt) -> Option<Self> {
        let mut args = Args::new(call);
        let name = call.name.to_string();
        let spec = match name.as_str() {
            "none" => Some(LossSpec::None),
            "softmax_cross_entropy" | "cross_entropy" => {
                let pt = args.named("label_smoothing", cx);
                let notes = args.named("label_smoothing_notes", cx);
                let eps = |v, cx: &mut Ctxt| {
                    number(
                        v,
                        "label smoothing",
                        |e| (0.0..1.0).contains(&e),
                        "in [0, 1)",
                        cx,
                    )
                };
                match (pt, notes) {
                    (Some(_), Some(b)) => {
                        cx.error_spanned_by(b.loc(), "give `label_smoothing` (PyTorch's form) or `label_smoothing_notes`, not both");
                        None
                    }
                    (Some(a), None) => eps(a, cx).map(|e| LossSpec::SoftmaxCe {
                        smoothing: Some((true, e)),
                    }),
                    (None, Some(b)) => eps(b, cx).map(|e| LossSpec::SoftmaxCe {
                        smoothing: Some((false, e)),
                    }),
                    (None, None) => Some(LossSpec::SoftmaxCe { smoothing: None }),
                }
            }
            "mse" => match args.named("half", cx) {
                Some(v) => boolean(v, "`half`", cx).map(|half| LossSpec::Mse { half }),
                None => Some(LossSpec::Mse { half: false }),
            },
            "bce_with_logits" => Some(LossSpec::Bce),
            "mae" | "l1" => Some(LossSpec::Mae),
            _ => {
                cx.error_spanned_by(
                    &call.name,
                    format!("unknown loss `{name}`; expected softmax_cross_entropy, mse, bce_with_logits, mae or none"),
                );
                return None;
            }
        };
        args.finish(
            cx,
            &format!("loss `{name}`"),
            "the options listed in the kiln docs (`label_smoothing`, `half`)",
        );
        spec
    }

    /// Checks the loss against the network's output shape.
    pub fn check(&self, call: &LayerCall, output: &Shape, cx: &mut Ctxt) {
        if let LossSpec::SoftmaxCe { .. } = self {
            let hint = match output.as_flat() {
                Some(n) if n >= 2 => return,
                Some(_) => "; for one logit (a yes/no target) use `loss: bce_with_logits`".to_string(),
                None if output.0.len() == 3 => format!(
                    "; end with `flatten` (giving [{}]) and a `dense(classes)` head, or with `global_avg_pool` (giving [{}]) when the channels are the classes",
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
    }

    /// The runtime loss type (`None` for inference-only networks).
    pub fn ty(&self) -> Option<TokenStream> {
        let rt = rt();
        Some(match self {
            LossSpec::None => return None,
            LossSpec::SoftmaxCe { .. } => quote!(#rt::loss::SoftmaxCrossEntropy),
            LossSpec::Mse { .. } => quote!(#rt::loss::Mse),
            LossSpec::Bce => quote!(#rt::loss::BceWithLogits),
            LossSpec::Mae => quote!(#rt::loss::Mae),
        })
    }

    /// An expression building the loss (may use `?`).
    pub fn construct(&self) -> TokenStream {
        let rt = rt();
        let mean = quote!(#rt::loss::Reduction::Mean);
        match self {
            LossSpec::None => quote!(()),
            LossSpec::SoftmaxCe { smoothing } => {
                let ls = match smoothing {
                    None => quote!(#rt::loss::LabelSmoothing::None),
                    Some((true, e)) => quote!(#rt::loss::LabelSmoothing::PyTorch(#e)),
                    Some((false, e)) => quote!(#rt::loss::LabelSmoothing::Notes(#e)),
                };
                quote!(#rt::loss::SoftmaxCrossEntropy::new(#ls, #mean)?)
            }
            LossSpec::Mse { half } => quote!(#rt::loss::Mse::new(#half, #mean)),
            LossSpec::Bce => quote!(#rt::loss::BceWithLogits::new(#mean)),
            LossSpec::Mae => quote!(#rt::loss::Mae::new(#mean)),
        }
    }

    /// Whether training targets are class labels (`&[usize]`) rather than values.
    pub fn class_labels(&self) -> bool {
        matches!(self, LossSpec::SoftmaxCe { .. })
    }
}
