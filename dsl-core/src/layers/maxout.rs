//! `maxout(out, pieces = k)`, option `init = ...`: `k` affine pieces per output feature, the
//! output their maximum (`kiln_runtime::layers::Maxout`). Shape rule: `[in] -> [out]`.

use proc_macro2::TokenStream;
use quote::quote;

use crate::args::{count, Args};
use crate::diag::Ctxt;
use crate::embedded_op::EmbeddedLayer;
use crate::init::InitSpec;
use crate::kind::{flat_input, LayerKind, Prev};
use crate::parse::{Arg, LayerCall};
use crate::shape::Shape;
use crate::tensors::Tensors;
use crate::tokens::{lit, rt};

pub struct Maxout {
    out: usize,
    pieces: usize,
    init: Option<InitSpec>,
}

impl Maxout {
    pub fn parse(call: &LayerCall, cx: &mut Ctxt) -> Option<Self> {
        let mut args = Args::new(call);
        let out = match args.positional(0) {
            Some(Arg::Positional(v)) => count(v, "the output width of `maxout`", 1, cx),
            _ => {
                cx.error_spanned_by(
                    call.loc,
                    "`maxout` needs its output width and pieces: `maxout(64, pieces = 3)`",
                );
                None
            }
        };
        let pieces = match args.named("pieces", cx) {
            Some(v) => count(v, "the number of `maxout` pieces", 2, cx),
            None => {
                cx.error_spanned_by(
                    call.loc,
                    "`maxout` needs the number of pieces: `maxout(64, pieces = 3)`",
                );
                None
            }
        };
        let init = match args.named("init", cx) {
            Some(v) => InitSpec::parse(v, cx).map(Some),
            None => Some(None),
        };
        args.finish(
            cx,
            "`maxout`",
            "an output width, `pieces = k` and `init = ...`",
        );
        Some(Maxout {
            out: out?,
            pieces: pieces?,
            init: init?,
        })
    }
}

impl LayerKind for Maxout {
    fn declared_output(&self) -> Option<Shape> {
        Some(Shape::flat(self.out))
    }

    fn output_shape(
        &self,
        call: &LayerCall,
        input: &Shape,
        prev: &Prev,
        cx: &mut Ctxt,
    ) -> Option<Shape> {
        flat_input(call, input, prev, cx)?;
        Some(Shape::flat(self.out))
    }

    fn field_type(&self, input: &Shape, output: &Shape) -> TokenStream {
        let rt = rt();
        let (i, o, k) = (lit(input.numel()), lit(output.numel()), lit(self.pieces));
        quote!(#rt::layers::Maxout<T, #i, #o, #k>)
    }

    fn construct(&self, input: &Shape, output: &Shape) -> TokenStream {
        let ty = self.field_type(input, output);
        let init = self
            .init
            .clone()
            .unwrap_or_else(|| InitSpec::default_for(None))
            .tokens();
        quote!(<#ty>::new(#init, rng)?)
    }

    fn macs(&self, input: &Shape, output: &Shape) -> u64 {
        (input.numel() * output.numel() * self.pieces) as u64
    }

    /// The weight in PyTorch's `[out * pieces, in]` layout, each output's pieces side by side.
    fn embedded(&self, input: &Shape, output: &Shape) -> Option<EmbeddedLayer> {
        let rt = rt();
        let (o, k) = (output.numel(), self.pieces);
        let [i, o, k, rows] = [input.numel(), o, k, o * k].map(lit);
        Some(EmbeddedLayer::map(
            Some(quote!(#rt::fixed::Maxout<T, #i, #o, #k, #rows>)),
            Box::new(|l, x, y| quote!(#l.forward(#x, #y);)),
        ))
    }

    fn tensors(&self, input: &Shape, output: &Shape, prefix: &str, t: &mut Tensors) {
        let rows = output.numel() * self.pieces;
        t.param(prefix, "weight", &[rows, input.numel()]);
        t.param(prefix, "bias", &[rows]);
    }
}
