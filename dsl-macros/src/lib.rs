//! `network!`: a neural network declared as a list of layers, shape-checked while the macro
//! expands, and emitted as a struct with fused forward code and a written-out backward pass.
//!
//! This crate is the proc-macro entry point only; the front end (parse, resolve, rules, emit)
//! is the library `kiln-dsl`, so that tests and the fuzzer can call it on any token stream.

#![deny(missing_docs)]

use proc_macro::TokenStream;

/// Declares a network: a per-sample input shape, a list of layers and a loss, shape-checked
/// while the macro expands. The full language (every field, layer, option, loss and block form,
/// with compiled examples) is the `kiln::dsl` module of the `kiln` crate, which re-exports this
/// macro; use it through `kiln` (`use kiln::prelude::*;`), since the generated code names
/// `kiln`'s paths.
///
/// ```
/// use kiln::prelude::*;
///
/// network! {
///     /// A two-hidden-layer classifier for 8x8 digits.
///     pub struct DigitsMlp {
///         input: [64],
///         layers: [dense(128), relu, dropout(0.2), dense(128 -> 64), tanh, dense(10)],
///         output: [10],
///         loss: softmax_cross_entropy,
///     }
/// }
///
/// let net = DigitsMlp::<f32>::new(&mut seeded(1));
/// let scores = net.forward_one(&[0.5; 64], &mut net.scratch());
/// assert_eq!(scores.len(), 10);
/// ```
#[proc_macro]
pub fn network(input: TokenStream) -> TokenStream {
    kiln_dsl::expand(input.into()).into()
}
