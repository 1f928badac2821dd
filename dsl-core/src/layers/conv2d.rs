//! `conv2d(out, kernel, stride, padding)` (stride and padding also as `stride = 2`,
//! `padding = 1 | same | narrow | wide`), `conv2d(in -> out, ...)`, options `bias = false`,
//! `init = ...`, `shape = [C, H, W]` (a checked annotation of the output): a 2-D convolution
//! (cross-correlation, as PyTorch's `nn.Conv2d`) with a fused activation
//! (`kiln_runtime::layers::Conv2d`). Shape rule per spatial dimension:
//! `out = floor((n - k + 2p) / s) + 1` [CS 6.1-6.4]; narrow p = 0, wide p = k - 1,
//! same p = (k - 1) / 2 (stride 1, odd k).

use proc_macro2::TokenStream;
use quote::quote;

use crate::activation::ActSpec;
use crate::args::{boolean, count, Args};
use crate::diag::Ctxt;
use crate::embedded_op::EmbeddedLayer;
use crate::init::InitSpec;
use crate::kind::{affine_ctor, fuse_into, LayerKind, Prev};
use crate::loc::Loc;
use crate::parse::{arg_loc, Arg, LayerCall, Value};
use crate::shape::Shape;
use crate::tensors::Tensors;
use crate::tokens::{lit, rt};

/// Padding as declared.
#[derive(Clone, Copy)]
enum Padding {
    Explicit(usize),
    Same,
    Narrow,
    Wide,
}

pub struct Conv2d {
    declared_in: Option<(usize, Loc)>,
    out: usize,
    kernel: usize,
    stride: usize,
    padding: (Padding, Loc),
    bias: bool,
    init: Option<InitSpec>,
    act: Option<ActSpec>,
    shape: Option<(Vec<usize>, Loc)>,
    /// Filled by the shape rule.
    geometry: std::cell::Cell<(usize, usize, usize, usize, usize)>,
}

fn padding(v: &Value, cx: &mut Ctxt) -> Option<Padding> {
    match v {
        Value::Ident(i) if i == "same" => Some(Padding::Same),
        Value::Ident(i) if i == "narrow" || i == "valid" => Some(Padding::Narrow),
        Value::Ident(i) if i == "wide" || i == "full" => Some(Padding::Wide),
        Value::Int(..) => count(v, "the padding of `conv2d`", 0, cx).map(Padding::Explicit),
        other => {
            cx.error_spanned_by(
                other.loc(),
                format!(
                    "padding must be a number or `same`, `narrow` or `wide`, got {}",
                    other.describe()
                ),
            );
            None
        }
    }
}

/// `[C, H, W]` of an annotation such as `shape = [6, 28, 28]`.
pub fn shape_annotation(v: &Value, cx: &mut Ctxt) -> Option<(Vec<usize>, Loc)> {
    match v {
        Value::List(items, loc) => {
            let dims: Option<Vec<usize>> = items
                .iter()
                .map(|d| count(d, "a shape dimension", 1, cx))
                .collect();
            dims.map(|d| (d, *loc))
        }
        other => {
            cx.error_spanned_by(
                other.loc(),
                "`shape` takes a list, e.g. `shape = [6, 28, 28]`",
            );
            None
        }
    }
}

impl Conv2d {
    pub fn parse(call: &LayerCall, cx: &mut Ctxt) -> Option<Self> {
        let mut args = Args::new(call);
        let (declared_in, out) = match args.positional(0) {
            Some(Arg::Positional(v)) => (None, count(v, "the output channels of `conv2d`", 1, cx)),
            Some(Arg::Arrow(i, o)) => (
                count(i, "the input channels of `conv2d`", 1, cx).map(|n| (n, i.loc())),
                count(o, "the output channels of `conv2d`", 1, cx),
            ),
            _ => {
                cx.error_spanned_by(
                    call.loc,
                    "`conv2d` needs its output channels and kernel size: `conv2d(6, 5)`",
                );
                (None, None)
            }
        };
        let kernel = match args.positional(1) {
            Some(Arg::Positional(v)) => count(v, "the kernel size of `conv2d`", 1, cx),
            Some(other) => {
                cx.error_spanned_by(arg_loc(other), "the kernel size must be a number");
                None
            }
            None => {
                cx.error_spanned_by(
                    call.loc,
                    "`conv2d` needs its kernel size: `conv2d(6, 5)` for a 5x5 kernel",
                );
                None
            }
        };
        let mut one_of = |pos: usize, key: &'static str, cx: &mut Ctxt| -> Option<Value> {
            let p = match args.positional(pos) {
                Some(Arg::Positional(v)) => Some(v.clone()),
                Some(other) => {
                    cx.error_spanned_by(arg_loc(other), format!("the {key} must be a value"));
                    None
                }
                None => None,
            };
            let n = args.named(key, cx).cloned();
            if let (Some(_), Some(v)) = (&p, &n) {
                cx.error_spanned_by(
                    v.loc(),
                    format!("the {key} is given twice (in position and as `{key} = ...`)"),
                );
            }
            p.or(n)
        };
        let stride = match one_of(2, "stride", cx) {
            Some(v) => count(&v, "the stride of `conv2d`", 1, cx),
            None => Some(1),
        };
        let pad = match one_of(3, "padding", cx) {
            Some(v) => padding(&v, cx).map(|p| (p, v.loc())),
            None => Some((Padding::Explicit(0), call.loc)),
        };
        let bias = match args.named("bias", cx) {
            Some(v) => boolean(v, "`bias`", cx),
            None => Some(true),
        };
        let init = match args.named("init", cx) {
            Some(v) => InitSpec::parse(v, cx).map(Some),
            None => Some(None),
        };
        let shape = match args.named("shape", cx) {
            Some(v) => shape_annotation(v, cx).map(Some),
            None => Some(None),
        };
        args.finish(
            cx,
            "`conv2d`",
            "output channels (or `in -> out`), kernel, stride, padding, `bias = ...`, `init = ...` and `shape = [C, H, W]`",
        );
        Some(Conv2d {
            declared_in,
            out: out?,
            kernel: kernel?,
            stride: stride?,
            padding: pad?,
            bias: bias?,
            init: init?,
            act: None,
            shape: shape?,
            geometry: Default::default(),
        })
    }
}

