//! `max_pool2d(kernel, stride, padding)` and `avg_pool2d(...)` (stride defaults to the kernel,
//! as in PyTorch; also `stride = s`, `padding = p`), and `global_avg_pool` ([C, H, W] -> [C])
//! [CS 6.5, 6.9]: `kiln_runtime::layers::{MaxPool2d, AvgPool2d, GlobalAvgPool}`. Shape rule as
//! for convolution, per channel; padding at most half the kernel (PyTorch's rule).

use proc_macro2::TokenStream;
use quote::quote;

use super::conv2d::{out_size, shape_annotation};
use crate::args::{count, Args};
use crate::diag::Ctxt;
use crate::embedded_op::EmbeddedLayer;
use crate::kind::{LayerKind, Prev};
use crate::loc::Loc;
use crate::parse::{arg_loc, Arg, LayerCall, Value};
use crate::shape::Shape;
use crate::tokens::{lit, rt};

pub struct Pool2d {
    max: bool,
    kernel: usize,
    stride: usize,
    padding: (usize, Loc),
    shape: Option<(Vec<usize>, Loc)>,
    geometry: std::cell::Cell<(usize, usize)>,
}

impl Pool2d {
    pub fn parse(call: &LayerCall, cx: &mut Ctxt) -> Option<Self> {
        let max = call.name == "max_pool2d";
        let what = format!("`{}`", call.name);
        let mut args = Args::new(call);
        let mut value = |pos: usize, key: &'static str, cx: &mut Ctxt| -> Option<Value> {
            let p = match args.positional(pos) {
                Some(Arg::Positional(v)) => Some(v.clone()),
                Some(other) => {
                    cx.error_spanned_by(arg_loc(other), format!("the {key} must be a number"));
                    None
                }
                None => None,
            };
            let n = if key == "kernel" {
                None
            } else {
                args.named(key, cx).cloned()
            };
            p.or(n)
        };
        let kernel = match value(0, "kernel", cx) {
            Some(v) => count(&v, &format!("the kernel size of {what}"), 1, cx),
            None => {
                cx.error_spanned_by(
                    call.loc,
                    format!("{what} needs its window size, e.g. `{}(2)`", call.name),
                );
                None
            }
        };
        let stride = match value(1, "stride", cx) {
            Some(v) => count(&v, &format!("the stride of {what}"), 1, cx),
            None => kernel,
        };
        let padding = match value(2, "padding", cx) {
            Some(v) => count(&v, &format!("the padding of {what}"), 0, cx).map(|p| (p, v.loc())),
            None => Some((0, call.loc)),
        };
        let shape = match args.named("shape", cx) {
            Some(v) => shape_annotation(v, cx).map(Some),
            None => Some(None),
        };
        args.finish(cx, &what, "kernel, stride, padding and `shape = [C, H, W]`");
        Some(Pool2d {
            max,
            kernel: kernel?,
            stride: stride?,
            padding: padding?,
            shape: shape?,
            geometry: Default::default(),
        })
    }
}

