//! Stage 3: code. Emits the network struct (one field per layer, sizes in const generics),
//! its inference scratch and training state, the forward passes and the backward pass written
//! out layer by layer (the delta recursion, from the last layer to the first), and the
//! `Network` impl the runtime's generic pieces (training step, gradcheck, optimisers) use.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::check::Checked;
use crate::layers::{lit, rt};

pub fn emit(net: &Checked) -> TokenStream {
    let rt = rt();
    let Checked {
        attrs,
        vis,
        name,
        input,
        layers,
        output,
        loss,
        seq,
        steps: fixed_steps,
        warnings,
        ..
    } = net;
    let seq = *seq;
    let default_steps = lit(fixed_steps.unwrap_or(1));
    let steps_const = match fixed_steps {
        Some(n) => {
            let n = lit(*n);
            quote!(Some(#n))
        }
        None => quote!(None),
    };
    // `input: [seq(n), F]`: every pass must have exactly n steps.
    let check_fixed = |steps: TokenStream| match fixed_steps {
        Some(n) => {
            let n = lit(*n);
            quote! {
                if #steps != #n {
                    return Err(#rt::KilnError::LengthMismatch {
                        what: "sequence length (declared `seq` length)",
                        expected: #n,
                        actual: #steps,
                    });
                }
            }
        }
        None => quote!(),
    };
    let fixed_fwd = check_fixed(quote!(steps));
    let scratch = format_ident!("{}Scratch", name);
    let train = format_ident!("{}Train", name);
    let n_in = lit(input.numel());
    let n_out = lit(output.numel());
    let in_dims: Vec<_> = input.0.iter().map(|&d| lit(d)).collect();
    let out_dims: Vec<_> = output.0.iter().map(|&d| lit(d)).collect();
    let n = layers.len();

    let field: Vec<_> = layers
        .iter()
        .map(|l| format_ident!("layer{}", l.index))
        .collect();
    let cache: Vec<_> = layers
        .iter()
        .map(|l| format_ident!("c{}", l.index))
        .collect();
    let act: Vec<_> = layers
        .iter()
        .map(|l| format_ident!("a{}", l.index))
        .collect();
    let ty: Vec<_> = layers
        .iter()
        .map(|l| l.kind.field_type(&l.input, &l.output))
        .collect();
    let ctor: Vec<_> = layers
        .iter()
        .map(|l| l.kind.construct(&l.input, &l.output))
        .collect();
    let width_out: Vec<_> = layers.iter().map(|l| lit(l.output.numel())).collect();
    let prefix: Vec<String> = layers
        .iter()
        .map(|l| format!("layers.{}", l.index))
        .collect();
    let layer_dims: Vec<Vec<_>> = layers
        .iter()
        .map(|l| l.output.0.iter().map(|&d| lit(d)).collect())
        .collect();
    let mut tensor_list = Vec::new();
    for (l, p) in layers.iter().zip(&prefix) {
        let mut t = crate::tensors::Tensors {
            out: &mut tensor_list,
        };
        l.kind.tensors(&l.input, &l.output, p, &mut t);
    }
    let tensors = crate::tensors::emit(&tensor_list);
    let layer_tr = quote!(#rt::layers::Layer);
    let rec_tr = quote!(#rt::recurrent::Recurrent);
    let rec: Vec<bool> = layers.iter().map(|l| l.kind.recurrent()).collect();
    // The trait each layer is driven through: per-row `Layer`, or `Recurrent` over sequences.
    let tr: Vec<TokenStream> = rec
        .iter()
        .map(|&r| if r { rec_tr.clone() } else { layer_tr.clone() })
        .collect();
    let st: Vec<_> = layers
        .iter()
        .map(|l| format_ident!("st{}", l.index))
        .collect();
    let st_fields: Vec<_> = (0..layers.len())
        .filter(|&i| rec[i])
        .map(|i| st[i].clone())
        .collect();
    // Sequence networks: rows = steps x sequences, time-major; `steps` is set by the typed API.
    let seq_dims = |holder: TokenStream| {
        if seq {
            quote! {
                let steps = #holder.steps.max(1);
                if batch % steps != 0 {
                    return Err(#rt::KilnError::LengthMismatch {
                        what: "sequence batch (samples must be steps x sequences, time-major)",
                        expected: (batch / steps + 1) * steps,
                        actual: batch,
                    });
                }
                let seqs = batch / steps;
                #fixed_fwd
            }
        } else {
            quote!()
        }
    };
    let check_first = if rec[0] {
        quote!()
    } else {
        let f0 = &field[0];
        quote!(#layer_tr::check_input(&self.#f0, x)?;)
    };
    let seq_scratch = seq_dims(quote!(s));
    let seq_backward = if seq {
        quote! {
            let steps = t.steps.max(1);
            let seqs = batch / steps;
        }
    } else {
        quote!()
    };
    let vis_ref = (0..layers.len()).map(|i| {
        let (f, p) = (&field[i], &prefix[i]);
        if rec[i] {
            quote!(#rec_tr::visit_named_ref(&self.#f, #p, f);)
        } else {
            quote!(#rt::layers::visit_named_ref(&self.#f, #p, f);)
        }
    });
    let vis_mut = (0..layers.len()).map(|i| {
        let (f, p) = (&field[i], &prefix[i]);
        if rec[i] {
            quote!(#rec_tr::visit_named_mut(&mut self.#f, #p, f);)
        } else {
            quote!(#rt::layers::visit_named_mut(&mut self.#f, #p, f);)
        }
    });
    let vis_buf = (0..layers.len()).filter(|&i| !rec[i]).map(|i| {
        let (f, p) = (&field[i], &prefix[i]);
        quote!(#rt::layers::visit_named_buffers(&mut self.#f, #p, f);)
    });
    let vis_buf_ref = (0..layers.len()).filter(|&i| !rec[i]).map(|i| {
        let (f, p) = (&field[i], &prefix[i]);
        quote!(#rt::layers::visit_named_buffers_ref(&self.#f, #p, f);)
    });
    let vis_grad = (0..layers.len()).map(|i| {
        let (f, p) = (&field[i], &prefix[i]);
        if rec[i] {
            quote!(#rec_tr::visit_named(&mut self.#f, &g.#f, #p, f);)
        } else {
            quote!(#rt::layers::visit_named(&mut self.#f, &g.#f, #p, f);)
        }
    });
    let seq_train = seq_dims(quote!(t));

    let (loss_ty, loss_ctor) = match loss.ty() {
        Some(t) => (t, loss.construct()),
        None => (quote!(#rt::network::NoLoss), quote!(#rt::network::NoLoss)),
    };

    // Inference and streaming: layers ping-pong between two buffers of `holder`; the first
    // layer reads `input`, the last writes `output`, the others grow their buffer to `rows`.
    let pingpong = |i: usize,
                    holder: &TokenStream,
                    input: &TokenStream,
                    output: &TokenStream,
                    rows: &TokenStream| {
        let src = match i {
            0 => input.clone(),
            _ if i % 2 == 1 => quote!(&#holder.ping),
            _ => quote!(&#holder.pong),
        };
        if i == n - 1 {
            return (src, output.clone(), quote!());
        }
        let buf = if i.is_multiple_of(2) {
            quote!(#holder.ping)
        } else {
            quote!(#holder.pong)
        };
        let w = &width_out[i];
        let grow = quote!(#rt::layers::ensure_len(&mut #buf, #rows * #w););
        (src, quote!(&mut #buf), grow)
    };
    let fwd = (0..n).map(|i| {
        let (f, c) = (&field[i], &cache[i]);
        let (src, dst, grow) = pingpong(i, &quote!(s), &quote!(x), &quote!(y), &quote!(batch));
        if rec[i] {
            let (stf, tyi) = (&st[i], &ty[i]);
            quote! {
                #grow
                #rt::layers::ensure_len(&mut s.#stf, seqs * <#tyi as #rec_tr<T>>::STATE);
                s.#stf.fill(T::ZERO);
                #rec_tr::forward(&self.#f, #src, #dst, steps, seqs, &mut s.#stf, &mut s.#c);
            }
        } else {
            quote! {
                #grow
                #layer_tr::forward(&self.#f, #src, #dst, batch, &mut s.#c);
            }
        }
    });

    // Training forward: every layer's output is kept for the backward pass.
    let fwd_train = (0..n).map(|i| {
        let (f, c, a, w) = (&field[i], &cache[i], &act[i], &width_out[i]);
        let src = if i == 0 {
            quote!(x)
        } else {
            let p = &act[i - 1];
            quote!(&t.#p)
        };
        if rec[i] {
            let (stf, tyi) = (&st[i], &ty[i]);
            return quote! {
                #rt::layers::ensure_len(&mut t.#a, batch * #w);
                if t.#stf.len() != seqs * <#tyi as #rec_tr<T>>::STATE || !t.carry_state {
                    t.#stf.clear();
                    t.#stf.resize(seqs * <#tyi as #rec_tr<T>>::STATE, T::ZERO);
                }
                #rec_tr::forward_train(&mut self.#f, #src, &mut t.#a, steps, seqs, &mut t.#stf, &mut t.#c)?;
            };
        }
        quote! {
            #rt::layers::ensure_len(&mut t.#a, batch * #w);
            #layer_tr::forward_train(&mut self.#f, #src, &mut t.#a, batch, &mut t.#c, &mut t.rng)?;
        }
    });

    // Backward, last layer first: dL/dy arrives in d_out, then alternates between d_a and d_b.
    let bwd = (0..n).rev().map(|i| {
        let (f, c, a) = (&field[i], &cache[i], &act[i]);
        let src = if i == 0 { quote!(x) } else { let p = &act[i - 1]; quote!(&t.#p) };
        let from_last = n - 1 - i;
        let dy = match from_last {
            0 => quote!(&mut t.d_out),
            k if k % 2 == 1 => quote!(&mut t.d_a),
            _ => quote!(&mut t.d_b),
        };
        let (tri, dims) = if rec[i] {
            (&rec_tr, quote!(steps, seqs))
        } else {
            (&layer_tr, quote!(batch))
        };
        if i == 0 {
            quote!(#tri::backward(&self.#f, #src, &t.#a, #dy, dx, #dims, &mut t.#c, &mut t.grads.#f);)
        } else {
            let dst = if from_last % 2 == 0 { quote!(t.d_a) } else { quote!(t.d_b) };
            let w_in = lit(layers[i].input.numel());
            quote! {
                #rt::layers::ensure_len(&mut #dst, batch * #w_in);
                #tri::backward(&self.#f, #src, &t.#a, #dy, Some(&mut #dst), #dims, &mut t.#c, &mut t.grads.#f);
            }
        }
    });
    let last_act = &act[n - 1];

    let target_ty = if loss.class_labels() {
        quote!([usize])
    } else {
        quote!([[T; #n_out]])
    };
    let target_flat = if loss.class_labels() {
        quote!(target)
    } else {
        quote!(target.as_flattened())
    };
    let trainable = loss
        .ty()
        .map(|_| quote!(impl<T: #rt::Float> #rt::network::Trainable for #name<T> {}));
    let training_api = {
        quote! {
            /// Forward (train mode), loss, backward and one optimiser update; returns the loss.
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
                #rt::network::train_step(self, x.as_flattened(), #target_flat, opt, t)
            }

            /// The declared loss of an eval-mode forward over `x` (no training state touched).
            pub fn eval_loss(&self, x: &[[T; #n_in]], target: &#target_ty, s: &mut #scratch<T>) -> #rt::Result<T>
            where
                Self: #rt::network::Trainable,
            {
                let mut out = ::core::mem::take(&mut s.out);
                out.resize(x.len() * #n_out, T::ZERO);
                let r = #rt::network::Network::forward_flat(self, x.as_flattened(), &mut out, s)
                    .and_then(|()| #rt::loss::Loss::loss(&self.loss, &out, #n_out, #target_flat));
                s.out = out;
                r
            }
        }
    };

    let stream = format_ident!("{}Stream", name);
    let seq_api = if seq {
        // Streaming: one step for one sample through every layer, state kept between calls.
        let step_calls = (0..n).map(|i| {
            let (f, c) = (&field[i], &cache[i]);
            let (src, dst, grow) = pingpong(
                i,
                &quote!(st),
                &quote!(&x[..]),
                &quote!(&mut y[..]),
                &quote!(1),
            );
            if rec[i] {
                let (stf, tyi) = (&st[i], &ty[i]);
                quote! {
                    #grow
                    #rt::layers::ensure_len(&mut st.#stf, <#tyi as #rec_tr<T>>::STATE);
                    #rec_tr::step(&self.#f, #src, #dst, 1, &mut st.#stf, &mut st.#c);
                }
            } else {
                quote! {
                    #grow
                    #layer_tr::forward(&self.#f, #src, #dst, 1, &mut st.#c);
                }
            }
        });
        let doc_stream = format!("Streaming state of [`{name}`]: the recurrent state and scratch for one sample, step by step.");
        quote! {
            #[doc = #doc_stream]
            #vis struct #stream<T: #rt::Float = f32> {
                ping: ::kiln::__std_lib::vec::Vec<T>,
                pong: ::kiln::__std_lib::vec::Vec<T>,
                #( #st_fields: ::kiln::__std_lib::vec::Vec<T>, )*
                #( #cache: <#ty as #tr<T>>::Cache, )*
            }

            impl<T: #rt::Float> #stream<T> {
                /// Starts over from the zero state.
                pub fn reset(&mut self) {
                    #( self.#st_fields.fill(T::ZERO); )*
                }
            }

            impl<T: #rt::Float> #name<T> {
                /// Eval-mode forward of `x.len() / steps` sequences of `steps` steps, time-major
                /// (`x[t * sequences + s]` is step `t` of sequence `s`), each from the zero state.
                pub fn forward_seq(&self, x: &[[T; #n_in]], steps: usize, y: &mut [[T; #n_out]], s: &mut #scratch<T>) -> #rt::Result<()> {
                    s.steps = steps;
                    self.forward(x, y, s)
                }

                /// Train-mode forward, loss, BPTT and one optimiser update over time-major
                /// sequences of `steps` steps; returns the loss (mean over steps and sequences).
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
                    self.train_step(x, target, opt, t)
                }

                /// Fresh streaming state (zero recurrent state).
                pub fn stream(&self) -> #stream<T> {
                    #stream {
                        ping: ::kiln::__std_lib::vec::Vec::new(),
                        pong: ::kiln::__std_lib::vec::Vec::new(),
                        #( #st_fields: ::kiln::__std_lib::vec::Vec::new(), )*
                        #( #cache: ::core::default::Default::default(), )*
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

            impl<T: #rt::Float> #train<T> {
                /// Consecutive sampling: carry each sequence's final state into the next batch
                /// (truncated BPTT cuts the gradient at the batch boundary). Off by default
                /// (random sampling: every batch starts from the zero state).
                pub fn set_carry_state(&mut self, carry: bool) {
                    self.carry_state = carry;
                }

                /// Forgets the carried state.
                pub fn reset_state(&mut self) {
                    #( self.#st_fields.clear(); )*
                }
            }
        }
    } else {
        quote!()
    };
    let set_steps = if seq {
        quote! {
            fn set_steps(t: &mut Self::Train, steps: usize) {
                t.steps = steps;
            }
            fn set_scratch_steps(s: &mut Self::Scratch, steps: usize) {
                s.steps = steps;
            }
        }
    } else {
        quote!()
    };

    let doc_scratch = format!(
        "Inference buffers for [`{name}`]: they grow to the largest batch seen, then are reused."
    );
    let doc_train = format!(
        "Training state for [`{name}`]: kept activations, layer caches, gradients and the dropout RNG."
    );

    // Stable Rust has no warning API for proc macros: a deprecated item used at the span of the
    // layer makes rustc print the message as a warning there.
    let warnings = warnings.iter().map(|(loc, msg)| {
        let use_site = quote::quote_spanned!(loc.start=> __kiln_warning);
        quote! {
            const _: () = {
                #[deprecated(note = #msg)]
                #[allow(non_upper_case_globals)]
                const __kiln_warning: () = ();
                #use_site
            };
        }
    });

    quote! {
        #(#warnings)*

        #(#attrs)*
        #vis struct #name<T: #rt::Float = f32> {
            #( pub #field: #ty, )*
            /// The declared loss.
            pub loss: #loss_ty,
        }

        #[doc = #doc_scratch]
        #vis struct #scratch<T: #rt::Float = f32> {
            ping: ::kiln::__std_lib::vec::Vec<T>,
            pong: ::kiln::__std_lib::vec::Vec<T>,
            out: ::kiln::__std_lib::vec::Vec<T>,
            steps: usize,
            #( #st_fields: ::kiln::__std_lib::vec::Vec<T>, )*
            #( #cache: <#ty as #tr<T>>::Cache, )*
        }

        #[doc = #doc_train]
        #vis struct #train<T: #rt::Float = f32> {
            /// Gradients of the last backward pass, shaped like the network itself.
            pub grads: #name<T>,
            #( #act: ::kiln::__std_lib::vec::Vec<T>, )*
            #( #cache: <#ty as #tr<T>>::Cache, )*
            #( #st_fields: ::kiln::__std_lib::vec::Vec<T>, )*
            steps: usize,
            carry_state: bool,
            clip_norm: Option<f64>,
            check_finite: bool,
            d_out: ::kiln::__std_lib::vec::Vec<T>,
            d_a: ::kiln::__std_lib::vec::Vec<T>,
            d_b: ::kiln::__std_lib::vec::Vec<T>,
            batch: usize,
            rng: #rt::rng::KilnRng,
        }

        impl<T: #rt::Float> ::core::clone::Clone for #name<T> {
            fn clone(&self) -> Self {
                #name { #( #field: self.#field.clone(), )* loss: self.loss.clone() }
            }
        }

        impl<T: #rt::Float> #name<T> {
            /// Scalars per input sample.
            pub const INPUT: usize = #n_in;
            /// Scalars per output sample.
            pub const OUTPUT: usize = #n_out;
            /// The per-sample input shape as declared.
            pub const INPUT_SHAPE: &'static [usize] = &[#(#in_dims),*];
            /// The per-sample output shape the layers produce.
            pub const OUTPUT_SHAPE: &'static [usize] = &[#(#out_dims),*];
            /// The fixed number of time steps of `input: [seq(n), F]` (`None`: any length).
            pub const STEPS: Option<usize> = #steps_const;
            /// Each emitted layer's name and per-sample output shape, in order (activations
            /// fused into a layer and `flatten` have no entry of their own).
            pub const LAYER_SHAPES: &'static [(&'static str, &'static [usize])] = &[#( (#prefix, &[#(#layer_dims),*]) ),*];

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
                    #( #st_fields: ::kiln::__std_lib::vec::Vec::new(), )*
                    ping: ::kiln::__std_lib::vec::Vec::new(),
                    pong: ::kiln::__std_lib::vec::Vec::new(),
                    out: ::kiln::__std_lib::vec::Vec::new(),
                    #( #cache: ::core::default::Default::default(), )*
                }
            }

            /// Fresh training state; `seed` drives dropout.
            pub fn train_state(&self, seed: u64) -> #train<T> {
                #train {
                    grads: #name { #( #field: #tr::zeros_like(&self.#field), )* loss: self.loss.clone() },
                    #( #st_fields: ::kiln::__std_lib::vec::Vec::new(), )*
                    steps: #default_steps,
                    carry_state: false,
                    clip_norm: None,
                    check_finite: false,
                    #( #act: ::kiln::__std_lib::vec::Vec::new(), )*
                    #( #cache: ::core::default::Default::default(), )*
                    d_out: ::kiln::__std_lib::vec::Vec::new(),
                    d_a: ::kiln::__std_lib::vec::Vec::new(),
                    d_b: ::kiln::__std_lib::vec::Vec::new(),
                    batch: 0,
                    rng: #rt::rng::seeded(seed),
                }
            }

            /// Eval-mode forward of a batch; `y` must have one row per sample of `x`.
            pub fn forward(&self, x: &[[T; #n_in]], y: &mut [[T; #n_out]], s: &mut #scratch<T>) -> #rt::Result<()> {
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
            pub fn forward_train<'t>(&mut self, x: &[[T; #n_in]], t: &'t mut #train<T>) -> #rt::Result<&'t [[T; #n_out]]> {
                #rt::network::Network::forward_train_flat(self, x.as_flattened(), t)?;
                Ok(t.#last_act.as_chunks::<#n_out>().0)
            }

            /// Backward of the last `forward_train` from the gradient written with
            /// [`#train::output_grad_mut`]; gradients land in `t.grads`, dL/dx in `dx` if given.
            pub fn backward(&self, x: &[[T; #n_in]], t: &mut #train<T>, dx: Option<&mut [[T; #n_in]]>) -> #rt::Result<()> {
                #rt::network::Network::backward_flat(self, x.as_flattened(), t, dx.map(|d| d.as_flattened_mut()))
            }

            #training_api
        }

        impl<T: #rt::Float> #train<T> {
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

            /// Makes `train_step` check the loss and every gradient for NaN/infinity before
            /// updating: a bad step returns `KilnError::NonFiniteLoss` or `NonFiniteGradient`
            /// (naming the step and the first tensor to go non-finite) and changes no
            /// parameter. Off by default; one pass over the gradients when on.
            pub fn set_check_finite(&mut self, on: bool) {
                self.check_finite = on;
            }

            /// Where to write dL/d(output) before calling `backward` by hand.
            pub fn output_grad_mut(&mut self) -> &mut [[T; #n_out]] {
                self.d_out.as_chunks_mut::<#n_out>().0
            }
        }

        #trainable

        #seq_api

        impl<T: #rt::Float> #rt::network::Network<T> for #name<T> {
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

            const TENSORS: &'static [#rt::network::TensorSpec] = #tensors;

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
                t.rng = #rt::rng::seeded(seed);
            }

            fn forward_flat(&self, x: &[T], y: &mut [T], s: &mut Self::Scratch) -> #rt::Result<()> {
                let batch = #rt::network::batch_of("network input", x.len(), #n_in)?;
                #rt::network::check_output(batch, #n_out, y.len())?;
                #seq_scratch
                #check_first
                #( #fwd )*
                Ok(())
            }

            fn forward_train_flat(&mut self, x: &[T], t: &mut Self::Train) -> #rt::Result<()> {
                let batch = #rt::network::batch_of("network input", x.len(), #n_in)?;
                #seq_train
                #check_first
                #( #fwd_train )*
                #rt::layers::ensure_len(&mut t.d_out, batch * #n_out);
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
                #( #bwd )*
                Ok(())
            }

            fn grads(t: &Self::Train) -> &Self {
                &t.grads
            }

            fn grads_mut(t: &mut Self::Train) -> &mut Self {
                &mut t.grads
            }

            fn visit_params(&self, f: &mut dyn FnMut(&str, #rt::ParamKind, &[T])) {
                #( #vis_ref )*
            }

            fn visit_params_mut(&mut self, f: &mut dyn FnMut(&str, #rt::ParamKind, &mut [T])) {
                #( #vis_mut )*
            }

            fn visit_buffers_mut(&mut self, f: &mut dyn FnMut(&str, &mut [T])) {
                #( #vis_buf )*
            }

            fn visit_buffers(&self, f: &mut dyn FnMut(&str, &[T])) {
                #( #vis_buf_ref )*
            }

            fn visit_with_grads(&mut self, g: &Self, f: &mut dyn FnMut(#rt::Param<'_, T>)) {
                #( #vis_grad )*
            }
        }

        const _: () = {
            fn assert_send_sync<X: Send + Sync>() {}
            fn check() {
                assert_send_sync::<#name<f32>>();
                assert_send_sync::<#name<f64>>();
            }
        };
    }
}
