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
