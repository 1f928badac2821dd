//! `layer_norm`, `layer_norm(eps = 1e-5)`: per-sample normalisation over all of a sample's
//! values (flat features, or a whole `[C, H, W]` map as PyTorch's `nn.LayerNorm([C, H, W])`)
//! with a learnable elementwise scale and shift of the sample's shape
//! (`kiln_runtime::layers::LayerNorm`). Shape rule: the identity.

use proc_macro2::TokenStream;
use quote::quote;

use crate::args::{number, Args};
use crate::diag::Ctxt;
use crate::embedded_op::{Config, EmbeddedLayer, Op};
use crate::kind::{LayerKind, Prev};
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
        // Over every value of a sample, as PyTorch's `nn.LayerNorm(sample_shape)`: flat
        // features, feature maps `[C, H, W]` or `[C, L]` alike; the shape is kept.
        let _ = (call, prev, cx);
        Some(input.clone())
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

    /// `weight` and `bias` of the sample's shape (`[C, H, W]` for maps), as PyTorch's.
    /// Inference is one scale and shift per value.
    fn macs(&self, _input: &Shape, output: &Shape) -> u64 {
        output.numel() as u64
    }

    fn tensors(&self, input: &Shape, _output: &Shape, prefix: &str, t: &mut Tensors) {
        t.param(prefix, "weight", &input.0);
        t.param(prefix, "bias", &input.0);
    }

    fn embedded(&self, input: &Shape, _output: &Shape) -> Option<EmbeddedLayer> {
        let rt = rt();
        let n = lit(input.numel());
        Some(EmbeddedLayer {
            levels: 1,
            bidirectional: false,
            ty: Some(quote!(#rt::fixed::LayerNorm<T, #n>)),
            config: vec![("eps".into(), Config::Float(self.eps))],
            transposed: &[],
            unsqueezed: &[],
            flat: &["weight", "bias"],
            op: Op::Map(Box::new(|l, x, y| quote!(#l.forward(#x, #y);))),
        })
    }
}
