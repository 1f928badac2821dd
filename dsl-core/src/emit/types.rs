//! The network struct (one field per layer, sizes in const generics), its inference scratch
//! and training state, and the constructors of all three.

use proc_macro2::TokenStream;
use quote::quote;

use super::plan::Plan;
use crate::tokens::{lit, rt};
use crate::tree::Resolved;

/// The three structs and `Clone` for the network.
pub fn structs(net: &Resolved, plan: &Plan, loss_ty: &TokenStream) -> TokenStream {
    let (bounds, default_float) = (&plan.bounds, &plan.default_float);
    let rt = rt();
    let attrs = &net.attrs;
    let Plan {
        name,
        scratch,
        train,
        ..
    } = plan;
    let fields = plan.layers.iter().zip(&net.layers).map(|(l, node)| {
        let (f, ty) = (&l.field, &l.ty);
        let doc = format!(
            "The layer `{}`: per sample {} -> {}.",
            l.prefix, node.input, node.output
        );
        quote!(#[doc = #doc] pub #f: #ty,)
    });
    let field = plan.layers.iter().map(|l| &l.field);
    let caches = plan.cache_fields();
    let states: Vec<_> = plan.states().collect();
    let acts = plan.layers.iter().map(|l| &l.act);
    let doc_scratch = format!(
        "Inference buffers for [`{name}`]: they grow to the largest batch seen, then are reused."
    );
    let doc_train = format!(
        "Training state for [`{name}`]: kept activations, layer caches, gradients and the dropout RNG."
    );
    let vec = quote!(::kiln::__std_lib::vec::Vec<T>);
    quote! {
        #(#attrs)*
        pub struct #name<T: #rt::Float = f32> {
            #( #fields )*
            /// The declared loss.
            pub loss: #loss_ty,
        }

        #[doc = #doc_scratch]
        pub struct #scratch<T: #rt::Float #default_float> #bounds {
            ping: #vec,
            pong: #vec,
            out: #vec,
            steps: usize,
            lengths: ::kiln::__std_lib::vec::Vec<usize>,
            #( #states: #vec, )*
            #( #caches )*
        }

        #[doc = #doc_train]
        pub struct #train<T: #rt::Float #default_float> #bounds {
            /// Gradients of the last backward pass, shaped like the network itself.
            pub grads: #name<T>,
            #( #acts: #vec, )*
            #( #caches )*
            #( #states: #vec, )*
            steps: usize,
            lengths: ::kiln::__std_lib::vec::Vec<usize>,
            carry_state: bool,
            clip_norm: Option<f64>,
            check_finite: bool,
            restore_point: #rt::restore_point::RestorePoint<T>,
            frozen: ::kiln::__std_lib::vec::Vec<bool>,
            frozen_layers: usize,
            d_out: #vec,
            d_a: #vec,
            d_b: #vec,
            batch: usize,
            rng: #rt::train_ctx::TrainCtx,
        }

        impl<T: #rt::Float> ::core::clone::Clone for #name<T> #bounds {
            fn clone(&self) -> Self {
                #name { #( #field: self.#field.clone(), )* loss: self.loss.clone() }
            }
        }
    }
}

/// `new`, `try_new`, `scratch` and `train_state` (inside `impl Name<T>`).
pub fn constructors(net: &Resolved, plan: &Plan, loss_ctor: &TokenStream) -> TokenStream {
    let rt = rt();
    let Plan {
        name,
        scratch,
        train,
        ..
    } = plan;
    let default_steps = lit(net.steps.unwrap_or(1));
    let field: Vec<_> = plan.layers.iter().map(|l| &l.field).collect();
    let ctor = plan.layers.iter().map(|l| &l.ctor);
    let zeros = plan.layers.iter().map(|l| {
        let (f, tr) = (&l.field, &l.tr);
        quote!(#f: #tr::zeros_like(&self.#f),)
    });
    let caches: Vec<_> = plan.layers.iter().map(|l| &l.cache).collect();
    let states: Vec<_> = plan.states().collect();
    let acts = plan.layers.iter().map(|l| &l.act);
    let new_vec = quote!(::kiln::__std_lib::vec::Vec::new());
    let default = quote!(::core::default::Default::default());
    quote! {
        /// A network whose layers are initialised from `rng` (each with the initialiser that
        /// suits its activation unless the declaration names one).
        pub fn new(rng: &mut #rt::rng::KilnRng) -> Self {
            match Self::try_new(rng) {
                Ok(net) => net,
                Err(e) => panic!("network! validated every hyper-parameter, yet building failed: {e}"),
            }
        }

        fn try_new(rng: &mut #rt::rng::KilnRng) -> #rt::Result<Self> {
            Ok(#name { #( #field: #ctor, )* loss: #loss_ctor })
        }

        /// Fresh inference buffers.
        pub fn scratch(&self) -> #scratch<T> {
            #scratch {
                steps: #default_steps,
                lengths: ::kiln::__std_lib::vec::Vec::new(),
                #( #states: #new_vec, )*
                ping: #new_vec,
                pong: #new_vec,
                out: #new_vec,
                #( #caches: #default, )*
            }
        }

        /// Fresh training state; `seed` drives dropout.
        pub fn train_state(&self, seed: u64) -> #train<T> {
            #train {
                grads: #name { #( #zeros )* loss: self.loss.clone() },
                #( #states: #new_vec, )*
                steps: #default_steps,
                lengths: ::kiln::__std_lib::vec::Vec::new(),
                carry_state: false,
                clip_norm: None,
                check_finite: true,
                restore_point: #rt::restore_point::RestorePoint::new(),
                frozen: ::kiln::__std_lib::vec::Vec::new(),
                frozen_layers: 0,
                #( #acts: #new_vec, )*
                #( #caches: #default, )*
                d_out: #new_vec,
                d_a: #new_vec,
                d_b: #new_vec,
                batch: 0,
                rng: #rt::train_ctx::TrainCtx::new(seed),
            }
        }
    }
}
