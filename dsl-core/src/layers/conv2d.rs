//! `conv2d(out, kernel, stride, padding)` on `[C, H, W]` and `conv1d(...)` on `[C, L]`:
//! kernel, stride and padding each one number or (2-D) `[height, width]`, stride and padding
//! also as `stride = ..`, `padding = n | same | narrow | wide` (1-D: `| causal`);
//! `conv2d(in -> out, ...)`; options `groups = g` (depthwise with `g` = input channels),
//! `bias = false`, `init = ...`, `shape = [..]` (a checked annotation of the output). A convolution (cross-correlation, as PyTorch's `nn.Conv2d` /
//! `nn.Conv1d`) with a fused activation (`kiln_runtime::layers::Conv2d`; a 1-D one runs as a
//! 2-D one of height 1). Shape rule per dimension: `out = floor((n + 2p - k) / s) + 1`;
//! `causal` pads `k - 1` on the left only (`out = n` at stride 1), for streaming use.

use proc_macro2::TokenStream;
use quote::quote;

use super::window::{self, maps, pad, pair, Geometry, NoFit, Pad, Pair};
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

pub struct Conv2d {
    one_d: bool,
    declared_in: Option<(usize, Loc)>,
    out: usize,
    kernel: Pair,
    stride: Pair,
    padding: (Pad, Loc),
    /// PyTorch's `groups`: each of `groups` slices of the outputs sees its own slice of the
    /// inputs (`groups` = input channels: depthwise).
    groups: (usize, Loc),
    /// PyTorch's `dilation`: the kernel's taps `d` inputs apart.
    dilation: Pair,
    bias: bool,
    init: Option<InitSpec>,
    act: Option<ActSpec>,
    shape: Option<(Vec<usize>, Loc)>,
    /// Filled by the shape rule.
    geometry: std::cell::Cell<Geometry>,
}

/// `[C, H, W]` (or `[C, L]`) of an annotation such as `shape = [6, 28, 28]`.
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

/// The value of positional argument `pos` or of `key = ..` (an error when both are given).
pub fn one_of(args: &mut Args, pos: usize, key: &'static str, cx: &mut Ctxt) -> Option<Value> {
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
}

impl Conv2d {
    pub fn parse(call: &LayerCall, cx: &mut Ctxt) -> Option<Self> {
        let one_d = call.name == "conv1d";
        let name = if one_d { "conv1d" } else { "conv2d" };
        let mut args = Args::new(call);
        let (declared_in, out) = match args.positional(0) {
            Some(Arg::Positional(v)) => (
                None,
                count(v, &format!("the output channels of `{name}`"), 1, cx),
            ),
            Some(Arg::Arrow(i, o)) => (
                count(i, &format!("the input channels of `{name}`"), 1, cx).map(|n| (n, i.loc())),
                count(o, &format!("the output channels of `{name}`"), 1, cx),
            ),
            _ => {
                cx.error_spanned_by(
                    call.loc,
                    format!("`{name}` needs its output channels and kernel size: `{name}(6, 5)`"),
                );
                (None, None)
            }
        };
        let kernel = match args.positional(1) {
            Some(Arg::Positional(v)) => {
                pair(v, &format!("the kernel size of `{name}`"), 1, one_d, cx)
            }
            Some(other) => {
                cx.error_spanned_by(arg_loc(other), "the kernel size must be a number");
                None
            }
            None => {
                cx.error_spanned_by(
                    call.loc,
                    format!("`{name}` needs its kernel size: `{name}(6, 5)` for a kernel of 5"),
                );
                None
            }
        };
        let stride = match one_of(&mut args, 2, "stride", cx) {
            Some(v) => pair(&v, &format!("the stride of `{name}`"), 1, one_d, cx),
            None => Some(Pair(1, 1)),
        };
        let padding = match one_of(&mut args, 3, "padding", cx) {
            Some(v) => {
                pad(&v, &format!("the padding of `{name}`"), one_d, cx).map(|p| (p, v.loc()))
            }
            None => Some((Pad::Explicit(Pair(0, 0)), call.loc)),
        };
        let groups = match args.named("groups", cx) {
            Some(v) => count(v, &format!("the groups of `{name}`"), 1, cx).map(|g| (g, v.loc())),
            None => Some((1, call.loc)),
        };
        let dilation = match args.named("dilation", cx) {
            Some(v) => pair(v, &format!("the dilation of `{name}`"), 1, one_d, cx),
            None => Some(Pair(1, 1)),
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
            &format!("`{name}`"),
            "output channels (or `in -> out`), kernel, stride, padding, `groups = ...`, `dilation = ...`, `bias = ...`, `init = ...` and `shape = [..]`",
        );
        Some(Conv2d {
            one_d,
            declared_in,
            out: out?,
            kernel: kernel?,
            stride: stride?,
            padding: padding?,
            groups: groups?,
            dilation: dilation?,
            bias: bias?,
            init: init?,
            act: None,
            shape: shape?,
            geometry: Default::default(),
        })
    }

