//! `network!`: a neural network declared as a list of layers, shape-checked while the macro
//! expands, and emitted as a struct with fused forward code and a hand-derived backward pass.
//!
//! The macro runs in three stages: [`parse`] (the syntax tree of the DSL), [`check`] (layer
//! kinds, shapes, options, with spanned errors collected in a [`ctxt::Ctxt`]) and [`emit`]
//! (the generated code). Each layer kind lives in its own module under [`layers`].

mod args;
mod check;
mod ctxt;
mod emit;
mod init;
mod layers;
mod loc;
mod loss;
mod parse;
mod shape;

use proc_macro::TokenStream;

/// Declares a network. See the `kiln` crate documentation for the full syntax.
///
/// ```ignore
/// network! {
///     /// A two-hidden-layer classifier for 8x8 digits.
///     pub struct DigitsMlp {
///         input: [64],
///         layers: [dense(128), relu, dropout(0.2), dense(64 -> 64), tanh, dense(10)],
///         output: [10],
///         loss: softmax_cross_entropy,
///     }
/// }
/// ```
#[proc_macro]
pub fn network(input: TokenStream) -> TokenStream {
    let decl = match syn::parse::<parse::NetworkDecl>(input) {
        Ok(d) => d,
        Err(e) => return e.to_compile_error().into(),
    };
    let mut cx = ctxt::Ctxt::default();
    let checked = check::check(decl, &mut cx);
    if let Some(errors) = cx.into_compile_errors() {
        return errors.into();
    }
    match checked {
        Some(net) => emit::emit(&net).into(),
        None => syn::Error::new(
            proc_macro2::Span::call_site(),
            "network! could not check this declaration",
        )
        .to_compile_error()
        .into(),
    }
}
