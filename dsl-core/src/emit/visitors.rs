//! The named visitors of `Network`: parameters (with and without gradients) and buffers, in
//! the order of `Network::TENSORS` and named by it.

use proc_macro2::TokenStream;
use quote::quote;

use super::plan::Plan;
use crate::tokens::rt;

/// The five visitor methods of the `Network` impl. The layers visit their tensors in order
/// without names; each tensor takes the next name of `TENSORS` (parameters and buffers
/// apart), so the names are those of the macro's tensor tables and no other.
pub fn visitors(plan: &Plan) -> TokenStream {
    let rt = rt();
    let call = |each: &dyn Fn(&super::plan::LayerPlan) -> Option<TokenStream>| {
        let calls = plan.layers.iter().filter_map(each);
        quote!(#( #calls )*)
    };
    // Recurrent layers visit through their own trait; the others through `Layer`.
    let tr = |l: &super::plan::LayerPlan| {
        if l.recurrent {
            l.tr.clone()
        } else {
            quote!(#rt::layers::Layer)
        }
    };
    let refs = call(&|l| {
        let (f, tr) = (&l.field, tr(l));
        Some(quote!(#tr::visit_params(&self.#f, &mut |_, kind, v| f(next(), kind, v));))
    });
    let muts = call(&|l| {
        let (f, tr) = (&l.field, tr(l));
        Some(quote!(#tr::visit_params_mut(&mut self.#f, &mut |_, kind, v| f(next(), kind, v));))
    });
    let bufs = call(&|l| {
        let f = &l.field;
        (!l.recurrent)
            .then(|| quote!(#rt::layers::Layer::visit_buffers_mut(&mut self.#f, &mut |_, v| f(next(), v));))
    });
    let bufs_ref = call(&|l| {
        let f = &l.field;
        (!l.recurrent)
            .then(|| quote!(#rt::layers::Layer::visit_buffers(&self.#f, &mut |_, v| f(next(), v));))
    });
    let grads = call(&|l| {
        let (f, tr) = (&l.field, tr(l));
        Some(quote! {
            #tr::visit_with_grads(&mut self.#f, &g.#f, &mut |_, kind, value, grad| {
                f(#rt::Param { name: next(), kind, value, grad })
            });
        })
    });
    let names = |buffer: bool| {
        quote! {
            let mut names = <Self as #rt::network::Network<T>>::TENSORS
                .iter()
                .filter(|t| t.buffer == #buffer)
                .map(|t| t.name);
            // `TENSORS` lists exactly the tensors the layers visit (checked by the tests).
            let mut next = move || names.next().unwrap_or("?");
        }
    };
    let (params, buffers) = (names(false), names(true));
    quote! {
        fn visit_params(&self, f: &mut dyn FnMut(&str, #rt::ParamKind, &[T])) {
            #params
            #refs
        }

        fn visit_params_mut(&mut self, f: &mut dyn FnMut(&str, #rt::ParamKind, &mut [T])) {
            #params
            #muts
        }

        fn visit_buffers_mut(&mut self, f: &mut dyn FnMut(&str, &mut [T])) {
            #buffers
            #bufs
        }

        fn visit_buffers(&self, f: &mut dyn FnMut(&str, &[T])) {
            #buffers
            #bufs_ref
        }

        fn visit_with_grads(&mut self, g: &Self, f: &mut dyn FnMut(#rt::Param<'_, T>)) {
            #params
            #grads
        }
    }
}