    fn name(&self) -> &'static str {
        if self.one_d {
            "conv1d"
        } else {
            "conv2d"
        }
    }

    /// The output shape for `channels` and the geometry's output size.
    fn out_shape(&self, out: Pair) -> Shape {
        if self.one_d {
            Shape(vec![self.out, out.1])
        } else {
            Shape(vec![self.out, out.0, out.1])
        }
    }
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
        let name = self.name();
        let Some((c, size)) = maps(&input.0, self.one_d) else {
            let want = if self.one_d {
                "sequences of features [channels, length]"
            } else {
                "feature maps [channels, height, width]"
            };
            cx.error_spanned_by(
                call.loc,
                format!(
                    "`{name}` takes {want}, but receives {input} from {}",
                    prev.what
                ),
            );
            return None;
        };
        if let Some((declared, loc)) = self.declared_in {
            if declared != c {
                cx.error_spanned_by(
                    loc,
                    format!("`{name}({declared} -> {})` expects {declared} input channel{}, but receives {input} from {}; write `{name}({c} -> {}, ...)`", self.out, if declared == 1 { "" } else { "s" }, prev.what, self.out),
                );
                return None;
            }
        }
        let (groups, gloc) = self.groups;
        if !c.is_multiple_of(groups) || !self.out.is_multiple_of(groups) {
            cx.error_spanned_by(
                gloc,
                format!("`groups = {groups}` must divide both the input channels ({c}, from {}) and the output channels ({}); a depthwise `{name}` has `groups` equal to its input channels", prev.what, self.out),
            );
            return None;
        }
        let g = match window::geometry(
            size,
            self.kernel,
            self.stride,
            self.padding.0,
            self.dilation,
        ) {
            Ok(g) => g,
            Err(NoFit::Same(msg)) => {
                cx.error_spanned_by(self.padding.1, msg);
                return None;
            }
            Err(NoFit::TooLarge { padding }) => {
                let k = self.kernel;
                let shown = if self.one_d {
                    format!("{}", size.1)
                } else {
                    format!("{}x{}", size.0, size.1)
                };
                cx.error_spanned_by(
                    call.loc,
                    format!("the kernel {} of `{name}` is larger than its padded input {shown} (padding {}) from {}", k.show(self.one_d), padding.show(self.one_d), prev.what),
                );
                return None;
            }
        };
        let out = self.out_shape(g.out);
        if let Some((dims, loc)) = &self.shape {
            if *dims != out.0 {
                cx.error_spanned_by(
                    loc,
                    format!(
                        "`{name}` produces {out} here, not {}; write `shape = {out}`",
                        Shape(dims.clone())
                    ),
                );
                return None;
            }
        }
        self.geometry.set(g);
        Some(out)
    }

    fn fuse(&mut self, act: &ActSpec) -> bool {
        fuse_into(&mut self.act, act)
    }

    fn field_type(&self, input: &Shape, output: &Shape) -> TokenStream {
        let rt = rt();
        let g = self.geometry.get();
        let (ci, size) = maps(&input.0, self.one_d).unwrap_or_default();
        let (ci, h, w, co) = (lit(ci), lit(size.0), lit(size.1), lit(output.0[0]));
        let [kh, kw, sh, sw, ph, pw, oh, ow] = g.lits();
        let [groups, dh, dw] = [self.groups.0, self.dilation.0, self.dilation.1].map(lit);
        quote!(#rt::layers::Conv2d<T, #ci, #h, #w, #co, #kh, #kw, #sh, #sw, #ph, #pw, #oh, #ow, #groups, #dh, #dw>)
    }

    fn construct(&self, input: &Shape, output: &Shape) -> TokenStream {
        affine_ctor(
            self.field_type(input, output),
            self.bias,
            self.act.as_ref(),
            self.init.as_ref(),
        )
    }

    /// PyTorch's shapes: `[CO, CI, KH, KW]` for `nn.Conv2d`, `[CO, CI, K]` for `nn.Conv1d`
    /// (the same values in the same order as the runtime's `[CO, CI, 1, K]`).
    fn tensors(&self, input: &Shape, output: &Shape, prefix: &str, t: &mut Tensors) {
        let k = self.geometry.get().kernel;
        let (ci, co) = (input.0[0] / self.groups.0, output.0[0]);
        if self.one_d {
            t.param(prefix, "weight", &[co, ci, k.1]);
        } else {
            t.param(prefix, "weight", &[co, ci, k.0, k.1]);
        }
        if self.bias {
            t.param(prefix, "bias", &[co]);
        }
    }

    /// Each output value is one receptive field: `CI / groups x KH x KW` products.
    fn macs(&self, input: &Shape, output: &Shape) -> u64 {
        let k = self.geometry.get().kernel;
        let per_output = input.0[0] / self.groups.0 * k.0 * k.1;
        (per_output * output.numel()) as u64
    }

    fn embedded(&self, input: &Shape, output: &Shape) -> Option<EmbeddedLayer> {
        let rt = rt();
        let g = self.geometry.get();
        let (ci, size) = maps(&input.0, self.one_d)?;
        let [groups, dh, dw] = [self.groups.0, self.dilation.0, self.dilation.1].map(lit);
        let (ci, h, w, co) = (
            lit(ci / self.groups.0),
            lit(size.0),
            lit(size.1),
            lit(output.0[0]),
        );
        let [kh, kw, sh, sw, ph, pw, oh, ow] = g.lits();
        let act = crate::kind::act_tokens(self.act.as_ref());
        let mut e = EmbeddedLayer::map(
            Some(quote!(#rt::fixed::Conv2d<T, #ci, #co, #kh, #kw, #groups, #dh, #dw>)),
            Box::new(
                move |l, x, y| quote!(#l.forward::<#h, #w, #sh, #sw, #ph, #pw, #oh, #ow>(#x, #y, #act);),
            ),
        );
        if self.one_d {
            e.unsqueezed = &["weight"];
        }
        Some(e)
    }

    fn int8(&self, input: &Shape, output: &Shape) -> crate::int8::Int8Kernel {
        let rt = rt();
        if (self.dilation.0, self.dilation.1) != (1, 1) {
            return crate::int8::Int8Kernel::unsupported("int8 convolutions take no dilation yet");
        }
        let g = self.geometry.get();
        let Some((c, size)) = maps(&input.0, self.one_d) else {
            return crate::int8::Int8Kernel::unsupported("its input is no map");
        };
        let (co, groups) = (output.0[0], self.groups.0);
        let ci = c / groups;
        let (cil, col, gl, h, w) = (lit(ci), lit(co), lit(groups), lit(size.0), lit(size.1));
        let [kh, kw, sh, sw, ph, pw, oh, ow] = g.lits();
        crate::int8::Int8Kernel::product(
            quote!(#rt::fixed::Conv2dInt8<#cil, #col, #kh, #kw, #gl>),
            vec![co, ci, g.kernel.0, g.kernel.1],
            self.act.as_ref(),
            Box::new(
                move |l, x, y| quote!(#l.forward::<#h, #w, #sh, #sw, #ph, #pw, #oh, #ow>(#x, #y);),
            ),
        )
    }
}
