//! `impl Network<T>`: the flat interface the runtime's generic pieces (training step,
//! gradcheck, optimisers, checkpoints) use, with the passes, the tensor list and visitors.

use proc_macro2::TokenStream;
use quote::quote;

use super::plan::Plan;
use super::{backward, forward, sequence, visitors};
use crate::tokens::rt;
use crate::tree::Resolved;

/// The `Network` impl and the `Send + Sync` assertion.
pub fn network_impl(
    net: &Resolved,
    plan: &Plan,
    loss_ty: &TokenStream,
    tensors: &TokenStream,
) -> TokenStream {
    let bounds = &plan.bounds;
    let rt = rt();
    let Plan {
        name,
        scratch,
        train,
        n_in,
        n_out,
        ..
    } = plan;
    let set_steps = sequence::set_steps(net);
    let seq_scratch = forward::sequence_dims(net, plan, quote!(s));
    let seq_train = forward::sequence_dims(net, plan, quote!(t));
    let pad_out = sequence::zero_output_padding(net, plan, quote!(s), quote!(y));
    let last_act = plan.last_act();
    let pad_train = sequence::zero_output_padding(net, plan, quote!(t), quote!(t.#last_act));
    let seq_backward = backward::sequence_dims(net);
    let check_first = forward::check_first(plan);
    let fwd = forward::inference(plan);
    let observed = if net.seq {
        super::sequence::observed_stream(plan)
    } else {
        forward::observed(plan)
    };
    let int8_layers = net
        .layers
        .iter()
        .zip(crate::int8::kernels(net))
        .map(|(n, k)| {
            let (name, role) = (n.prefix(), k.role_tokens());
            quote!(#rt::quant::Int8Layer { name: #name, role: #role })
        });
    let fwd_train = forward::training(plan);
    let bwd = backward::backward(plan);
    let visitors = visitors::visitors(plan);
    let train_bytes = plan.train_bytes();
    let rows_out = &plan.rows_out;
    // With custom layers `Layer: Send + Sync` says it, and `Name<f32>` may not exist.
    let send_sync = bounds.is_empty().then(|| {
        quote! {
            const _: () = {
                fn assert_send_sync<X: Send + Sync>() {}
                fn check() {
                    assert_send_sync::<#name<f32>>();
                    assert_send_sync::<#name<f64>>();
                }
            };
        }
    });
    quote! {
        impl<T: #rt::Float> #rt::network::Network<T> for #name<T> #bounds {
            const INPUT: usize = #n_in;
            const OUTPUT: usize = #n_out;
            type Loss = #loss_ty;
            type Scratch = #scratch<T>;
            type Train = #train<T>;

            #set_steps

            fn clip_norm(t: &Self::Train) -> Option<f64> {
                t.clip_norm
            }

            fn check_finite(t: &Self::Train) -> bool {
                t.check_finite
            }

            fn train_bytes(t: &Self::Train) -> usize {
                #train_bytes
            }

            fn restore_point(t: &mut Self::Train) -> Option<&mut #rt::restore_point::RestorePoint<T>> {
                Some(&mut t.restore_point)
            }

            fn train_ctx(t: &mut Self::Train) -> Option<&mut #rt::train_ctx::TrainCtx> {
                Some(&mut t.rng)
            }

            fn frozen(t: &Self::Train) -> &[bool] {
                &t.frozen
            }

            fn set_frozen(t: &mut Self::Train, name: &str, on: bool) -> #rt::Result<usize> {
                t.set_frozen(name, on)
            }

            fn grads_mut_frozen(t: &mut Self::Train) -> (&mut Self, &[bool]) {
                (&mut t.grads, &t.frozen)
            }

            const TENSORS: &'static [#rt::network::TensorSpec] = #tensors;

            const INT8_LAYERS: &'static [#rt::quant::Int8Layer] = &[#( #int8_layers ),*];

            #observed

            fn loss_fn(&self) -> &Self::Loss {
                &self.loss
            }

            fn new_scratch(&self) -> Self::Scratch {
                self.scratch()
            }

            fn new_train(&self, seed: u64) -> Self::Train {
                self.train_state(seed)
            }

            fn reseed(t: &mut Self::Train, seed: u64) {
                t.rng.reseed(seed);
            }

            fn forward_flat(&self, x: &[T], y: &mut [T], s: &mut Self::Scratch) -> #rt::Result<()> {
                let batch = #rt::network::batch_of("network input", x.len(), #n_in)?;
                #seq_scratch
                #rt::network::check_output(#rows_out, #n_out, y.len())?;
                #check_first
                #fwd
                #pad_out
                Ok(())
            }

            fn forward_train_flat(&mut self, x: &[T], t: &mut Self::Train) -> #rt::Result<()> {
                let batch = #rt::network::batch_of("network input", x.len(), #n_in)?;
                #seq_train
                #check_first
                #fwd_train
                #pad_train
                #rt::layers::ensure_len(&mut t.d_out, #rows_out * #n_out);
                t.batch = batch;
                Ok(())
            }

            fn output_and_grad(t: &mut Self::Train) -> (&[T], &mut [T]) {
                (&t.#last_act, &mut t.d_out)
            }

            fn backward_flat(&self, x: &[T], t: &mut Self::Train, dx: Option<&mut [T]>) -> #rt::Result<()> {
                let batch = t.batch;
                #rt::network::check_backward(batch, #n_in, x.len(), dx.as_deref().map(|d| d.len()))?;
                #seq_backward
                // Layers at the front holding only frozen parameters get no backward pass
                // (unless the caller asked for dL/dx).
                let skip = if dx.is_some() { 0 } else { t.frozen_layers };
                #bwd
                Ok(())
            }

            fn grads(t: &Self::Train) -> &Self {
                &t.grads
            }

            fn grads_mut(t: &mut Self::Train) -> &mut Self {
                &mut t.grads
            }

            #visitors
        }

        #send_sync
    }
}
