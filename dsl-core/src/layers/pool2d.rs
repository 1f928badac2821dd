//! `max_pool2d(kernel, stride, padding)` and `avg_pool2d(...)` on `[C, H, W]`, `max_pool1d`
//! and `avg_pool1d` on `[C, L]` (stride defaults to the kernel, as in PyTorch; each one number
//! or, in 2-D, `[height, width]`; also `stride = s`, `padding = p`), and `global_avg_pool`
//! (`[C, H, W]` or `[C, L]` -> `[C]`): `kiln_runtime::layers::{MaxPool2d, AvgPool2d,
//! GlobalAvgPool}` (1-D as height 1). Shape rule as for convolution, per channel; padding at
//! most half the kernel (PyTorch's rule).

use proc_macro2::TokenStream;
use quote::quote;

use super::conv2d::{one_of, shape_annotation};
use super::window::{self, maps, pair, Geometry, NoFit, Pad, Pair};
use crate::args::Args;
use crate::diag::Ctxt;
use crate::embedded_op::EmbeddedLayer;
use crate::kind::{LayerKind, Prev};
use crate::loc::Loc;
use crate::parse::{arg_loc, Arg, LayerCall};
use crate::shape::Shape;
use crate::tokens::{lit, rt};

pub struct Pool2d {
    max: bool,
    one_d: bool,
    kernel: Pair,
    stride: Pair,
    padding: (Pair, Loc),
    shape: Option<(Vec<usize>, Loc)>,
    geometry: std::cell::Cell<Geometry>,
}

impl Pool2d {
    pub fn parse(call: &LayerCall, cx: &mut Ctxt) -> Option<Self> {
        let name = call.name.to_string();
        let (max, one_d) = (name.starts_with("max"), name.ends_with("1d"));
        let what = format!("`{name}`");
        let mut args = Args::new(call);
        let kernel = match args.positional(0) {
            Some(Arg::Positional(v)) => {
                pair(v, &format!("the kernel size of {what}"), 1, one_d, cx)
            }
            Some(other) => {
                cx.error_spanned_by(arg_loc(other), "the kernel size must be a number");
                None
            }
            None => {
                cx.error_spanned_by(
                    call.loc,
                    format!("{what} needs its window size, e.g. `{name}(2)`"),
                );
                None
            }
        };
        let stride = match one_of(&mut args, 1, "stride", cx) {
            Some(v) => pair(&v, &format!("the stride of {what}"), 1, one_d, cx),
            None => kernel,
        };
        let padding = match one_of(&mut args, 2, "padding", cx) {
            Some(v) => {
                pair(&v, &format!("the padding of {what}"), 0, one_d, cx).map(|p| (p, v.loc()))
            }
            None => Some((Pair(0, 0), call.loc)),
        };
        let shape = match args.named("shape", cx) {
            Some(v) => shape_annotation(v, cx).map(Some),
            None => Some(None),
        };
        args.finish(cx, &what, "kernel, stride, padding and `shape = [..]`");
        Some(Pool2d {
            max,
            one_d,
            kernel: kernel?,
            stride: stride?,
            padding: padding?,
            shape: shape?,
            geometry: Default::default(),
        })
    }

    fn out_shape(&self, c: usize, out: Pair) -> Shape {
        if self.one_d {
            Shape(vec![c, out.1])
        } else {
            Shape(vec![c, out.0, out.1])
        }
    }

    /// The runtime's const generics: `C, H, W, KH, KW, SH, SW, PH, PW, OH, OW`.
    fn generics(&self, input: &Shape) -> Vec<proc_macro2::Literal> {
        let (c, size) = maps(&input.0, self.one_d).unwrap_or_default();
        let mut g = [c, size.0, size.1].map(lit).to_vec();
        g.extend(self.geometry.get().lits());
        g
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
        let Some((c, size)) = maps(&input.0, self.one_d) else {
            let want = if self.one_d {
                "sequences of features [channels, length]"
            } else {
                "feature maps [channels, height, width]"
            };
            cx.error_spanned_by(
                call.loc,
                format!(
                    "`{}` takes {want}, but receives {input} from {}",
                    call.name, prev.what
                ),
            );
            return None;
        };
        let (k, (p, ploc)) = (self.kernel, self.padding);
        if 2 * p.0 > k.0 || 2 * p.1 > k.1 {
            cx.error_spanned_by(
                ploc,
                format!(
                    "the padding of `{}` must be at most half the kernel ({}), got {p}",
                    call.name,
                    Pair(k.0 / 2, k.1 / 2)
                ),
            );
            return None;
        }
        let g = match window::geometry(size, k, self.stride, Pad::Explicit(p), Pair(1, 1)) {
            Ok(g) => g,
            Err(NoFit::Same(msg)) => {
                cx.error_spanned_by(ploc, msg);
                return None;
            }
            Err(NoFit::TooLarge { .. }) => {
                let shown = if self.one_d {
                    format!("{}", size.1)
                } else {
                    format!("{}x{}", size.0, size.1)
                };
                cx.error_spanned_by(
                    call.loc,
                    format!("`{}` with a window of {} leaves no output: its input from {} is only {shown} (padding {})", call.name, k.show(self.one_d), prev.what, p.show(self.one_d)),
                );
                return None;
            }
        };
        let out = self.out_shape(c, g.out);
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
        self.geometry.set(g);
        Some(out)
    }

