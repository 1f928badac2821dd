//! `softmax` and `log_softmax`: each sample's values to probabilities or log-probabilities
//! (`kiln_runtime::layers::Softmax`; PyTorch's `nn.Softmax(dim=-1)`, `nn.LogSoftmax(dim=-1)`).
//! Shape rule: a flat `[F]` keeps its shape. `log_softmax` feeds the `nll` loss;
//! `softmax_cross_entropy` takes logits, so neither may come right before it.

use proc_macro2::TokenStream;
use quote::quote;

use crate::args::Args;
use crate::diag::Ctxt;
use crate::embedded_op::EmbeddedLayer;
use crate::kind::{flat_input, LayerKind, Prev};
use crate::parse::LayerCall;
use crate::shape::Shape;
use crate::tokens::{lit, rt};

pub struct Softmax {
    log: bool,
}

impl Softmax {
    pub fn parse(call: &LayerCall, cx: &mut Ctxt) -> Option<Self> {
        let log = call.name == "log_softmax";
        Args::new(call).finish(cx, &format!("`{}`", call.name), "no arguments");
        Some(Softmax { log })
    }
}

impl LayerKind for Softmax {
    fn output_shape(
        &self,
        call: &LayerCall,
        input: &Shape,
        prev: &Prev,
        cx: &mut Ctxt,
    ) -> Option<Shape> {
        flat_input(call, input, prev, cx).map(Shape::flat)
    }

    fn normalises(&self) -> Option<&'static str> {
        Some(if self.log { "log_softmax" } else { "softmax" })
    }

    fn field_type(&self, input: &Shape, _output: &Shape) -> TokenStream {
        let rt = rt();
        let f = lit(input.numel());
        quote!(#rt::layers::Softmax<T, #f>)
    }

    fn construct(&self, input: &Shape, output: &Shape) -> TokenStream {
        let ty = self.field_type(input, output);
        let log = self.log;
        quote!(<#ty>::new(#log))
    }

    /// In place over the sample, as on the heap.
    fn embedded(&self, _input: &Shape, _output: &Shape) -> Option<EmbeddedLayer> {
        let rt = rt();
        let log = self.log;
        Some(EmbeddedLayer::in_place(
            move |buf| quote!(#rt::fixed::softmax(#buf, #log);),
        ))
    }
}
