//! The typed API over the flat `Network` methods: samples as `[T; N]` arrays so that a wrong
//! sample width is a type error, the shape consts, and the training state's settings.

use proc_macro2::TokenStream;
use quote::quote;

use super::plan::Plan;
use crate::tokens::{lit, rt};
use crate::tree::Resolved;

/// The training target type and how it is passed on flat: class labels or value rows.
pub fn targets(net: &Resolved, plan: &Plan) -> (TokenStream, TokenStream) {
    let n_out = &plan.n_out;
    if let crate::loss::LossSpec::Custom(ty) = &net.loss {
        let rt = rt();
        let alias = crate::loss::custom_alias(ty);
        return (
            quote!(<#alias as #rt::loss::Loss<T>>::Target),
            quote!(target),
        );
    }
    if net.loss.class_labels() {
        (quote!([usize]), quote!(target))
    } else {
        (quote!([[T; #n_out]]), quote!(target.as_flattened()))
    }
}

/// `PARAMS`, `MACS`, `MODEL_BYTES` and `SCRATCH_BYTES` of the network (`budget:` checks the
/// same figures). The tensor counts come from `TENSORS`, so custom layers count too.
fn cost_consts(net: &Resolved) -> TokenStream {
    let rt = rt();
    let cost = crate::cost::Cost::of(net);
    let macs = proc_macro2::Literal::u64_unsuffixed(cost.macs);
    let scratch = lit(cost.scratch_values);
    let per = if net.seq {
        "one time step"
    } else {
        "one sample"
    };
    let macs_doc = format!(
        "Multiply-accumulates of {per}'s inference: the products of weighted layers, one per value for normalisations (a custom layer counts none)."
    );
    let tensors = quote!(<Self as #rt::network::Network<T>>::TENSORS);
    let (int8_model, int8_scratch) = int8_sizes(&cost);
    quote! {
        /// Trainable scalars.
        pub const PARAMS: usize = #rt::network::scalars(#tensors, false);
        #[doc = #macs_doc]
        pub const MACS: u64 = #macs;
        /// Bytes of the model in `T`: parameters and buffers (batch-norm statistics), as the
        /// embedded form stores them.
        pub const MODEL_BYTES: usize = #rt::network::scalars(#tensors, true) * ::core::mem::size_of::<T>();
        /// Bytes of the embedded form's scratch in `T`: two buffers of the widest layer's
        /// values and every recurrent state.
        pub const SCRATCH_BYTES: usize = #scratch * ::core::mem::size_of::<T>();
        /// Bytes of the model baked in int8 (`precision: int8`: i8 weights, per output
        /// channel an i32 bias and a multiplier, activation tables); `None` when a layer
        /// has no int8 form.
        pub const MODEL_BYTES_INT8: Option<usize> = #int8_model;
        /// Bytes of the int8 form's scratch: two i8 buffers of the widest layer's values and
        /// each LSTM's state (i8 `h`, i16 `c`); `None` when a layer has no int8 form.
        pub const SCRATCH_BYTES_INT8: Option<usize> = #int8_scratch;
    }
}

/// The int8 form's model and scratch bytes, when every layer has one.
fn int8_sizes(cost: &crate::cost::Cost) -> (TokenStream, TokenStream) {
    if !cost.int8_form {
        return (quote!(None), quote!(None));
    }
    let model = lit(cost.layers.iter().map(|l| l.int8_bytes).sum());
    let scratch = lit(cost.int8_scratch_bytes());
    (quote!(Some(#model)), quote!(Some(#scratch)))
}

/// Consts and methods of `impl Name<T>`.
pub fn network_methods(net: &Resolved, plan: &Plan) -> TokenStream {
    let rt = rt();
    let Plan {
        scratch,
        train,
        n_in,
        n_out,
        ..
    } = plan;
    let in_dims = net.input.0.iter().map(|&d| lit(d));
    let out_dims = net.output.0.iter().map(|&d| lit(d));
    let steps = match net.steps {
        Some(n) => {
            let n = lit(n);
            quote!(Some(#n))
        }
        None => quote!(None),
    };
    let layer_shapes = plan.layers.iter().map(|l| {
        let (p, d) = (&l.prefix, &l.out_dims);
        quote!((#p, &[#(#d),*]))
    });
    let last_act = plan.last_act();
    let costs = cost_consts(net);
    let (target_ty, target_flat) = targets(net, plan);
    let (steps_s, steps_t) = (plain_steps(net, quote!(s)), plain_steps(net, quote!(t)));
    let doc_plain = plain_doc(net);
    // After a reduction over time the output has one row per sequence.
    let eval_rows = if net.reduced {
        quote!((x.len() / s.steps.max(1)))
    } else {
        quote!(x.len())
    };
    quote! {
        /// Scalars per input sample.
        pub const INPUT: usize = #n_in;
        /// Scalars per output sample.
        pub const OUTPUT: usize = #n_out;
        /// The per-sample input shape as declared.
        pub const INPUT_SHAPE: &'static [usize] = &[#(#in_dims),*];
        /// The per-sample output shape the layers produce.
        pub const OUTPUT_SHAPE: &'static [usize] = &[#(#out_dims),*];
        /// The fixed number of time steps of `input: [seq(n), F]` (`None`: any length).
        pub const STEPS: Option<usize> = #steps;
        /// Each emitted layer's name and per-sample output shape, in order (activations
        /// fused into a layer and `flatten` have no entry of their own).
        pub const LAYER_SHAPES: &'static [(&'static str, &'static [usize])] = &[#( #layer_shapes ),*];
        #costs

        /// Eval-mode forward of a batch; `y` must have one row per output row of `x`.
        #[doc = #doc_plain]
        pub fn forward(&self, x: &[[T; #n_in]], y: &mut [[T; #n_out]], s: &mut #scratch<T>) -> #rt::Result<()> {
            #steps_s
            #rt::network::Network::forward_flat(self, x.as_flattened(), y.as_flattened_mut(), s)
        }

        /// Eval-mode forward of one sample.
        pub fn forward_one(&self, x: &[T; #n_in], s: &mut #scratch<T>) -> [T; #n_out] {
            let mut y = [[T::ZERO; #n_out]; 1];
            match self.forward(::core::slice::from_ref(x), &mut y, s) {
                Ok(()) => y[0],
                Err(e) => panic!("one sample always forms a valid batch: {e}"),
            }
        }

        /// Eval-mode forward of a batch whose size `B` is fixed at compile time.
        pub fn forward_fixed<const B: usize>(&self, x: &[[T; #n_in]; B], s: &mut #scratch<T>) -> [[T; #n_out]; B] {
            let mut y = [[T::ZERO; #n_out]; B];
            if B > 0 {
                if let Err(e) = self.forward(x, &mut y, s) {
                    panic!("a fixed batch of whole samples is always valid: {e}");
                }
            }
            y
        }

        /// Train-mode forward of a batch, keeping what `backward` needs; returns the output.
        #[doc = #doc_plain]
        pub fn forward_train<'t>(&mut self, x: &[[T; #n_in]], t: &'t mut #train<T>) -> #rt::Result<&'t [[T; #n_out]]> {
            #steps_t
            #rt::network::Network::forward_train_flat(self, x.as_flattened(), t)?;
            Ok(t.#last_act.as_chunks::<#n_out>().0)
        }

        /// Backward of the last `forward_train` from the gradient written into
        /// `t.output_grad_mut()`; gradients land in `t.grads`, dL/dx in `dx` if given.
        pub fn backward(&self, x: &[[T; #n_in]], t: &mut #train<T>, dx: Option<&mut [[T; #n_in]]>) -> #rt::Result<()> {
            #rt::network::Network::backward_flat(self, x.as_flattened(), t, dx.map(|d| d.as_flattened_mut()))
        }

        /// Forward (train mode), loss, backward and one optimiser update; returns the loss.
        #[doc = #doc_plain]
        pub fn train_step(
            &mut self,
            x: &[[T; #n_in]],
            target: &#target_ty,
            opt: &mut dyn #rt::optim::Optimizer<T>,
            t: &mut #train<T>,
        ) -> #rt::Result<T>
        where
            Self: #rt::network::Trainable,
        {
            #steps_t
            #rt::network::train_step(self, x.as_flattened(), #target_flat, opt, t)
        }

        /// The declared loss of an eval-mode forward over `x` (no training state touched).
        #[doc = #doc_plain]
        pub fn eval_loss(&self, x: &[[T; #n_in]], target: &#target_ty, s: &mut #scratch<T>) -> #rt::Result<T>
        where
            Self: #rt::network::Trainable,
        {
            #steps_s
            let mut out = ::core::mem::take(&mut s.out);
            out.resize(#eval_rows * #n_out, T::ZERO);
            let r = #rt::network::Network::forward_flat(self, x.as_flattened(), &mut out, s)
                .and_then(|()| #rt::loss::Loss::loss(&self.loss, &out, #n_out, #target_flat));
            s.out = out;
            r
        }
    }
}

/// The step count the plain methods (`forward`, `train_step`, `eval_loss`, ...) of a sequence
/// network set on `holder` before running: the declared `seq(n)`, or for `seq` of any length
/// the whole input as one sequence. Set on every call, so no earlier call's step count leaks
/// in; batches of several sequences go through the `*_seq` forms. Nothing for other networks.
fn plain_steps(net: &Resolved, holder: TokenStream) -> TokenStream {
    match (net.seq, net.steps) {
        (false, _) => quote!(),
        (true, Some(n)) => {
            let n = lit(n);
            quote!(#holder.steps = #n;)
        }
        (true, None) => quote!(#holder.steps = x.len();),
    }
}

/// The line the plain methods' docs add for a sequence network.
fn plain_doc(net: &Resolved) -> String {
    match (net.seq, net.steps) {
        (false, _) => String::new(),
        (true, Some(n)) => format!("\n\n`x` holds sequences of the declared {n} steps, time-major."),
        (true, None) => "\n\n`x` is one sequence (one row per step); use the `*_seq` form for a time-major batch of several.".into(),
    }
}

/// Methods of `impl NameTrain<T>`.
pub fn train_methods(plan: &Plan) -> TokenStream {
    let (bounds, name) = (&plan.bounds, &plan.name);
    let rt = rt();
    let (train, n_out, last_act) = (&plan.train, &plan.n_out, plan.last_act());
    quote! {
        impl<T: #rt::Float> #train<T> #bounds {
            /// The output of the last training forward.
            pub fn output(&self) -> &[[T; #n_out]] {
                self.#last_act.as_chunks::<#n_out>().0
            }

            /// Clips the gradients to this global L2 norm before every `train_step` update
            /// (`None`: no clipping). Fails for a bound that is not positive and finite.
            pub fn set_clip_norm(&mut self, max_norm: Option<f64>) -> #rt::Result<()> {
                if let Some(m) = max_norm {
                    if !(m.is_finite() && m > 0.0) {
                        return Err(#rt::KilnError::InvalidHyperParameter {
                            what: "gradient clipping norm",
                            value: m,
                            why: "must be positive and finite",
                        });
                    }
                }
                self.clip_norm = max_norm;
                Ok(())
            }

            /// Whether `train_step` guards each step: it checks the loss, every gradient and
            /// every updated parameter for NaN/infinity, returns `KilnError::NonFiniteLoss`,
            /// `NonFiniteGradient` or `NonFiniteParameter` (naming the step and the first
            /// tensor to go non-finite) and puts the network and optimiser back as they were
            /// before the step. On by default (a copy of the weights and optimiser state and
            /// two checking passes per step); `false` turns it off.
            pub fn set_check_finite(&mut self, on: bool) {
                self.check_finite = on;
            }

            /// Freezes the parameter tensors named `name` or under it (a layer, `layers.0`; a
            /// body, `layers.3.main`; one tensor, `layers.0.bias`) for fine-tuning: they get
            /// no optimiser state and no update, and layers at the front whose parameters are
            /// all frozen get no backward pass. Returns how many tensors it matched; errors,
            /// changing nothing, if none. Freeze before the optimiser's first step (its state
            /// covers the tensors it saw then).
            pub fn freeze(&mut self, name: &str) -> #rt::Result<usize> {
                self.set_frozen(name, true)
            }

            /// Undoes [`Self::freeze`] for `name` (same matching).
            pub fn unfreeze(&mut self, name: &str) -> #rt::Result<usize> {
                self.set_frozen(name, false)
            }

            /// The names of the frozen parameter tensors.
            pub fn frozen(&self) -> ::kiln::__std_lib::vec::Vec<&'static str> {
                #rt::freeze::frozen_names(<#name<T> as #rt::network::Network<T>>::TENSORS, &self.frozen)
            }

            fn set_frozen(&mut self, name: &str, on: bool) -> #rt::Result<usize> {
                let tensors = <#name<T> as #rt::network::Network<T>>::TENSORS;
                let n = #rt::freeze::set_frozen(tensors, &mut self.frozen, name, on)?;
                let layers = #name::<T>::LAYER_SHAPES.iter().map(|(prefix, _)| *prefix);
                self.frozen_layers = #rt::freeze::frozen_prefix(tensors, &self.frozen, layers);
                Ok(n)
            }

            /// Where to write dL/d(output) before calling `backward` by hand.
            pub fn output_grad_mut(&mut self) -> &mut [[T; #n_out]] {
                self.d_out.as_chunks_mut::<#n_out>().0
            }
        }
    }
}
