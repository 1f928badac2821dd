//! The stand-in emitted when a declaration has errors (after thiserror's fallback): the
//! network's types exist, with the typed methods where the sizes are known and bodies that are
//! never run, so the only errors the user sees are the declaration's own.

use proc_macro2::{Ident, TokenStream, TokenTree};
use quote::quote;

use super::exports::Names;
use syn::Visibility;

use crate::check::Sketch;
use crate::parse::NetworkDecl;
use crate::tokens::{lit, rt};

/// The stand-in for a declaration that parsed but did not check.
pub fn emit(decl: &NetworkDecl, sketch: &Sketch) -> TokenStream {
    stand_in(&decl.vis, &decl.name, sketch)
}

/// The stand-in for tokens that did not even parse: the name after `struct`, if there is one.
pub fn from_tokens(input: &TokenStream) -> TokenStream {
    let tokens: Vec<TokenTree> = input.clone().into_iter().collect();
    let name = tokens.windows(2).find_map(|w| match (&w[0], &w[1]) {
        (TokenTree::Ident(kw), TokenTree::Ident(name)) if kw == "struct" => Some(name.clone()),
        _ => None,
    });
    let public = tokens
        .iter()
        .any(|t| matches!(t, TokenTree::Ident(i) if i == "pub"));
    let vis: Visibility = if public {
        syn::parse_quote!(pub)
    } else {
        Visibility::Inherited
    };
    match name {
        Some(name) => stand_in(&vis, &name, &Sketch::default()),
        None => TokenStream::new(),
    }
}

fn stand_in(vis: &Visibility, name: &Ident, sketch: &Sketch) -> TokenStream {
    let rt = rt();
    let names = Names::of(name, sketch.seq, sketch.embedded);
    let scratch = &names.std[1];
    let train = &names.std[2];
    let doc = "Stand-in: the `network!` declaration has errors.";
    let others = names.std[1..].iter().chain(&names.no_std);
    let typed = typed_methods(sketch, scratch, train);
    let types = quote! {
        #[doc = #doc]
        pub struct #name<T = f32>(::core::marker::PhantomData<T>);
        #(
            #[doc = #doc]
            pub struct #others<T = f32>(::core::marker::PhantomData<T>);
        )*
    };
    let methods = quote! {
        #[allow(dead_code, unused_variables, clippy::all)]
        impl<T: #rt::Float> #name<T> {
            /// Stand-in.
            pub fn new(rng: &mut #rt::rng::KilnRng) -> Self {
                ::core::unreachable!()
            }
            /// Stand-in.
            pub fn scratch(&self) -> #scratch<T> {
                ::core::unreachable!()
            }
            /// Stand-in.
            pub fn train_state(&self, seed: u64) -> #train<T> {
                ::core::unreachable!()
            }
            #typed
        }
    };
    let embedded = embedded_items(sketch, &names);
    let types = quote!(#types #embedded);
    // Every stand-in type exists with or without std; its methods need std.
    super::exports::wrap(name, vis, methods, types, false)
}

