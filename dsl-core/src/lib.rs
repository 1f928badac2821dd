//! The front end of kiln's `network!` macro as a library: [`expand`] turns a declaration's
//! tokens into the generated code, or into one error per mistake plus a stand-in item. The
//! proc-macro crate `kiln-macros` calls it; tests and the fuzzer call it on any token stream.
//!
//! Pipeline (each stage a module; modules form a DAG, leaves first):
//!
//! ```text
//! parse      tokens -> syntax tree (fields, items, calls, values)
//! check      fields -> dims -> resolve (registry of layer kinds, shape rules) -> rules
//!            => tree::Resolved (every node: kind, span, block uses, input and output shape)
//! emit       Resolved -> struct, state, forward, backward, visitors, sequence API, embedded
//!            form; or, after errors, emit::fallback (a stand-in with no knock-on errors)
//! ```

mod activation;
mod args;
mod budget;
mod check;
mod cost;
mod diag;
mod embedded_layout;
mod embedded_op;
mod emit;
mod fields;
mod init;
mod int8;
mod kind;
mod layers;
mod loc;
mod loss;
mod options;
mod parse;
mod registry;
mod resolve;
mod rules;
mod shape;
mod suggest;
mod tensors;
mod tokens;
mod tree;
mod weights;

use proc_macro2::TokenStream;
use quote::quote;

/// parse -> check -> emit: the generated code and any warnings, or every error found with a
/// stand-in item of the declared name. Never panics, whatever the tokens.
pub fn expand(input: TokenStream) -> TokenStream {
    let decl = match syn::parse2::<parse::NetworkDecl>(input.clone()) {
        Ok(d) => d,
        Err(e) => {
            let err = e.to_compile_error();
            let stand_in = emit::fallback::from_tokens(&input);
            return quote!(#err #stand_in);
        }
    };
    let mut cx = diag::Ctxt::default();
    let (resolved, sketch) = check::check(&decl, &mut cx);
    let code = match resolved {
        Some(net) => emit::network(&net, &mut cx),
        None => None,
    };
    match code {
        Some(code) => {
            let diagnostics = cx.into_tokens();
            quote!(#code #diagnostics)
        }
        None => {
            let stand_in = emit::fallback::emit(&decl, &sketch);
            let diagnostics = cx.into_tokens();
            quote!(#diagnostics #stand_in)
        }
    }
}

#[cfg(test)]
mod tests;
