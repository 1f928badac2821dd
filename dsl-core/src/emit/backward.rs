//! The backward pass written out layer by layer, last layer first (the delta recursion):
//! dL/dy arrives in `d_out`, then alternates between `d_a` and `d_b`; each layer overwrites
//! its parameter gradients in `t.grads` and writes dL/dx for the layer before it. The first
//! `skip` layers (all of their parameters frozen) are not visited, and the layer after them
//! writes no dL/dx.

use proc_macro2::TokenStream;
use quote::quote;

use super::plan::Plan;
use crate::tokens::rt;
use crate::tree::Resolved;

/// The calls of `backward_flat`, from the last layer to the first (which writes `dx`).
pub fn backward(plan: &Plan) -> TokenStream {
    let rt = rt();
    let n = plan.layers.len();
    let calls = plan.layers.iter().enumerate().rev().map(|(i, l)| {
        let (f, c, a, tr) = (&l.field, &l.cache, &l.act, &l.tr);
        let src = match i {
            0 => quote!(x),
            _ => {
                let p = &plan.layers[i - 1].act;
                quote!(&t.#p)
            }
        };
        let from_last = n - 1 - i;
        let dy = match from_last {
            0 => quote!(&mut t.d_out),
            k if k % 2 == 1 => quote!(&mut t.d_a),
            _ => quote!(&mut t.d_b),
        };
        let rows_in = &l.rows_in;
        let dims = if l.recurrent {
            quote!(steps, seqs)
        } else {
            quote!(#rows_in)
        };
        let set = Plan::set_steps(l, &quote!(t), &quote!(steps));
        if i == 0 {
            return quote! {
                if skip == 0 {
                    #set
                    #tr::backward(&self.#f, #src, &t.#a, #dy, dx, #dims, &mut t.#c, &mut t.grads.#f);
                }
            };
        }
        let dst = if from_last.is_multiple_of(2) {
            quote!(t.d_a)
        } else {
            quote!(t.d_b)
        };
        let w_in = &l.width_in;
        let i = crate::tokens::lit(i);
        quote! {
            if #i >= skip {
                #set
                let d_in = if #i > skip {
                    #rt::layers::ensure_len(&mut #dst, #rows_in * #w_in);
                    Some(&mut #dst[..])
                } else {
                    None
                };
                #tr::backward(&self.#f, #src, &t.#a, #dy, d_in, #dims, &mut t.#c, &mut t.grads.#f);
            }
        }
    });
    quote!(#( #calls )*)
}

/// `steps` and `seqs` for the backward pass of a sequence network (checked in forward).
pub fn sequence_dims(net: &Resolved) -> TokenStream {
    if !net.seq {
        return quote!();
    }
    quote! {
        let steps = t.steps.max(1);
        let seqs = batch / steps;
    }
}
