//! The whole-sequence forward of an embedded form holding a layer that needs the whole
//! sequence (a bidirectional one): `forward_seq` over a fixed-length sequence runs the
//! layout's actions layer by layer, each over every step (`for __t in 0..N`) on buffers
//! holding one row per step, and a whole-sequence layer once over all rows.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::embedded_actions::{action, At, Strides};
use crate::embedded_layout::{Action, Layout, Leaf, Region};
use crate::embedded_op::Op;
use crate::tokens::{lit, rt};

/// `forward_seq`'s body over `steps` steps.
pub fn program(lay: &Layout, steps: usize, strides: Strides) -> Vec<TokenStream> {
    let n = lit(steps);
    let at = At::Seq(strides);
    lay.actions
        .iter()
        .map(|a| match a {
            Action::Run { leaf, src, dst }
                if matches!(lay.leaves[*leaf].embedded.op, Op::Whole { .. }) =>
            {
                whole(&lay.leaves[*leaf], *src, *dst, steps, at)
            }
            _ => {
                let body = action(a, &lay.leaves, at);
                quote!(for __t in 0..#n { #body })
            }
        })
        .collect()
}

/// A whole-sequence layer over every row of `src` into `dst`.
fn whole(leaf: &Leaf, src: Region, dst: Region, steps: usize, at: At) -> TokenStream {
    let Op::Whole { call, .. } = &leaf.embedded.op else {
        unreachable!("kiln bug: a whole-sequence run of a layer that is not one");
    };
    let rt = rt();
    let rows = |r: Region| {
        let (n, w, s) = (
            lit(steps),
            lit(r.len),
            lit(at.stride(r.buf).unwrap_or(r.len)),
        );
        quote!(#rt::fixed::Rows { steps: #n, width: #w, stride: #s })
    };
    let (xb, yb) = (at.base(src.buf), at.base(dst.buf));
    let (xo, yo) = (lit(src.off), lit(dst.off));
    let f = format_ident!("{}", leaf.field);
    let st = format_ident!("{}", leaf.state_field());
    let x = quote!(&#xb[#xo..]);
    let y = quote!(&mut #yb[#yo..]);
    let call = call(
        &quote!(self.#f),
        &x,
        &rows(src),
        &y,
        &rows(dst),
        &quote!(s.#st),
    );
    quote!({ #call })
}

/// `forward_seq`: every state reset (`resets`), then `body` over the sequence's rows.
pub fn forward_seq(
    net: &crate::tree::Resolved,
    scratch: &proc_macro2::Ident,
    steps: usize,
    resets: &[TokenStream],
    body: &[TokenStream],
) -> TokenStream {
    let rt = rt();
    let (n, f, o) = (
        lit(steps),
        lit(net.per_step_input()),
        lit(net.output.numel()),
    );
    let last = lit((steps - 1) * net.output.numel());
    let (y_ty, y_flat, y_last, doc) = if net.reduced {
        (
            quote!([T; #o]),
            quote!(),
            quote!(y.copy_from_slice(&s.ys[#last..]);),
            "The whole sequence (eval mode) from the zero state, layer by layer over its steps: `y` is its output after the reduction over time.",
        )
    } else {
        (
            quote!([[T; #o]; #n]),
            quote!(let y = y.as_flattened_mut();),
            quote!(),
            "The whole sequence (eval mode) from the zero state, layer by layer over its steps: one output row per step.",
        )
    };
    quote! {
        #[doc = #doc]
        pub fn forward_seq(&self, x: &[[T; #f]; #n], y: &mut #y_ty, s: &mut #scratch<T>) -> #rt::Result<()> {
            #( #resets )*
            let x = x.as_flattened();
            #y_flat
            #( #body )*
            #y_last
            Ok(())
        }
    }
}