impl LayerKind for Pool2d {
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
            cx.error_spanned_by(call.loc, format!("`{}` takes feature maps [channels, height, width], but receives {input} from {}", call.name, prev.what));
            return None;
        };
        let (k, s, (p, ploc)) = (self.kernel, self.stride, self.padding);
        if 2 * p > k {
            cx.error_spanned_by(
                ploc,
                format!(
                    "the padding of `{}` must be at most half the kernel ({}), got {p}",
                    call.name,
                    k / 2
                ),
            );
            return None;
        }
        let (Some(oh), Some(ow)) = (out_size(h, k, s, p), out_size(w, k, s, p)) else {
            cx.error_spanned_by(
                call.loc,
                format!("`{}` with a {k}x{k} window leaves no output: its input from {} is only {h}x{w} (padding {p})", call.name, prev.what),
            );
            return None;
        };
        let out = Shape(vec![c, oh, ow]);
        if let Some((dims, loc)) = &self.shape {
            if *dims != out.0 {
                cx.error_spanned_by(
                    loc,
                    format!(
                        "`{}` produces {out} here, not {}; write `shape = {out}`",
                        call.name,
                        Shape(dims.clone())
                    ),
                );
                return None;
            }
        }
        self.geometry.set((oh, ow));
        Some(out)
    }

    fn field_type(&self, input: &Shape, _output: &Shape) -> TokenStream {
        let rt = rt();
        let (oh, ow) = self.geometry.get();
        let [c, h, w] = [input.0[0], input.0[1], input.0[2]].map(lit);
        let (k, s, p, oh, ow) = (
            lit(self.kernel),
            lit(self.stride),
            lit(self.padding.0),
            lit(oh),
            lit(ow),
        );
        if self.max {
            quote!(#rt::layers::MaxPool2d<T, #c, #h, #w, #k, #k, #s, #s, #p, #p, #oh, #ow>)
        } else {
            quote!(#rt::layers::AvgPool2d<T, #c, #h, #w, #k, #k, #s, #s, #p, #p, #oh, #ow>)
        }
    }

    fn construct(&self, input: &Shape, output: &Shape) -> TokenStream {
        let ty = self.field_type(input, output);
        quote!(<#ty>::new())
    }

    fn embedded(&self, input: &Shape, _output: &Shape) -> Option<EmbeddedLayer> {
        let rt = rt();
        let (oh, ow) = self.geometry.get();
        let [c, h, w] = [input.0[0], input.0[1], input.0[2]].map(lit);
        let (k, s, p, oh, ow) = (
            lit(self.kernel),
            lit(self.stride),
            lit(self.padding.0),
            lit(oh),
            lit(ow),
        );
        let f = if self.max {
            quote!(max_pool2d)
        } else {
            quote!(avg_pool2d)
        };
        Some(EmbeddedLayer::map(
            None,
            Box::new(
                move |_, x, y| quote!(#rt::fixed::#f::<T, #c, #h, #w, #k, #s, #p, #oh, #ow>(#x, #y);),
            ),
        ))
    }
}

/// Average over each whole map: `[C, H, W] -> [C]`.
pub struct GlobalAvgPool;

impl GlobalAvgPool {
    /// `global_avg_pool` takes no arguments.
    pub fn parse(call: &LayerCall, cx: &mut Ctxt) -> Option<Self> {
        Args::new(call).finish(cx, "`global_avg_pool`", "no arguments");
        Some(GlobalAvgPool)
    }
}

impl LayerKind for GlobalAvgPool {
    fn output_shape(
        &self,
        call: &LayerCall,
        input: &Shape,
        prev: &Prev,
        cx: &mut Ctxt,
    ) -> Option<Shape> {
        match input.0[..] {
            [c, _, _] => Some(Shape::flat(c)),
            _ => {
                cx.error_spanned_by(call.loc, format!("`global_avg_pool` takes feature maps [channels, height, width], but receives {input} from {}", prev.what));
                None
            }
        }
    }

    fn field_type(&self, input: &Shape, _output: &Shape) -> TokenStream {
        let rt = rt();
        let [c, h, w] = [input.0[0], input.0[1], input.0[2]].map(lit);
        quote!(#rt::layers::GlobalAvgPool<T, #c, #h, #w>)
    }

    fn construct(&self, input: &Shape, output: &Shape) -> TokenStream {
        let ty = self.field_type(input, output);
        quote!(<#ty>::new())
    }

    fn embedded(&self, input: &Shape, _output: &Shape) -> Option<EmbeddedLayer> {
        let rt = rt();
        let (c, hw) = (lit(input.0[0]), lit(input.0[1] * input.0[2]));
        Some(EmbeddedLayer::map(
            None,
            Box::new(move |_, x, y| quote!(#rt::fixed::global_avg_pool::<T, #c, #hw>(#x, #y);)),
        ))
    }
}
