//! `prelu` (one shared slope, PyTorch's default) or `prelu(per_feature)`, option
//! `init = 0.25`: learnable leaky slopes (`kiln_runtime::layers::PRelu`). Shape rule: identity.

use proc_macro2::TokenStream;
use quote::quote;

use crate::args::{number, Args};
use crate::diag::Ctxt;
use crate::embedded_op::EmbeddedLayer;
use crate::kind::{flat_input, LayerKind, Prev};
use crate::parse::{arg_loc, Arg, LayerCall, Value};
use crate::shape::Shape;
use crate::tensors::Tensors;
use crate::tokens::{lit, rt};

pub struct PRelu {
    per_feature: bool,
    init: f64,
}

impl PRelu {
    pub fn parse(call: &LayerCall, cx: &mut Ctxt) -> Option<Self> {
        let mut args = Args::new(call);
        let per_feature = match args.positional(0) {
            None => Some(false),
            Some(Arg::Positional(Value::Ident(i))) if i == "per_feature" => Some(true),
            Some(Arg::Positional(Value::Ident(i))) if i == "shared" => Some(false),
            Some(other) => {
                cx.error_spanned_by(
                    arg_loc(other),
                    "`prelu` takes `shared` (one slope, the default) or `per_feature`",
                );
                None
            }
        };
        let init = match args.named("init", cx) {
            Some(v) => number(v, "the initial slope of `prelu`", |_| true, "a number", cx),
            None => Some(0.25),
        };
        args.finish(cx, "`prelu`", "`shared` or `per_feature`, and `init = ...`");
        Some(PRelu {
            per_feature: per_feature?,
            init: init?,
        })
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
        flat_input(call, input, prev, cx).map(Shape::flat)
    }

    fn field_type(&self, input: &Shape, _output: &Shape) -> TokenStream {
        let rt = rt();
        let n = lit(input.numel());
        let c = if self.per_feature { n.clone() } else { lit(1) };
        quote!(#rt::layers::PRelu<T, #n, #c>)
    }

    fn construct(&self, input: &Shape, output: &Shape) -> TokenStream {
        let ty = self.field_type(input, output);
        let init = self.init;
        quote!(<#ty>::new(#init))
    }

    fn tensors(&self, input: &Shape, _output: &Shape, prefix: &str, t: &mut Tensors) {
        let c = if self.per_feature { input.numel() } else { 1 };
        t.param(prefix, "weight", &[c]);
    }

    fn embedded(&self, input: &Shape, _output: &Shape) -> Option<EmbeddedLayer> {
        let rt = rt();
        let c = lit(if self.per_feature { input.numel() } else { 1 });
        Some(EmbeddedLayer::map(
            Some(quote!(#rt::fixed::PRelu<T, #c>)),
            Box::new(|l, x, y| quote!(#l.forward(#x, #y);)),
        ))
    }
}
