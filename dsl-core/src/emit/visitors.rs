//! The named visitors of `Network`: parameters (with and without gradients) and buffers, each
//! layer under its PyTorch prefix (`layers.3`), in the order of `Network::TENSORS`.

use proc_macro2::TokenStream;
use quote::quote;

use super::plan::Plan;
use crate::tokens::rt;

/// The five visitor methods of the `Network` impl.
pub fn visitors(plan: &Plan) -> TokenStream {
    let rt = rt();
    let call = |each: &dyn Fn(&super::plan::LayerPlan) -> Option<TokenStream>| {
        let calls = plan.layers.iter().filter_map(each);
        quote!(#( #calls )*)
    };
    // Recurrent layers visit through their own trait; the others through free functions.
    let via = |l: &super::plan::LayerPlan, method: &str| {
        let m = proc_macro2::Ident::new(method, proc_macro2::Span::call_site());
        if l.recurrent {
            let tr = &l.tr;
            quote!(#tr::#m)
        } else {
            quote!(#rt::layers::#m)
        }
    };
    let refs = call(&|l| {
        let (f, p, v) = (&l.field, &l.prefix, via(l, "visit_named_ref"));
        Some(quote!(#v(&self.#f, #p, f);))
    });
    let muts = call(&|l| {
        let (f, p, v) = (&l.field, &l.prefix, via(l, "visit_named_mut"));
        Some(quote!(#v(&mut self.#f, #p, f);))
    });
    let bufs = call(&|l| {
        let (f, p) = (&l.field, &l.prefix);
        (!l.recurrent).then(|| quote!(#rt::layers::visit_named_buffers(&mut self.#f, #p, f);))
    });
    let bufs_ref = call(&|l| {
        let (f, p) = (&l.field, &l.prefix);
        (!l.recurrent).then(|| quote!(#rt::layers::visit_named_buffers_ref(&self.#f, #p, f);))
    });
    let grads = call(&|l| {
        let (f, p, v) = (&l.field, &l.prefix, via(l, "visit_named"));
        Some(quote!(#v(&mut self.#f, &g.#f, #p, f);))
    });
    quote! {
        fn visit_params(&self, f: &mut dyn FnMut(&str, #rt::ParamKind, &[T])) {
            #refs
        }

        fn visit_params_mut(&mut self, f: &mut dyn FnMut(&str, #rt::ParamKind, &mut [T])) {
            #muts
        }

        fn visit_buffers_mut(&mut self, f: &mut dyn FnMut(&str, &mut [T])) {
            #bufs
        }

        fn visit_buffers(&self, f: &mut dyn FnMut(&str, &[T])) {
            #bufs_ref
        }

        fn visit_with_grads(&mut self, g: &Self, f: &mut dyn FnMut(#rt::Param<'_, T>)) {
            #grads
        }
    }
}
