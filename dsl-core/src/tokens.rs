//! Small helpers for generated tokens shared by every stage that emits code.

use proc_macro2::TokenStream;

/// A size as an unsuffixed literal (`64`, not `64usize`), so generated types read as declared.
pub fn lit(n: usize) -> proc_macro2::Literal {
    proc_macro2::Literal::usize_unsuffixed(n)
}

/// The path of the runtime crate in generated code.
pub fn rt() -> TokenStream {
    quote::quote!(::kiln::runtime)
}

/// `tokens` with every span set to `span`, so that an error rustc reports on generated code
/// (a trait bound, a failed `const`) points at the user's token rather than the whole macro.
pub fn respan(tokens: TokenStream, span: proc_macro2::Span) -> TokenStream {
    use proc_macro2::{Group, TokenTree};
    tokens
        .into_iter()
        .map(|t| match t {
            TokenTree::Group(g) => {
                let mut out = Group::new(g.delimiter(), respan(g.stream(), span));
                out.set_span(span);
                TokenTree::Group(out)
            }
            mut other => {
                other.set_span(span);
                other
            }
        })
        .collect()
}

/// `[[a, b], [c, d]]`: `values` (row-major) as an array literal nested by `shape`, each value
/// written by `leaf`. The embedded forms bake their tensors with it.
pub fn nested_array(
    shape: &[usize],
    values: &[f64],
    leaf: &dyn Fn(f64) -> TokenStream,
) -> TokenStream {
    match shape {
        [] | [_] => {
            let items = values.iter().map(|&x| leaf(x));
            quote::quote!([#(#items),*])
        }
        [_, rest @ ..] => {
            let inner: usize = rest.iter().product();
            let items = values
                .chunks(inner.max(1))
                .map(|c| nested_array(rest, c, leaf));
            quote::quote!([#(#items),*])
        }
    }
}