/// The embedded form's consts and batch-1 methods (f32 or int8), so that a `static` of its
/// `WEIGHTS` and calls of its `forward` or `step` raise no errors of their own.
fn embedded_items(sketch: &Sketch, names: &Names) -> TokenStream {
    let rt = rt();
    let [emb, scratch] = names.no_std.as_slice() else {
        return TokenStream::new();
    };
    let consts = embedded_consts(emb, scratch);
    let methods = match (sketch.input, sketch.output) {
        (Some(n_in), Some(n_out)) => {
            let (n_in, n_out) = (lit(n_in), lit(n_out));
            let f = if sketch.seq {
                quote!(step)
            } else {
                quote!(forward)
            };
            if sketch.int8 {
                // In an impl of `f32` only, so that `NameEmbedded::quantize_input` infers it.
                return quote! {
                    #[allow(dead_code, unused_variables, clippy::all)]
                    impl #emb<f32> {
                    /// Stand-in.
                    pub fn forward(&self, x: &[i8; #n_in], y: &mut [i8; #n_out], s: &mut #scratch<f32>) {
                        ::core::unreachable!()
                    }
                    /// Stand-in.
                    pub fn forward_real(&self, x: &[f32; #n_in], s: &mut #scratch<f32>) -> [f32; #n_out] {
                        ::core::unreachable!()
                    }
                    /// Stand-in.
                    pub fn quantize_input(x: &[f32; #n_in]) -> [i8; #n_in] {
                        ::core::unreachable!()
                    }
                    /// Stand-in.
                    pub fn dequantize_output(y: &[i8; #n_out]) -> [f32; #n_out] {
                        ::core::unreachable!()
                    }
                    }
                    #consts
                };
            } else {
                quote! {
                    /// Stand-in.
                    pub fn #f(&self, x: &[T; #n_in], y: &mut [T; #n_out], s: &mut #scratch<T>) -> #rt::Result<()> {
                        ::core::unreachable!()
                    }
                }
            }
        }
        _ => TokenStream::new(),
    };
    quote! {
        #[allow(dead_code, unused_variables, clippy::all)]
        impl<T> #emb<T> {
            #methods
        }
        #consts
    }
}

/// The embedded form's and its scratch's consts.
fn embedded_consts(emb: &Ident, scratch: &Ident) -> TokenStream {
    quote! {
        #[allow(dead_code)]
        impl<T> #emb<T> {
            /// Stand-in.
            pub const WEIGHTS: Self = Self(::core::marker::PhantomData);
            /// Stand-in.
            pub const WEIGHTS_F64: Self = Self(::core::marker::PhantomData);
            /// Stand-in.
            pub const BYTES: usize = 0;
            /// Stand-in.
            pub const PARAMS: usize = 0;
            /// Stand-in.
            pub const MACS: u64 = 0;
            /// Stand-in.
            pub const MODEL_BYTES: usize = 0;
            /// Stand-in.
            pub const SCRATCH_BYTES: usize = 0;
        }
        #[allow(dead_code)]
        impl<T> #scratch<T> {
            /// Stand-in.
            pub const ZERO: Self = Self(::core::marker::PhantomData);
            /// Stand-in.
            pub const BYTES: usize = 0;
        }
    }
}

/// The sample-typed methods, when the sample sizes are known.
fn typed_methods(sketch: &Sketch, scratch: &Ident, train: &Ident) -> TokenStream {
    let rt = rt();
    let (Some(n_in), Some(n_out)) = (sketch.input, sketch.output) else {
        return TokenStream::new();
    };
    let (n_in, n_out) = (lit(n_in), lit(n_out));
    let target = match sketch.class_labels {
        Some(false) => quote!([[T; #n_out]]),
        _ => quote!([usize]),
    };
    quote! {
        /// Scalars per input sample.
        pub const INPUT: usize = #n_in;
        /// Scalars per output sample.
        pub const OUTPUT: usize = #n_out;
        /// Stand-in.
        pub fn forward(&self, x: &[[T; #n_in]], y: &mut [[T; #n_out]], s: &mut #scratch<T>) -> #rt::Result<()> {
            ::core::unreachable!()
        }
        /// Stand-in.
        pub fn forward_one(&self, x: &[T; #n_in], s: &mut #scratch<T>) -> [T; #n_out] {
            ::core::unreachable!()
        }
        /// Stand-in.
        pub fn train_step(&mut self, x: &[[T; #n_in]], target: &#target, opt: &mut dyn #rt::optim::Optimizer<T>, t: &mut #train<T>) -> #rt::Result<T> {
            ::core::unreachable!()
        }
        /// Stand-in.
        pub fn eval_loss(&self, x: &[[T; #n_in]], target: &#target, s: &mut #scratch<T>) -> #rt::Result<T> {
            ::core::unreachable!()
        }
    }
}
