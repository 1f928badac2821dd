//! Token inputs (declare `input: [seq, 1]` or `input: [1]`: one token id per row):
//! `embedding(vocab, dim)` (option `init = ...`, default N(0, 1) as `nn.Embedding`) and
//! `one_hot(vocab)`: `kiln_runtime::layers::{Embedding, OneHot}`, gathers rather than GEMMs.
//! Shape rule: `[1] -> [dim]` or `[1] -> [vocab]`; ids are checked at run time.

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

pub struct TokenLayer {
    vocab: usize,
    /// `None` for `one_hot`.
    dim: Option<usize>,
    init: Option<InitSpec>,
}

impl TokenLayer {
    pub fn parse(call: &LayerCall, cx: &mut Ctxt) -> Option<Self> {
        let embedding = call.name == "embedding";
        let mut args = Args::new(call);
        let mut num = |i: usize, what: &str, cx: &mut Ctxt| match args.positional(i) {
            Some(Arg::Positional(v)) => count(v, what, 1, cx),
            _ => {
                let usage = if embedding {
                    "`embedding(65, 32)`: vocabulary size, then width"
                } else {
                    "`one_hot(65)`"
                };
                cx.error_spanned_by(call.loc, format!("`{}` needs {what}: {usage}", call.name));
                None
            }
        };
        let vocab = num(0, "the vocabulary size", cx);
        let dim = if embedding {
            num(1, "the embedding width", cx).map(Some)
        } else {
            Some(None)
        };
        let init = match args.named("init", cx) {
            Some(v) if embedding => InitSpec::parse(v, cx).map(Some),
            Some(v) => {
                cx.error_spanned_by(v.loc(), "`one_hot` has no parameters to initialise");
                None
            }
            None => Some(None),
        };
        args.finish(
            cx,
            &format!("`{}`", call.name),
            if embedding {
                "a vocabulary size, a width and `init = ...`"
            } else {
                "a vocabulary size"
            },
        );
        Some(TokenLayer {
            vocab: vocab?,
            dim: dim?,
            init: init?,
        })
    }
}

impl LayerKind for TokenLayer {
    fn declared_output(&self) -> Option<Shape> {
        Some(Shape::flat(self.dim.unwrap_or(self.vocab)))
    }

    fn output_shape(
        &self,
        call: &LayerCall,
        input: &Shape,
        prev: &Prev,
        cx: &mut Ctxt,
    ) -> Option<Shape> {
        let n = flat_input(call, input, prev, cx)?;
        if n != 1 {
            cx.error_spanned_by(
                call.loc,
                format!("`{}` reads one token id per row, but receives [{n}] from {}; declare the input `[seq, 1]` (or `[1]`)", call.name, prev.what),
            );
            return None;
        }
        Some(Shape::flat(self.dim.unwrap_or(self.vocab)))
    }

    fn field_type(&self, _input: &Shape, _output: &Shape) -> TokenStream {
        let rt = rt();
        let v = lit(self.vocab);
        match self.dim {
            Some(d) => {
                let d = lit(d);
                quote!(#rt::layers::Embedding<T, #v, #d>)
            }
            None => quote!(#rt::layers::OneHot<T, #v>),
        }
    }

    fn construct(&self, input: &Shape, output: &Shape) -> TokenStream {
        let ty = self.field_type(input, output);
        match self.dim {
            Some(_) => {
                let init = self
                    .init
                    .clone()
                    .unwrap_or(InitSpec::Normal(0.0, 1.0))
                    .tokens();
                quote!(<#ty>::new(#init, rng)?)
            }
            None => quote!(<#ty>::new()),
        }
    }

    fn tensors(&self, _input: &Shape, _output: &Shape, prefix: &str, t: &mut Tensors) {
        if let Some(d) = self.dim {
            t.param(prefix, "weight", &[self.vocab, d]);
        }
    }

    fn embedded(&self, _input: &Shape, _output: &Shape) -> Option<EmbeddedLayer> {
        let rt = rt();
        let v = lit(self.vocab);
        Some(match self.dim {
            Some(d) => {
                let d = lit(d);
                EmbeddedLayer::map(
                    Some(quote!(#rt::fixed::Embedding<T, #v, #d>)),
                    Box::new(|l, x, y| quote!(#l.forward(#x, #y)?;)),
                )
            }
            None => EmbeddedLayer::map(
                None,
                Box::new(move |_, x, y| quote!(#rt::fixed::one_hot::<T, #v>(#x, #y)?;)),
            ),
        })
    }
}
