//! `network!`: a neural network declared as a list of layers, shape-checked while the macro
//! expands, and emitted as a struct with fused forward code and a hand-derived backward pass.
//!
//! The macro runs in three stages: `parse` (the syntax tree of the DSL), `check` (layer
//! kinds, shapes, options, with spanned errors collected in a `ctxt::Ctxt`) and `emit`
//! (the generated code). Each layer kind lives in its own module under `layers`.

mod args;
mod check;
mod ctxt;
mod embedded;
mod emit;
mod init;
mod layers;
mod loc;
mod loss;
mod parse;
mod shape;
mod tensors;
mod weights;

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
    expand(input.into()).into()
}

/// parse -> check -> emit, or every error found, as `compile_error!`s.
fn expand(input: proc_macro2::TokenStream) -> proc_macro2::TokenStream {
    let decl = match syn::parse2::<parse::NetworkDecl>(input) {
        Ok(d) => d,
        Err(e) => return e.to_compile_error(),
    };
    let mut cx = ctxt::Ctxt::default();
    let checked = check::check(decl, &mut cx);
    if cx.has_errors() {
        return cx.into_compile_errors().unwrap_or_default();
    }
    match checked {
        Some(net) => {
            let baked = net
                .weights
                .as_ref()
                .and_then(|w| weights::bake(&net, w, &mut cx));
            let embedded = if net.embedded {
                embedded::emit(&net, baked.as_ref(), &mut cx)
            } else {
                proc_macro2::TokenStream::new()
            };
            if let Some(errors) = cx.into_compile_errors() {
                return errors;
            }
            let main = emit::emit(&net);
            // The heap-backed network and its training code need kiln's `std` feature;
            // `__std!` drops them when kiln is built without it.
            quote::quote! {
                ::kiln::__std! { #main }
                #embedded
            }
        }
        None => syn::Error::new(
            proc_macro2::Span::call_site(),
            "network! could not check this declaration",
        )
        .to_compile_error(),
    }
}

#[cfg(test)]
mod tests {
    use quote::quote;

    /// The expansion of the ARCHITECTURE.md example, pretty-printed; `KILN_SHOW_EXPANSION=1`
    /// prints it (that is how the document's excerpt was made).
    #[test]
    fn expansion_of_the_worked_example() {
        // The std part as `emit` writes it (`expand` wraps it in `::kiln::__std!`).
        let decl: crate::parse::NetworkDecl = syn::parse2(quote! {
            /// A two-hidden-layer classifier for 8x8 digits.
            pub struct DigitsMlp {
                input: [64],
                layers: [dense(128), relu, dropout(0.2), dense(128 -> 64), tanh, dense(10)],
                output: [10],
                loss: softmax_cross_entropy,
            }
        })
        .expect("parses");
        let mut cx = crate::ctxt::Ctxt::default();
        let net = crate::check::check(decl, &mut cx).expect("checks");
        let tokens = crate::emit::emit(&net);
        let file: syn::File = syn::parse2(tokens).expect("the expansion is valid Rust");
        let text = prettyplease::unparse(&file);
        if std::env::var_os("KILN_SHOW_EXPANSION").is_some() {
            println!("{text}");
        }
        assert!(
            text.contains("pub layer0: ::kiln::runtime::layers::Dense<T, 64, 128>"),
            "{text}"
        );
        assert!(text.contains("pub layer2: ::kiln::runtime::layers::Dropout<T, 128>"));
        assert!(
            text.contains("::kiln::runtime::activation::Activation::Relu"),
            "relu fused into layer 0"
        );
        assert!(
            !text.contains("layer1:"),
            "no separate layer for a fused activation"
        );
        assert!(text.contains("\"layers.3\""), "PyTorch-style names");
    }

    #[test]
    fn errors_are_collected_not_panicked() {
        let tokens = super::expand(quote! {
            struct Bad { input: [0], layers: [dense(0), dropout(2.0), nonsense], loss: what }
        });
        let text = tokens.to_string();
        assert_eq!(text.matches("compile_error").count(), 5, "{text}");
    }
}