/// `floor((n + 2p - k) / s) + 1`, or `None` when the window does not fit the padded input.
pub fn out_size(n: usize, k: usize, s: usize, p: usize) -> Option<usize> {
    (n + 2 * p).checked_sub(k).map(|r| r / s + 1)
}

impl LayerKind for Conv2d {
    fn declared_output(&self) -> Option<Shape> {
        self.shape.as_ref().map(|(d, _)| Shape(d.clone()))
    }

    fn output_shape(
        &self,
        call: &LayerCall,
        input: &Shape,
        prev: &Prev,
        cx: &mut Ctxt,
    ) -> Option<Shape> {
        let [c, h, w] = input.0[..] else {
            cx.error_spanned_by(
                call.loc,
                format!("`conv2d` takes feature maps [channels, height, width], but receives {input} from {}", prev.what),
            );
            return None;
        };
        if let Some((declared, loc)) = self.declared_in {
            if declared != c {
                cx.error_spanned_by(
                    loc,
                    format!("`conv2d({declared} -> {})` expects {declared} input channel{}, but receives {input} from {}; write `conv2d({c} -> {}, ...)`", self.out, if declared == 1 { "" } else { "s" }, prev.what, self.out),
                );
                return None;
            }
        }
        let k = self.kernel;
        let p = match self.padding.0 {
            Padding::Explicit(p) => p,
            Padding::Narrow => 0,
            Padding::Wide => k - 1,
            Padding::Same => {
                if k.is_multiple_of(2) {
                    cx.error_spanned_by(self.padding.1, format!("`same` padding needs an odd kernel, got {k}: the output cannot be centred; pad explicitly"));
                    return None;
                }
                if self.stride != 1 {
                    cx.error_spanned_by(self.padding.1, format!("`same` padding keeps the size only with stride 1, got stride {}; pad explicitly", self.stride));
                    return None;
                }
                (k - 1) / 2
            }
        };
        let (Some(oh), Some(ow)) = (
            out_size(h, k, self.stride, p),
            out_size(w, k, self.stride, p),
        ) else {
            cx.error_spanned_by(
                call.loc,
                format!("the {k}x{k} kernel of `conv2d` is larger than its padded input {h}x{w} (padding {p}) from {}", prev.what),
            );
            return None;
        };
        let out = Shape(vec![self.out, oh, ow]);
        if let Some((dims, loc)) = &self.shape {
            if *dims != out.0 {
                cx.error_spanned_by(
                    loc,
                    format!(
                        "`conv2d` produces {out} here, not {}; write `shape = {out}`",
                        Shape(dims.clone())
                    ),
                );
                return None;
            }
        }
        self.geometry.set((k, self.stride, p, oh, ow));
        Some(out)
    }

    fn fuse(&mut self, act: &ActSpec) -> bool {
        fuse_into(&mut self.act, act)
    }

    fn field_type(&self, input: &Shape, output: &Shape) -> TokenStream {
        let rt = rt();
        let (k, s, p, oh, ow) = self.geometry.get();
        let [ci, h, w] = [input.0[0], input.0[1], input.0[2]].map(lit);
        let co = lit(output.0[0]);
        let (k, s, p, oh, ow) = (lit(k), lit(s), lit(p), lit(oh), lit(ow));
        quote!(#rt::layers::Conv2d<T, #ci, #h, #w, #co, #k, #k, #s, #s, #p, #p, #oh, #ow>)
    }

    fn construct(&self, input: &Shape, output: &Shape) -> TokenStream {
        affine_ctor(
            self.field_type(input, output),
            self.bias,
            self.act.as_ref(),
            self.init.as_ref(),
        )
    }

    fn tensors(&self, input: &Shape, output: &Shape, prefix: &str, t: &mut Tensors) {
        let k = self.geometry.get().0;
        let (ci, co) = (input.0[0], output.0[0]);
        t.param(prefix, "weight", &[co, ci, k, k]);
        if self.bias {
            t.param(prefix, "bias", &[co]);
        }
    }

    fn embedded(&self, input: &Shape, output: &Shape) -> Option<EmbeddedLayer> {
        let rt = rt();
        let (k, s, p, oh, ow) = self.geometry.get();
        let [ci, h, w] = [input.0[0], input.0[1], input.0[2]].map(lit);
        let co = lit(output.0[0]);
        let (k, s, p, oh, ow) = (lit(k), lit(s), lit(p), lit(oh), lit(ow));
        let act = crate::kind::act_tokens(self.act.as_ref());
        Some(EmbeddedLayer::map(
            Some(quote!(#rt::fixed::Conv2d<T, #ci, #co, #k>)),
            Box::new(move |l, x, y| quote!(#l.forward::<#h, #w, #s, #p, #oh, #ow>(#x, #y, #act);)),
        ))
    }
}
