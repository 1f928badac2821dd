//! `network!`: a neural network declared as a list of layers, shape-checked while the macro
//! expands, and emitted as a struct with fused forward code and a written-out backward pass.
//!
//! This crate is the proc-macro entry point only; the front end (parse, resolve, rules, emit)
//! is the library `kiln-dsl`, so that tests and the fuzzer can call it on any token stream.

use proc_macro::TokenStream;

/// Declares a network. See the `kiln` crate documentation for the full syntax.
///
/// ```ignore
/// network! {
///     /// A two-hidden-layer classifier for 8x8 digits.
///     pub struct DigitsMlp {
///         input: [64],
///         layers: [dense(128), relu, dropout(0.2), dense(128 -> 64), tanh, dense(10)],
///         output: [10],
///         loss: softmax_cross_entropy,
///     }
/// }
/// ```
#[proc_macro]
pub fn network(input: TokenStream) -> TokenStream {
    kiln_dsl::expand(input.into()).into()
}
