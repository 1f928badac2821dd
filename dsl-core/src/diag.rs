//! Diagnostics, after serde_derive's `Ctxt`: every stage records errors and goes on, so the
//! user sees all of them at once. An error is recorded once however often the same mistake is
//! met (a block body checked at each use), and may carry a note pointing at a second place.
//! Nothing in the macro panics on bad input.

use std::fmt::Display;

use proc_macro2::{Span, TokenStream};
use quote::{quote, ToTokens};

/// One recorded error.
pub struct Diag {
    pub start: Span,
    pub end: Span,
    pub message: String,
    /// A second place to look, emitted as a compiler note (a warning on stable Rust).
    pub note: Option<(Span, String)>,
    /// Found by a shape rule: in a block, it depends on the use (its input shape).
    pub from_shape: bool,
}

/// Collects errors and warnings with spans while the macro runs.
#[derive(Default)]
pub struct Ctxt {
    errors: Vec<Diag>,
    warnings: Vec<(Span, String)>,
    shape_mode: bool,
    /// Items resolved so far, against [`WORK_LIMIT`].
    work: usize,
}

/// The most items one declaration may expand to (blocks of blocks multiply), so that no
/// declaration makes the macro run for long.
pub const WORK_LIMIT: usize = 100_000;

/// Where a span is, as text: two spans at the same place give the same key.
pub fn span_key(span: Span) -> String {
    format!("{span:?}")
}

fn ends_of<A: ToTokens>(tokens: A) -> (Span, Span) {
    let mut iter = tokens.into_token_stream().into_iter();
    let start = iter.next().map_or_else(Span::call_site, |t| t.span());
    let end = iter.last().map_or(start, |t| t.span());
    (start, end)
}

impl Ctxt {
    /// Records an error at the span of `tokens`.
    pub fn error_spanned_by<A: ToTokens, M: Display>(&mut self, tokens: A, msg: M) {
        let (start, end) = ends_of(tokens);
        self.push(Diag {
            start,
            end,
            message: msg.to_string(),
            note: None,
            from_shape: self.shape_mode,
        });
    }

    /// Records an error at a span.
    pub fn error_at<M: Display>(&mut self, span: Span, msg: M) {
        self.push(Diag {
            start: span,
            end: span,
            message: msg.to_string(),
            note: None,
            from_shape: self.shape_mode,
        });
    }

    /// Records a diagnostic, unless the same message at the same place is there already.
    pub fn push(&mut self, d: Diag) {
        let key = (span_key(d.start), &d.message);
        if !self
            .errors
            .iter()
            .any(|e| (span_key(e.start), &e.message) == key)
        {
            self.errors.push(d);
        }
    }

    /// An empty context for a nested check that shares this one's work count (hand the count
    /// back with [`Ctxt::absorb_work`]).
    pub fn child(&self) -> Ctxt {
        Ctxt {
            work: self.work,
            ..Ctxt::default()
        }
    }

    /// Takes over the work count of a child context.
    pub fn absorb_work(&mut self, child: &Ctxt) {
        self.work = self.work.max(child.work);
    }

    /// Counts one resolved item; `false` once the declaration has expanded to more than
    /// [`WORK_LIMIT`] items (reported once).
    pub fn spend_work(&mut self) -> bool {
        self.work += 1;
        if self.work == WORK_LIMIT + 1 {
            self.error_at(
                Span::call_site(),
                format!("this declaration expands to more than {WORK_LIMIT} layers (blocks that use blocks multiply); declare fewer uses"),
            );
        }
        self.work <= WORK_LIMIT
    }

    /// Marks the errors recorded from now on as found by a shape rule (or not); returns the
    /// previous setting.
    pub fn set_shape_mode(&mut self, on: bool) -> bool {
        std::mem::replace(&mut self.shape_mode, on)
    }

    /// A legal but suspicious declaration, emitted as a compiler warning at `span`.
    pub fn warn_at<M: Display>(&mut self, span: Span, msg: M) {
        self.warnings.push((span, msg.to_string()));
    }

    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }

    /// The errors recorded so far, handed over (to be re-recorded elsewhere).
    pub fn take_errors(&mut self) -> Vec<Diag> {
        std::mem::take(&mut self.errors)
    }

    /// Errors as `compile_error!`s, then notes and warnings as deprecation warnings at their
    /// spans (stable Rust has no other way for a proc macro to emit them).
    pub fn into_tokens(self) -> TokenStream {
        let mut out = TokenStream::new();
        for d in &self.errors {
            let err = syn::Error::new_spanned(Ends(d.start, d.end), &d.message);
            out.extend(err.to_compile_error());
        }
        for (span, msg) in self.errors.iter().filter_map(|d| d.note.clone()) {
            out.extend(warning(span, &msg, "note"));
        }
        for (span, msg) in self.warnings {
            out.extend(warning(span, &msg, "__kiln_warning"));
        }
        out
    }
}

/// Two spans as tokens, so `Error::new_spanned` underlines from the first to the second.
struct Ends(Span, Span);

impl ToTokens for Ends {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        tokens.extend([
            proc_macro2::TokenTree::Ident(proc_macro2::Ident::new("__kiln_start", self.0)),
            proc_macro2::TokenTree::Ident(proc_macro2::Ident::new("__kiln_end", self.1)),
        ]);
    }
}

/// A deprecated item used at `span`: rustc prints `msg` as a warning there.
fn warning(span: Span, msg: &str, name: &str) -> TokenStream {
    let item = proc_macro2::Ident::new(name, Span::call_site());
    let use_site = proc_macro2::Ident::new(name, span);
    quote! {
        const _: () = {
            #[deprecated(note = #msg)]
            #[allow(non_upper_case_globals)]
            const #item: () = ();
            #use_site
        };
    }
}
