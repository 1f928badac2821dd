//! A user-written layer: `GatedLinear<64>` or `my::Gate -> [32]` in a layer list, a type
//! implementing `kiln_runtime::layers::{Layer, CustomLayer}` generic over the float type first
//! (the macro adds `T`). Shape rule: the declared output shape, or the input's when none is
//! declared. The macro cannot see the type's sizes while expanding, so it emits compile-time
//! assertions that `Layer::IN` and `Layer::OUT` match the shapes around it; its tensors come
//! from `CustomLayer::TENSORS` under the layer's prefix. No embedded form (a custom layer is a
//! heap-backed `Layer`, not one of the embedded form's kernels).

use proc_macro2::{Ident, Span, TokenStream};
use quote::{quote, quote_spanned};

use crate::diag::Ctxt;
use crate::kind::{LayerKind, Prev};
use crate::layers::conv2d::shape_annotation;
use crate::parse::{CustomItem, LayerCall, Value};
use crate::shape::Shape;
use crate::tensors::Tensors;
use crate::tokens::{respan, rt};

pub struct Custom {
    path: syn::Path,
    /// `GatedLinear<64>`, for messages.
    shown: String,
    out: Option<Shape>,
    span: Span,
    /// Set by the shape rule: what feeds the layer, for the assertion's message.
    prev: std::cell::RefCell<String>,
}

impl Custom {
    pub fn parse(item: &CustomItem, cx: &mut Ctxt) -> Option<Self> {
        let out = match &item.out {
            Some(v @ Value::List(..)) => Some(Shape(shape_annotation(v, cx)?.0)),
            Some(other) => {
                cx.error_spanned_by(
                    other.loc(),
                    format!(
                        "the output shape of `{}` is a list of dimensions: write `-> [{}]`",
                        item.source(),
                        other.source()
                    ),
                );
                return None;
            }
            None => None,
        };
        Some(Custom {
            path: item.path.clone(),
            shown: item.source(),
            out,
            span: item.loc.start,
            prev: Default::default(),
        })
    }

    /// The type with the float type `float` added as its first generic argument.
    fn with_float(&self, float: TokenStream) -> TokenStream {
        let mut path = self.path.clone();
        let float: syn::GenericArgument = syn::parse_quote_spanned!(self.span=> #float);
        if let Some(last) = path.segments.last_mut() {
            match &mut last.arguments {
                syn::PathArguments::AngleBracketed(a) => a.args.insert(0, float),
                args => {
                    *args = syn::PathArguments::AngleBracketed(
                        syn::parse_quote_spanned!(self.span=> <#float>),
                    )
                }
            }
        }
        quote!(#path)
    }

    /// `const` assertions, evaluated by `cargo check`, that the type's widths are the ones the
    /// declaration gives it.
    fn assertions(&self, input: &Shape, output: &Shape) -> TokenStream {
        let rt = respan(rt(), self.span);
        let ty = self.with_float(quote!(f32));
        let (n_in, n_out) = (input.numel(), output.numel());
        let (shown, prev) = (&self.shown, self.prev.borrow());
        let msg_in = format!(
            "the custom layer `{shown}` receives {input} from {prev}, but its `Layer::IN` is not {n_in}; change its size parameters or the layers before it"
        );
        let msg_out = if self.out.is_some() {
            format!("the custom layer `{shown}` is declared to give {output}, but its `Layer::OUT` is not {n_out}; fix the `-> [..]` or its size parameters")
        } else {
            format!("the custom layer `{shown}` has no `-> [..]`, so it is taken to keep its input's shape {output}, but its `Layer::OUT` is not {n_out}; write its output shape after the type, e.g. `{shown} -> [..]`")
        };
        let check = Ident::new("__KILN_CHECK", self.span);
        quote_spanned! {self.span=>
            {
                const #check: () = {
                    let d = #rt::layers::custom::describe::<f32, #ty>();
                    ::core::assert!(d.n_in == #n_in, #msg_in);
                    ::core::assert!(d.n_out == #n_out, #msg_out);
                };
                #check
            }
        }
    }
}

impl LayerKind for Custom {
    fn output_shape(
        &self,
        _call: &LayerCall,
        input: &Shape,
        prev: &Prev,
        _cx: &mut Ctxt,
    ) -> Option<Shape> {
        *self.prev.borrow_mut() = prev.what.to_string();
        Some(self.out.clone().unwrap_or_else(|| input.clone()))
    }

    fn declared_output(&self) -> Option<Shape> {
        self.out.clone()
    }

    fn field_type(&self, _input: &Shape, _output: &Shape) -> TokenStream {
        self.with_float(quote!(T))
    }

    fn construct(&self, input: &Shape, output: &Shape) -> TokenStream {
        let rt = rt();
        let ty = self.with_float(quote!(T));
        let checks = self.assertions(input, output);
        quote!({
            #checks;
            <#ty as #rt::layers::CustomLayer<T>>::init(rng)
        })
    }

    fn tensors(&self, _input: &Shape, _output: &Shape, prefix: &str, t: &mut Tensors) {
        let rt = respan(rt(), self.span);
        let ty = self.with_float(quote!(f32));
        // Spanned like the width check: a type that is no layer gives one error, not two.
        t.custom(
            prefix,
            quote_spanned!(self.span=> #rt::layers::custom::describe::<f32, #ty>().tensors),
        );
    }

    fn custom_types(&self, out: &mut Vec<TokenStream>) {
        out.push(self.with_float(quote!(T)));
    }

    fn embedded_refusal(&self) -> Option<String> {
        Some(format!(
            "the custom layer `{}` has no embedded form: the embedded form runs kiln's own inline kernels on baked arrays, and a custom layer is a heap-backed `Layer`",
            self.shown
        ))
    }
}
