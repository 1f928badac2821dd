//! `last_step`, `mean_over_time`, `max_over_time`: a sequence's per-step features `[F]`
//! reduced to one `[F]` per sequence (`kiln_runtime::recurrent::OverTime`), after which the
//! declaration continues with per-sequence layers and the loss takes one label or target per
//! sequence. Shape rule: `[F]` per step -> `[F]` per sequence; only at the top level of a
//! sequence network, once.

use proc_macro2::TokenStream;
use quote::quote;

use crate::args::Args;
use crate::diag::Ctxt;
use crate::embedded_op::{EmbeddedLayer, Op};
use crate::kind::{flat_input, LayerKind, Prev};
use crate::parse::LayerCall;
use crate::shape::Shape;
use crate::tokens::{lit, rt};

/// One reduction over time.
pub struct OverTime {
    /// `Last`, `Mean` or `Max` of the runtime's `TimeReduction`.
    variant: &'static str,
}

impl OverTime {
    pub fn parse(call: &LayerCall, cx: &mut Ctxt) -> Option<Self> {
        let variant = match call.name.to_string().as_str() {
            "last_step" => "Last",
            "mean_over_time" => "Mean",
            _ => "Max",
        };
        Args::new(call).finish(cx, &format!("`{}`", call.name), "no arguments");
        Some(OverTime { variant })
    }
}

impl LayerKind for OverTime {
    fn output_shape(
        &self,
        call: &LayerCall,
        input: &Shape,
        prev: &Prev,
        cx: &mut Ctxt,
    ) -> Option<Shape> {
        flat_input(call, input, prev, cx).map(Shape::flat)
    }

    fn recurrent(&self) -> bool {
        true
    }

    fn reduces_time(&self) -> bool {
        true
    }

    fn field_type(&self, input: &Shape, _output: &Shape) -> TokenStream {
        let rt = rt();
        let f = lit(input.numel());
        quote!(#rt::recurrent::OverTime<T, #f>)
    }

    fn construct(&self, input: &Shape, output: &Shape) -> TokenStream {
        let rt = rt();
        let ty = self.field_type(input, output);
        let v = proc_macro2::Ident::new(self.variant, proc_macro2::Span::call_site());
        quote!(<#ty>::new(#rt::recurrent::TimeReduction::#v))
    }

    /// A streaming step: the reduction of the sequence so far, kept in the scratch.
    fn embedded(&self, input: &Shape, _output: &Shape) -> Option<EmbeddedLayer> {
        let rt = rt();
        let f = input.numel();
        let fl = lit(f);
        let method =
            proc_macro2::Ident::new(&self.variant.to_lowercase(), proc_macro2::Span::call_site());
        Some(EmbeddedLayer {
            levels: 1,
            bidirectional: false,
            ty: None,
            config: Vec::new(),
            transposed: &[],
            unsqueezed: &[],
            flat: &[],
            op: Op::Step {
                state: quote!(#rt::fixed::OverTimeState<T, #fl>),
                state_len: f + 1,
                call: Box::new(move |_, x, y, s| quote!(#s.#method(#x, #y);)),
            },
        })
    }
}
