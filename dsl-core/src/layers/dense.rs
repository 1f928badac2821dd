//! `dense(out)`, `dense(in -> out)`, options `bias = false`, `init = ...`: a fully connected
//! layer (`kiln_runtime::layers::Dense`), into which a following activation is fused.
//! Shape rule: `[in] -> [out]`; an `in -> out` annotation is checked against the actual input.

use proc_macro2::TokenStream;
use quote::quote;

use crate::activation::ActSpec;
use crate::args::{boolean, count, Args};
use crate::diag::Ctxt;
use crate::embedded_op::EmbeddedLayer;
use crate::init::InitSpec;
use crate::kind::{affine_ctor, flat_input, fuse_into, LayerKind, Prev};
use crate::parse::{Arg, LayerCall, Value};
use crate::shape::Shape;
use crate::tensors::Tensors;
use crate::tokens::{lit, rt};

pub struct Dense {
    declared_in: Option<(usize, Value)>,
    out: usize,
    bias: bool,
    init: Option<InitSpec>,
    act: Option<ActSpec>,
}

impl Dense {
    pub fn parse(call: &LayerCall, cx: &mut Ctxt) -> Option<Self> {
        let mut args = Args::new(call);
        let (declared_in, out) = match args.positional(0) {
            Some(Arg::Positional(v)) => (None, count(v, "the output width of `dense`", 1, cx)),
            Some(Arg::Arrow(i, o)) => {
                let inn = count(i, "the input width of `dense`", 1, cx).map(|n| (n, i.clone()));
                (inn, count(o, "the output width of `dense`", 1, cx))
            }
            _ => {
                cx.error_spanned_by(
                    call.loc,
                    "`dense` needs its output width: `dense(128)` or `dense(64 -> 128)`",
                );
                (None, None)
            }
        };
        let bias = match args.named("bias", cx) {
            Some(v) => boolean(v, "`bias`", cx),
            None => Some(true),
        };
        let init = match args.named("init", cx) {
            Some(v) => InitSpec::parse(v, cx).map(Some),
            None => Some(None),
        };
        args.finish(
            cx,
            "`dense`",
            "an output width (or `in -> out`), `bias = true|false` and `init = ...`",
        );
        Some(Dense {
            declared_in,
            out: out?,
            bias: bias?,
            init: init?,
            act: None,
        })
    }
}

impl LayerKind for Dense {
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
        let n = flat_input(call, input, prev, cx)?;
        if let Some((declared, v)) = &self.declared_in {
            if *declared != n {
                cx.error_spanned_by(
                    v.loc(),
                    format!(
                        "`dense({declared} -> {out})` expects input [{declared}], but receives [{n}] from {}; write `dense({n} -> {out})`",
                        prev.what,
                        out = self.out
                    ),
                );
                return None;
            }
        }
        Some(Shape::flat(self.out))
    }

    fn is_affine(&self) -> bool {
        self.act.is_none()
    }

    fn fuse(&mut self, act: &ActSpec) -> bool {
        fuse_into(&mut self.act, act)
    }

    fn field_type(&self, input: &Shape, output: &Shape) -> TokenStream {
        let rt = rt();
        let (i, o) = (lit(input.numel()), lit(output.numel()));
        quote!(#rt::layers::Dense<T, #i, #o>)
    }

    fn construct(&self, input: &Shape, output: &Shape) -> TokenStream {
        affine_ctor(
            self.field_type(input, output),
            self.bias,
            self.act.as_ref(),
            self.init.as_ref(),
        )
    }

    fn tensors(&self, input: &Shape, output: &Shape, prefix: &str, t: &mut Tensors) {
        let (i, o) = (input.numel(), output.numel());
        t.param(prefix, "weight", &[o, i]);
        if self.bias {
            t.param(prefix, "bias", &[o]);
        }
    }

    fn macs(&self, input: &Shape, output: &Shape) -> u64 {
        (input.numel() * output.numel()) as u64
    }

    fn embedded(&self, input: &Shape, output: &Shape) -> Option<EmbeddedLayer> {
        let rt = rt();
        let (i, o) = (lit(input.numel()), lit(output.numel()));
        let act = crate::kind::act_tokens(self.act.as_ref());
        let mut e = EmbeddedLayer::map(
            Some(quote!(#rt::fixed::Dense<T, #i, #o>)),
            Box::new(move |l, x, y| quote!(#l.forward(#x, #y, #act);)),
        );
        e.transposed = &["weight"];
        Some(e)
    }

    fn int8(&self, input: &Shape, output: &Shape) -> crate::int8::Int8Kernel {
        let rt = rt();
        let (i, o) = (input.numel(), output.numel());
        let (il, ol) = (lit(i), lit(o));
        crate::int8::Int8Kernel::product(
            quote!(#rt::fixed::DenseInt8<#il, #ol>),
            vec![o, i],
            self.act.as_ref(),
            Box::new(|l, x, y| quote!(#l.forward(#x, #y);)),
        )
    }
}
