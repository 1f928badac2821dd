//! Code from the resolved model, split by what it generates: the structs and constructors
//! (`types`), the passes (`forward`, `backward`), the `Network` impl with its visitors, the
//! typed and sequence APIs, the embedded form, and the stand-in emitted after errors.
//!
//! Every generated item lives in a module of the network's and is re-exported from there
//! (`exports`), so that a clash of names is one error instead of a screenful.

pub mod api;
pub mod backward;
pub mod embedded;
pub mod embedded_actions;
pub mod embedded_seq;
pub mod exports;
pub mod fallback;
pub mod forward;
pub mod int8;
pub mod network_impl;
pub mod plan;
pub mod sequence;
pub mod types;
pub mod visitors;

use proc_macro2::TokenStream;
use quote::quote;

use crate::diag::Ctxt;
use crate::tokens::rt;
use crate::tree::Resolved;
use plan::Plan;

/// The whole expansion of a resolved declaration, or `None` after errors (recorded in `cx`)
/// in its weights file or embedded form.
pub fn network(net: &Resolved, cx: &mut Ctxt) -> Option<TokenStream> {
    let baked = net
        .weights
        .as_ref()
        .filter(|_| !net.int8)
        .and_then(|w| crate::weights::bake(net, w, cx));
    let embedded = if net.int8 {
        int8::emit(net, cx)
    } else if net.embedded {
        embedded::emit(net, baked.as_ref(), cx)
    } else {
        TokenStream::new()
    };
    if cx.has_errors() {
        return None;
    }
    let main = heap_backed(net);
    Some(exports::wrap(&net.name, &net.vis, main, embedded, true))
}

/// The network struct, its state types and every impl.
pub fn heap_backed(net: &Resolved) -> TokenStream {
    let rt = rt();
    let plan = Plan::new(net);
    let name = &plan.name;
    let bounds = &plan.bounds;
    let (loss_ty, loss_ctor) = match net.loss.ty() {
        Some(t) => (t, net.loss.construct(&net.output)),
        None => (quote!(#rt::network::NoLoss), quote!(#rt::network::NoLoss)),
    };
    let tensors = crate::tensors::emit(&net.tensors());
    let structs = types::structs(net, &plan, &loss_ty);
    let ctors = types::constructors(net, &plan, &loss_ctor);
    let methods = api::network_methods(net, &plan);
    let train_methods = api::train_methods(&plan);
    let (target_ty, _) = api::targets(net, &plan);
    let seq_api = sequence::sequence_api(net, &plan, &target_ty);
    let trainable = net
        .loss
        .ty()
        .map(|_| quote!(impl<T: #rt::Float> #rt::network::Trainable for #name<T> #bounds {}));
    let network_impl = network_impl::network_impl(net, &plan, &loss_ty, &tensors);
    let loss_check = custom_loss_check(net);
    quote! {
        #loss_check
        #structs

        impl<T: #rt::Float> #name<T> #bounds {
            #ctors
            #methods
        }

        #train_methods
        #trainable
        #seq_api
        #network_impl
    }
}

/// For `loss: MyLoss`: the one mention of the user's type (`type __KilnLoss = MyLoss;`) and
/// the one place that requires it to be a loss, spanned at the type (every generated item
/// carries the bound, so this is the only error when it is missing).
fn custom_loss_check(net: &Resolved) -> TokenStream {
    let crate::loss::LossSpec::Custom(ty) = &net.loss else {
        return quote!();
    };
    let alias = crate::loss::custom_alias(ty);
    let rt = crate::tokens::respan(rt(), ty.span());
    quote::quote_spanned! {ty.span()=>
        #[allow(non_camel_case_types)]
        type #alias = #ty;
        const _: fn() = {
            fn is_loss<L: #rt::loss::Loss<f32>>() {}
            is_loss::<#alias>
        };
    }
}