    fn field_type(&self, input: &Shape, _output: &Shape) -> TokenStream {
        let rt = rt();
        let g = self.generics(input);
        if self.max {
            quote!(#rt::layers::MaxPool2d<T, #(#g),*>)
        } else {
            quote!(#rt::layers::AvgPool2d<T, #(#g),*>)
        }
    }

    fn construct(&self, input: &Shape, output: &Shape) -> TokenStream {
        let ty = self.field_type(input, output);
        quote!(<#ty>::new())
    }

    fn embedded(&self, input: &Shape, _output: &Shape) -> Option<EmbeddedLayer> {
        let rt = rt();
        let g = self.generics(input);
        let f = if self.max {
            quote!(max_pool2d)
        } else {
            quote!(avg_pool2d)
        };
        Some(EmbeddedLayer::map(
            None,
            Box::new(move |_, x, y| quote!(#rt::fixed::#f::<T, #(#g),*>(#x, #y);)),
        ))
    }

    fn int8(&self, input: &Shape, _output: &Shape) -> crate::int8::Int8Kernel {
        let rt = rt();
        let g = self.geometry.get();
        if (g.padding.0, g.padding.1) != (0, 0) {
            return crate::int8::Int8Kernel::unsupported(if self.max {
                "int8 max pooling takes no padding yet"
            } else {
                "an int8 average counts only the values inside the map, PyTorch's `avg_pool2d` counts the padding too: use no padding"
            });
        }
        // The int8 pools take no padding: C, H, W, KH, KW, SH, SW, OH, OW.
        let (c, size) = maps(&input.0, self.one_d).unwrap_or_default();
        let g = [
            c, size.0, size.1, g.kernel.0, g.kernel.1, g.stride.0, g.stride.1, g.out.0, g.out.1,
        ]
        .map(lit);
        let f = if self.max {
            quote!(max_pool2d_int8)
        } else {
            quote!(avg_pool2d_int8)
        };
        crate::int8::Int8Kernel::keep(Some(Box::new(
            move |_, x, y| quote!(#rt::fixed::#f::<#(#g),*>(#x, #y);),
        )))
    }
}

/// Average over each whole map or sequence: `[C, H, W]` or `[C, L]` -> `[C]`.
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
            [c, _, _] | [c, _] => Some(Shape::flat(c)),
            _ => {
                cx.error_spanned_by(call.loc, format!("`global_avg_pool` takes feature maps [channels, height, width] or sequences [channels, length], but receives {input} from {}", prev.what));
                None
            }
        }
    }

    fn field_type(&self, input: &Shape, _output: &Shape) -> TokenStream {
        let rt = rt();
        let (c, size) = maps(&input.0, input.0.len() == 2).unwrap_or_default();
        let [c, h, w] = [c, size.0, size.1].map(lit);
        quote!(#rt::layers::GlobalAvgPool<T, #c, #h, #w>)
    }

    fn construct(&self, input: &Shape, output: &Shape) -> TokenStream {
        let ty = self.field_type(input, output);
        quote!(<#ty>::new())
    }

    fn embedded(&self, input: &Shape, _output: &Shape) -> Option<EmbeddedLayer> {
        let rt = rt();
        let (c, hw) = (lit(input.0[0]), lit(input.0[1..].iter().product::<usize>()));
        Some(EmbeddedLayer::map(
            None,
            Box::new(move |_, x, y| quote!(#rt::fixed::global_avg_pool::<T, #c, #hw>(#x, #y);)),
        ))
    }

    /// The mean of each whole map: an int8 average pool with the map as its window.
    fn int8(&self, input: &Shape, _output: &Shape) -> crate::int8::Int8Kernel {
        let rt = rt();
        let c = lit(input.0[0]);
        let (h, w) = match input.0[1..] {
            [h, w] => (h, w),
            [l] => (1, l),
            _ => (1, 1),
        };
        let (h, w) = (lit(h), lit(w));
        crate::int8::Int8Kernel::keep(Some(Box::new(
            move |_, x, y| quote!(#rt::fixed::avg_pool2d_int8::<#c, #h, #w, #h, #w, 1, 1, 1, 1>(#x, #y);),
        )))
    }
}
