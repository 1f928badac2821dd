//! `prelu` (one shared slope, PyTorch's default), `prelu(per_feature)` on flat features or
//! `prelu(per_channel)` (one slope per channel of `[C, H, W]` / `[C, L]`, as `nn.PReLU(C)`),
//! option `init = 0.25`: learnable leaky slopes (`kiln_runtime::layers::PRelu`).
//! Shape rule: identity; `per_feature` needs a flat input.

use proc_macro2::{Literal, TokenStream};
use quote::quote;

use crate::args::{number, Args};
use crate::diag::Ctxt;
use crate::embedded_op::EmbeddedLayer;
use crate::kind::{LayerKind, Prev};
use crate::parse::{arg_loc, Arg, LayerCall, Value};
use crate::shape::Shape;
use crate::tensors::Tensors;
use crate::tokens::{lit, rt};

/// Which values share a slope.
#[derive(Clone, Copy, PartialEq)]
enum Slopes {
    /// One slope for everything (`nn.PReLU()`).
    Shared,
    /// One per feature of a flat input.
    PerFeature,
    /// One per channel (the first dimension) of any input, as `nn.PReLU(C)` on `[N, C, ...]`.
    PerChannel,
}

pub struct PRelu {
    slopes: Slopes,
    init: f64,
}

impl PRelu {
    pub fn parse(call: &LayerCall, cx: &mut Ctxt) -> Option<Self> {
        let mut args = Args::new(call);
        let slopes = match args.positional(0) {
            None => Some(Slopes::Shared),
            Some(Arg::Positional(Value::Ident(i))) if i == "shared" => Some(Slopes::Shared),
            Some(Arg::Positional(Value::Ident(i))) if i == "per_feature" => {
                Some(Slopes::PerFeature)
            }
            Some(Arg::Positional(Value::Ident(i))) if i == "per_channel" => {
                Some(Slopes::PerChannel)
            }
            Some(other) => {
                cx.error_spanned_by(
                    arg_loc(other),
                    "`prelu` takes `shared` (one slope, the default), `per_feature` or `per_channel`",
                );
                None
            }
        };
        let init = match args.named("init", cx) {
            Some(v) => number(v, "the initial slope of `prelu`", |_| true, "a number", cx),
            None => Some(0.25),
        };
        args.finish(
            cx,
            "`prelu`",
            "`shared`, `per_feature` or `per_channel`, and `init = ...`",
        );
        Some(PRelu {
            slopes: slopes?,
            init: init?,
        })
    }

    /// The number of slopes and the run of values each covers, for an input of this shape.
    fn layout(&self, input: &Shape) -> (usize, usize) {
        let n = input.numel();
        match self.slopes {
            Slopes::Shared => (1, n),
            Slopes::PerFeature => (n, 1),
            Slopes::PerChannel => {
                let c = input.0.first().copied().unwrap_or(1).max(1);
                (c, n / c)
            }
        }
    }

    /// The const generics after `T`: values, slopes and the run each slope covers.
    fn sizes(&self, input: &Shape) -> (Literal, Literal, Literal) {
        let (c, s) = self.layout(input);
        let s = if self.slopes == Slopes::Shared { 1 } else { s };
        (lit(input.numel()), lit(c), lit(s))
    }
}

impl LayerKind for PRelu {
    fn output_shape(
        &self,
        call: &LayerCall,
        input: &Shape,
        prev: &Prev,
        cx: &mut Ctxt,
    ) -> Option<Shape> {
        if self.slopes == Slopes::PerFeature && input.as_flat().is_none() {
            cx.error_spanned_by(
                call.loc,
                format!(
                    "`prelu(per_feature)` takes a flat input [features], but receives {input} from {}; \
                     write `prelu(per_channel)` for one slope per channel, as `nn.PReLU({})`",
                    prev.what,
                    input.0.first().copied().unwrap_or(1)
                ),
            );
            return None;
        }
        Some(input.clone())
    }

    fn field_type(&self, input: &Shape, _output: &Shape) -> TokenStream {
        let rt = rt();
        let (n, c, s) = self.sizes(input);
        quote!(#rt::layers::PRelu<T, #n, #c, #s>)
    }

    fn construct(&self, input: &Shape, output: &Shape) -> TokenStream {
        let ty = self.field_type(input, output);
        let init = self.init;
        quote!(<#ty>::new(#init))
    }

    fn tensors(&self, input: &Shape, _output: &Shape, prefix: &str, t: &mut Tensors) {
        t.param(prefix, "weight", &[self.layout(input).0]);
    }

    fn embedded(&self, input: &Shape, _output: &Shape) -> Option<EmbeddedLayer> {
        let rt = rt();
        let (_, c, s) = self.sizes(input);
        Some(EmbeddedLayer::map(
            Some(quote!(#rt::fixed::PRelu<T, #c, #s>)),
            Box::new(|l, x, y| quote!(#l.forward(#x, #y);)),
        ))
    }
}
