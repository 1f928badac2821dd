//! `layer_norm`, `layer_norm(eps = 1e-5)`: per-sample normalisation over features with a
//! learnable scale and shift (`kiln_runtime::layers::LayerNorm`). Shape rule: the identity.

use proc_macro2::TokenStream;
use quote::quote;

use crate::args::{number, Args};
use crate::diag::Ctxt;
use crate::embedded_op::{Config, EmbeddedLayer, Op};
use crate::kind::{flat_input, LayerKind, Prev};
use crate::parse::LayerCall;
use crate::shape::Shape;
use crate::tensors::Tensors;
use crate::tokens::{lit, rt};

pub struct LayerNorm {
    eps: f64,
}

impl LayerNorm {
    pub fn parse(call: &LayerCall, cx: &mut Ctxt) -> Option<Self> {
        let mut args = Args::new(call);
        let eps = match args.named("eps", cx) {
            Some(v) => number(v, "`eps`", |e| e > 0.0, "positive", cx),
            None => Some(1e-5),
        };
        args.finish(cx, "`layer_norm`", "`eps = ...`");
        Some(LayerNorm { eps: eps? })
    }
}

impl LayerKind for LayerNorm {
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
        quote!(#rt::layers::LayerNorm<T, #n>)
    }

    fn construct(&self, input: &Shape, output: &Shape) -> TokenStream {
        let ty = self.field_type(input, output);
        let e = self.eps;
        quote!(<#ty>::new(#e)?)
    }

    fn tensors(&self, input: &Shape, _output: &Shape, prefix: &str, t: &mut Tensors) {
        let n = [input.numel()];
        t.param(prefix, "weight", &n);
        t.param(prefix, "bias", &n);
    }

    fn embedded(&self, input: &Shape, _output: &Shape) -> Option<EmbeddedLayer> {
        let rt = rt();
        let n = lit(input.numel());
        Some(EmbeddedLayer {
            ty: Some(quote!(#rt::fixed::LayerNorm<T, #n>)),
            config: vec![("eps", Config::Float(self.eps))],
            transposed: &[],
            unsqueezed: &[],
            op: Op::Map(Box::new(|l, x, y| quote!(#l.forward(#x, #y);))),
        })
    }
}
