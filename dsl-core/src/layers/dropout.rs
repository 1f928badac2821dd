//! `dropout(p)`: inverted dropout (`kiln_runtime::layers::Dropout`), identity in eval mode.
//! Shape rule: the identity; `p` must be in `[0, 1)`.

use proc_macro2::TokenStream;
use quote::quote;

use crate::args::{number, Args};
use crate::diag::Ctxt;
use crate::embedded_op::EmbeddedLayer;
use crate::kind::{LayerKind, Prev};
use crate::parse::{Arg, LayerCall};
use crate::shape::Shape;
use crate::tokens::{lit, rt};

pub struct Dropout {
    p: f64,
}

impl Dropout {
    pub fn parse(call: &LayerCall, cx: &mut Ctxt) -> Option<Self> {
        let mut args = Args::new(call);
        let p = match args.positional(0) {
            Some(Arg::Positional(v)) => number(
                v,
                "the drop probability of `dropout`",
                |p| (0.0..1.0).contains(&p),
                "in [0, 1) (the probability of zeroing an element)",
                cx,
            ),
            _ => {
                cx.error_spanned_by(
                    call.loc,
                    "`dropout` needs its drop probability, e.g. `dropout(0.5)`",
                );
                None
            }
        };
        args.finish(cx, "`dropout`", "one probability in [0, 1)");
        Some(Dropout { p: p? })
    }
}

impl LayerKind for Dropout {
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
        quote!(#rt::layers::Dropout<T, #n>)
    }

    fn construct(&self, input: &Shape, output: &Shape) -> TokenStream {
        let ty = self.field_type(input, output);
        let p = self.p;
        quote!(<#ty>::new(#p)?)
    }

    fn embedded(&self, _input: &Shape, _output: &Shape) -> Option<EmbeddedLayer> {
        Some(EmbeddedLayer::pass())
    }

    fn int8(&self, _input: &Shape, _output: &Shape) -> crate::int8::Int8Kernel {
        crate::int8::Int8Kernel::keep(None)
    }
}
