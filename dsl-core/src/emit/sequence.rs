//! The sequence API of networks over `input: [seq, F]`: whole-sequence forward and training
//! over time-major batches, a streaming state advanced one step at a time, and carried state
//! for truncated BPTT.

use proc_macro2::TokenStream;
use quote::quote;

use super::forward::{pingpong, written};
use super::plan::Plan;
use crate::tokens::rt;
use crate::tree::Resolved;

/// The stream type and the sequence methods (nothing for other networks).
pub fn sequence_api(net: &Resolved, plan: &Plan, target_ty: &TokenStream) -> TokenStream {
    let (bounds, default_float) = (&plan.bounds, &plan.default_float);
    if !net.seq {
        return quote!();
    }
    let rt = rt();
    let Plan {
        name,
        scratch,
        train,
        stream,
        n_in,
        n_out,
        ..
    } = plan;
    let states: Vec<_> = plan.states().collect();
    let caches = plan.cache_fields();
    let (doc_forward_seq, doc_train_seq) = if net.reduced {
        (
            "Eval-mode forward of `x.len() / steps` sequences of `steps` steps, time-major (`x[t * sequences + s]` is step `t` of sequence `s`), each from the zero state; `y` has one row per sequence.",
            "Train-mode forward, loss, BPTT and one optimiser update over time-major sequences of `steps` steps, with one target per sequence; returns the loss (mean over sequences).",
        )
    } else {
        (
            "Eval-mode forward of `x.len() / steps` sequences of `steps` steps, time-major (`x[t * sequences + s]` is step `t` of sequence `s`), each from the zero state; `y` has one row per step of each sequence.",
            "Train-mode forward, loss, BPTT and one optimiser update over time-major sequences of `steps` steps, with one target per step; returns the loss (mean over steps and sequences).",
        )
    };
    let (doc_forward_padded, doc_train_padded) = if net.reduced {
        (
            "Eval-mode forward of `lengths.len()` sequences of different lengths, padded to `x.len() / lengths.len()` steps (time-major, like `forward_seq`): steps past a sequence's length do not change its state, and the reduction over time uses its own steps only (`last_step` is its own last step), as PyTorch's packed sequences. Lengths lie in `1..=steps`.",
            "`train_step_seq` over sequences of different lengths padded to `x.len() / lengths.len()` steps (see `forward_padded`), one target per sequence; BPTT equals running each sequence alone.",
        )
    } else {
        (
            "Eval-mode forward of `lengths.len()` sequences of different lengths, padded to `x.len() / lengths.len()` steps (time-major, like `forward_seq`): steps past a sequence's length do not change its state and their outputs are zero, as PyTorch's packed sequences. Lengths lie in `1..=steps`.",
            "`train_step_seq` over sequences of different lengths padded to `x.len() / lengths.len()` steps (see `forward_padded`), one target per step (those of padding steps are ignored: the loss is the mean over real steps); BPTT equals running each sequence alone.",
        )
    };
    let target_flat = super::api::targets(net, plan).1;
    let (padded_rows, padded_loss) = if net.reduced {
        (
            quote!(lengths.len()),
            quote!(#rt::loss::Loss::loss(&self.loss, out.as_flattened(), #n_out, #target_flat)),
        )
    } else {
        (
            quote!(x.len()),
            quote! {
                let keep = #rt::recurrent::lengths::kept_rows(rows, lengths);
                let mut grad = ::kiln::__std_lib::vec![T::ZERO; rows * #n_out];
                #rt::loss::Loss::loss_and_grad_masked(&self.loss, out.as_flattened(), #n_out, #target_flat, &keep, &mut grad)
            },
        )
    };
    let last_act = plan.last_act();
    let seq_rows = if net.reduced {
        quote!(x.len() / steps.max(1))
    } else {
        quote!(x.len())
    };
    let cache_names: Vec<_> = plan.layers.iter().map(|l| &l.cache).collect();
    // Streaming: one step for one sample through every layer, state kept between calls.
    let step_calls = (0..plan.layers.len()).map(|i| step_call(plan, i, false));
    let resets = plan.layers.iter().filter(|l| l.holds_recurrent).map(|l| {
        let (c, tr, ty) = (&l.cache, &l.tr, &l.ty);
        quote!(<#ty as #tr<T>>::reset_state(&mut self.#c);)
    });
    let doc_stream = format!("Streaming state of [`{name}`]: the recurrent state and scratch for one sample, step by step.");
    quote! {
        #[doc = #doc_stream]
        pub struct #stream<T: #rt::Float #default_float> #bounds {
            ping: ::kiln::__std_lib::vec::Vec<T>,
            pong: ::kiln::__std_lib::vec::Vec<T>,
            #( #states: ::kiln::__std_lib::vec::Vec<T>, )*
            #( #caches )*
        }

        impl<T: #rt::Float> #stream<T> #bounds {
            /// Starts over from the zero state.
            pub fn reset(&mut self) {
                #( self.#states.fill(T::ZERO); )*
                #( #resets )*
            }
        }

        impl<T: #rt::Float> #name<T> #bounds {
            #[doc = #doc_forward_seq]
            pub fn forward_seq(&self, x: &[[T; #n_in]], steps: usize, y: &mut [[T; #n_out]], s: &mut #scratch<T>) -> #rt::Result<()> {
                s.steps = steps;
                #rt::network::Network::forward_flat(self, x.as_flattened(), y.as_flattened_mut(), s)
            }

            /// Train-mode forward of time-major sequences of `steps` steps, keeping what
            /// `backward` needs; returns the output.
            pub fn forward_train_seq<'t>(&mut self, x: &[[T; #n_in]], steps: usize, t: &'t mut #train<T>) -> #rt::Result<&'t [[T; #n_out]]> {
                t.steps = steps;
                #rt::network::Network::forward_train_flat(self, x.as_flattened(), t)?;
                Ok(t.#last_act.as_chunks::<#n_out>().0)
            }

            /// The declared loss of `forward_seq` over time-major sequences of `steps` steps
            /// (no training state touched).
            pub fn eval_loss_seq(&self, x: &[[T; #n_in]], steps: usize, target: &#target_ty, s: &mut #scratch<T>) -> #rt::Result<T>
            where
                Self: #rt::network::Trainable,
            {
                let rows = #seq_rows;
                let mut out = ::kiln::__std_lib::vec![[T::ZERO; #n_out]; rows];
                self.forward_seq(x, steps, &mut out, s)?;
                #rt::loss::Loss::loss(&self.loss, out.as_flattened(), #n_out, #target_flat)
            }

            #[doc = #doc_train_seq]
            pub fn train_step_seq(
                &mut self,
                x: &[[T; #n_in]],
                steps: usize,
                target: &#target_ty,
                opt: &mut dyn #rt::optim::Optimizer<T>,
                t: &mut #train<T>,
            ) -> #rt::Result<T>
            where
                Self: #rt::network::Trainable,
            {
                t.steps = steps;
                #rt::network::train_step(self, x.as_flattened(), #target_flat, opt, t)
            }

            #[doc = #doc_forward_padded]
            pub fn forward_padded(&self, x: &[[T; #n_in]], lengths: &[usize], y: &mut [[T; #n_out]], s: &mut #scratch<T>) -> #rt::Result<()> {
                s.steps = #rt::recurrent::lengths::padded_steps(x.len(), lengths)?;
                #rt::recurrent::lengths::store(&mut s.lengths, lengths);
                let r = #rt::network::Network::forward_flat(self, x.as_flattened(), y.as_flattened_mut(), s);
                s.lengths.clear();
                r
            }

            #[doc = #doc_train_padded]
            pub fn train_step_padded(
                &mut self,
                x: &[[T; #n_in]],
                lengths: &[usize],
                target: &#target_ty,
                opt: &mut dyn #rt::optim::Optimizer<T>,
                t: &mut #train<T>,
            ) -> #rt::Result<T>
            where
                Self: #rt::network::Trainable,
            {
                t.steps = #rt::recurrent::lengths::padded_steps(x.len(), lengths)?;
                #rt::recurrent::lengths::store(&mut t.lengths, lengths);
                let r = #rt::network::train_step(self, x.as_flattened(), #target_flat, opt, t);
                t.lengths.clear();
                r
            }

            /// The declared loss of `forward_padded` (the mean over real steps for per-step
            /// outputs, over sequences after a reduction over time).
            pub fn eval_loss_padded(&self, x: &[[T; #n_in]], lengths: &[usize], target: &#target_ty, s: &mut #scratch<T>) -> #rt::Result<T>
            where
                Self: #rt::network::Trainable,
            {
                let rows = #padded_rows;
                let mut out = ::kiln::__std_lib::vec![[T::ZERO; #n_out]; rows];
                self.forward_padded(x, lengths, &mut out, s)?;
                #padded_loss
            }

            /// Fresh streaming state (zero recurrent state).
            pub fn stream(&self) -> #stream<T> {
                #stream {
                    ping: ::kiln::__std_lib::vec::Vec::new(),
                    pong: ::kiln::__std_lib::vec::Vec::new(),
                    #( #states: ::kiln::__std_lib::vec::Vec::new(), )*
                    #( #cache_names: ::core::default::Default::default(), )*
                }
            }

            /// One streaming step of one sample: the state advances in place; after the
            /// first call nothing is allocated.
            pub fn step(&self, st: &mut #stream<T>, x: &[T; #n_in]) -> [T; #n_out] {
                let mut y = [T::ZERO; #n_out];
                #( #step_calls )*
                y
            }
        }

        impl<T: #rt::Float> #train<T> #bounds {
            /// Consecutive sampling: carry each sequence's final state into the next batch
            /// (truncated BPTT cuts the gradient at the batch boundary). Off by default
            /// (random sampling: every batch starts from the zero state).
            pub fn set_carry_state(&mut self, carry: bool) {
                self.carry_state = carry;
            }

            /// Forgets the carried state.
            pub fn reset_state(&mut self) {
                #( self.#states.clear(); )*
            }
        }
    }
}

/// `set_steps` and `set_scratch_steps` of the `Network` impl (nothing for other networks).
pub fn set_steps(net: &Resolved) -> TokenStream {
    if !net.seq {
        return quote!();
    }
    let rt = rt();
    let kept = (!net.reduced).then(|| {
        quote! {
            fn output_rows_kept(t: &Self::Train) -> Option<::kiln::__std_lib::vec::Vec<bool>> {
                if t.lengths.is_empty() {
                    return None;
                }
                Some(#rt::recurrent::lengths::kept_rows(t.batch, &t.lengths))
            }
        }
    });
    quote! {
        fn set_steps(t: &mut Self::Train, steps: usize) {
            t.steps = steps;
        }
        fn steps(t: &Self::Train) -> usize {
            t.steps
        }
        fn set_scratch_steps(s: &mut Self::Scratch, steps: usize) {
            s.steps = steps;
        }
        fn set_lengths(t: &mut Self::Train, lengths: &[usize]) {
            #rt::recurrent::lengths::store(&mut t.lengths, lengths);
        }
        fn set_scratch_lengths(s: &mut Self::Scratch, lengths: &[usize]) {
            #rt::recurrent::lengths::store(&mut s.lengths, lengths);
        }
        #kept
    }
}

/// Zeroes the per-step outputs of padding steps (nothing after a reduction over time, whose
/// output is one row per sequence, or for other networks).
pub fn zero_output_padding(
    net: &Resolved,
    plan: &Plan,
    holder: TokenStream,
    out: TokenStream,
) -> TokenStream {
    if !net.seq || net.reduced {
        return quote!();
    }
    let rt = rt();
    let n_out = &plan.n_out;
    quote!(#rt::recurrent::lengths::zero_padding(&mut #out[..], steps, seqs, #n_out, &#holder.lengths);)
}

/// Layer `i`'s part of a streaming step (`st` the stream, `x` the step's input, `y` its
/// output); with `observe`, it then shows `observe` the layer's output, its values before a
/// fused activation (in `z`) and a recurrent layer's state, for int8 calibration.
fn step_call(plan: &Plan, i: usize, observe: bool) -> TokenStream {
    let rt = rt();
    let l = &plan.layers[i];
    let (f, c) = (&l.field, &l.cache);
    let one = quote!(1);
    let (src, dst, grow) = pingpong(
        plan,
        i,
        &quote!(st),
        &quote!(&x[..]),
        &quote!(&mut y[..]),
        Some(&one),
    );
    let out = written(plan, i, &quote!(st), &one);
    let at = crate::tokens::lit(i);
    if l.recurrent {
        let (stf, tyi) = (&l.state, &l.ty);
        let rec_tr = quote!(#rt::recurrent::Recurrent);
        let seen = observe.then(|| quote! {
            observe(#rt::network::Observed { layer: #at, output: #out, pre_activation: None, state: Some(&st.#stf[..]) });
        });
        quote! {
            #grow
            #rt::layers::ensure_len(&mut st.#stf, <#tyi as #rec_tr<T>>::STATE);
            #rec_tr::step(&self.#f, #src, #dst, 1, &mut st.#stf, &mut st.#c);
            #seen
        }
    } else {
        // A composite holding recurrent layers streams one step per call (steps = 0).
        let set = Plan::set_steps(l, &quote!(st), &quote!(0));
        let tr = &l.tr;
        if observe {
            quote! {
                #grow
                #set
                let pre = #tr::forward_pre_activation(&self.#f, #src, #dst, 1, &mut st.#c, &mut z);
                observe(#rt::network::Observed { layer: #at, output: #out, pre_activation: pre.then_some(&z[..]), state: None });
            }
        } else {
            quote! {
                #grow
                #set
                #rt::layers::Layer::forward(&self.#f, #src, #dst, 1, &mut st.#c);
            }
        }
    }
}

/// `Network::forward_observed_flat` of a sequence network: the rows of `x` are one stream of
/// consecutive steps from the zero state, run one step at a time (for int8 calibration).
pub fn observed_stream(plan: &Plan) -> TokenStream {
    let rt = rt();
    let calls = (0..plan.layers.len()).map(|i| step_call(plan, i, true));
    let (n_in, n_out) = (&plan.n_in, &plan.n_out);
    quote! {
        fn forward_observed_flat(
            &self,
            x: &[T],
            _s: &mut Self::Scratch,
            observe: &mut dyn FnMut(#rt::network::Observed<'_, T>),
        ) -> #rt::Result<()> {
            #rt::network::batch_of("network input", x.len(), #n_in)?;
            let mut st = self.stream();
            let mut z = ::kiln::__std_lib::vec::Vec::<T>::new();
            let mut y = [T::ZERO; #n_out];
            for x in x.chunks_exact(#n_in) {
                #( #calls )*
            }
            Ok(())
        }
    }
}
