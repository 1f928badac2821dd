//! How the generated items reach the user's module: they live in a module of their own; the
//! network is re-exported by name and the other items (`DigitsScratch`, `DigitsTrain`, ...)
//! by a glob. The generated code refers to its items inside that module only, so a second
//! network of the same name is rustc's one error for the name `Digits` (two globs that both
//! offer `DigitsScratch` are an error only where that name is used), and a user item named
//! like a generated one (`DigitsScratch` beside `Digits`) simply shadows the glob's. The
//! re-export by name keeps rustc's messages about the network short: they name `Digits`, not
//! the module's path.

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};
use syn::Visibility;

/// The generated names, those that need kiln's `std` feature and those that do not.
pub struct Names {
    pub std: Vec<Ident>,
    pub no_std: Vec<Ident>,
}

impl Names {
    /// The names a declaration generates: the network, its scratch and training state, its
    /// stream (sequence networks) and its embedded form.
    pub fn of(name: &Ident, seq: bool, embedded: bool) -> Names {
        let mut std = vec![
            name.clone(),
            format_ident!("{}Scratch", name),
            format_ident!("{}Train", name),
        ];
        if seq {
            std.push(format_ident!("{}Stream", name));
        }
        let no_std = if embedded {
            vec![
                format_ident!("{}Embedded", name),
                format_ident!("{}EmbeddedScratch", name),
            ]
        } else {
            Vec::new()
        };
        Names { std, no_std }
    }
}

/// The module of one expansion: named after the network and where it is declared, so that
/// two declarations never share one.
pub fn module_name(name: &Ident) -> Ident {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    crate::diag::span_key(name.span()).hash(&mut h);
    format_ident!("__network_{}_{:x}", name, h.finish() & 0xffff_ffff)
}

/// `items` (the std ones wrapped in `::kiln::__std!`) in the expansion's module, re-exported
/// with the declared visibility: the network by name, everything else by the glob.
pub fn wrap(
    name: &Ident,
    vis: &Visibility,
    std_items: TokenStream,
    no_std_items: TokenStream,
    network_needs_std: bool,
) -> TokenStream {
    let m = module_name(name);
    let by_name = quote!(#[allow(unused_imports)] #vis use #m::#name;);
    let by_name = if network_needs_std {
        quote!(::kiln::__std! { #by_name })
    } else {
        by_name
    };
    quote! {
        #[allow(non_snake_case)]
        mod #m {
            // The declaration's own names (a user's loss type) as the user's module sees them;
            // the generated items shadow this glob, so nothing of the user's can clash.
            #[allow(unused_imports)]
            use super::*;
            ::kiln::__std! { #std_items }
            #no_std_items
        }
        #by_name
        #[allow(unused_imports)]
        #vis use #m::*;
    }
}
