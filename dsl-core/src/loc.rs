//! Source locations that cover several tokens on stable Rust: `Span::join` is nightly-only, so
//! a location keeps its first and last span and errors are built with `Error::new_spanned`,
//! which underlines everything from the first to the last.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{ToTokens, TokenStreamExt};

/// From the first token to the last of a piece of the declaration.
#[derive(Clone, Copy)]
pub struct Loc {
    pub start: Span,
    pub end: Span,
}

impl Loc {
    pub fn new(start: Span, end: Span) -> Self {
        Loc { start, end }
    }

    pub fn of(span: Span) -> Self {
        Loc {
            start: span,
            end: span,
        }
    }
}

impl ToTokens for Loc {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        tokens.append(Ident::new("__kiln_start", self.start));
        tokens.append(Ident::new("__kiln_end", self.end));
    }
}
