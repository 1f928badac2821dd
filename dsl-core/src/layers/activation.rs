//! An activation that could not be fused into the layer before it: a layer of its own
//! (`kiln_runtime::layers::Act`). Shape rule: the identity.

use proc_macro2::TokenStream;
use quote::quote;

use crate::activation::ActSpec;
use crate::diag::Ctxt;
use crate::embedded_op::EmbeddedLayer;
use crate::kind::{LayerKind, Prev};
use crate::parse::LayerCall;
use crate::shape::Shape;
use crate::tokens::{lit, rt};

/// An activation that could not be fused: a layer of its own.
pub struct ActLayer {
    pub act: ActSpec,
}

impl LayerKind for ActLayer {
    fn output_shape(
        &self,
        _call: &LayerCall,
        input: &Shape,
        _prev: &Prev,
        _cx: &mut Ctxt,
    ) -> Option<Shape> {
        Some(input.clone())
    }

    fn field_type(&self, input: &Shape, _output: &Shape) -> TokenStream {
        let rt = rt();
        let n = lit(input.numel());
        quote!(#rt::layers::Act<T, #n>)
    }

    fn construct(&self, input: &Shape, output: &Shape) -> TokenStream {
        let ty = self.field_type(input, output);
        let act = self.act.tokens();
        quote!(<#ty>::new(#act))
    }

    fn int8(&self, _input: &Shape, _output: &Shape) -> crate::int8::Int8Kernel {
        crate::int8::Int8Kernel::activation(&self.act)
    }

    fn embedded(&self, _input: &Shape, _output: &Shape) -> Option<EmbeddedLayer> {
        let act = self.act.tokens();
        Some(EmbeddedLayer::in_place(
            move |buf| quote::quote!(#act.forward(#buf);),
        ))
    }
}
