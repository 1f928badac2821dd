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
        warnings,
    } = net;
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
    let layer_tr = quote!(#rt::layers::Layer);

    let (loss_ty, loss_ctor) = match loss.ty() {
        Some(t) => (t, loss.construct()),
        None => (quote!(#rt::network::NoLoss), quote!(#rt::network::NoLoss)),
    };

    // Inference: ping-pong between two buffers; the first layer reads `x`, the last writes `y`.
    let fwd = (0..n).map(|i| {
        let f = &field[i];
        let c = &cache[i];
        let src = match i {
            0 => quote!(x),
            _ if i % 2 == 1 => quote!(&s.ping),
            _ => quote!(&s.pong),
        };
        if i == n - 1 {
            quote!(#layer_tr::forward(&self.#f, #src, y, batch, &mut s.#c);)
        } else {
            let dst = if i % 2 == 0 {
                quote!(s.ping)
            } else {
                quote!(s.pong)
            };
            let w = &width_out[i];
            quote! {
                #rt::layers::ensure_len(&mut #dst, batch * #w);
                #layer_tr::forward(&self.#f, #src, &mut #dst, batch, &mut s.#c);
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
        if i == 0 {
            quote!(#layer_tr::backward(&self.#f, #src, &t.#a, #dy, dx, batch, &mut t.#c, &mut t.grads.#f);)
        } else {
            let dst = if from_last % 2 == 0 { quote!(t.d_a) } else { quote!(t.d_b) };
            let w_in = lit(layers[i].input.numel());
            quote! {
                #rt::layers::ensure_len(&mut #dst, batch * #w_in);
                #layer_tr::backward(&self.#f, #src, &t.#a, #dy, Some(&mut #dst), batch, &mut t.#c, &mut t.grads.#f);
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
            ping: ::std::vec::Vec<T>,
            pong: ::std::vec::Vec<T>,
            out: ::std::vec::Vec<T>,
            #( #cache: <#ty as #layer_tr<T>>::Cache, )*
        }

        #[doc = #doc_train]
        #vis struct #train<T: #rt::Float = f32> {
            /// Gradients of the last backward pass, shaped like the network itself.
            pub grads: #name<T>,
            #( #act: ::std::vec::Vec<T>, )*
            #( #cache: <#ty as #layer_tr<T>>::Cache, )*
            d_out: ::std::vec::Vec<T>,
            d_a: ::std::vec::Vec<T>,
            d_b: ::std::vec::Vec<T>,
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
                    ping: ::std::vec::Vec::new(),
                    pong: ::std::vec::Vec::new(),
                    out: ::std::vec::Vec::new(),
                    #( #cache: ::core::default::Default::default(), )*
                }
            }

            /// Fresh training state; `seed` drives dropout.
            pub fn train_state(&self, seed: u64) -> #train<T> {
                #train {
                    grads: #name { #( #field: #layer_tr::zeros_like(&self.#field), )* loss: self.loss.clone() },
                    #( #act: ::std::vec::Vec::new(), )*
                    #( #cache: ::core::default::Default::default(), )*
                    d_out: ::std::vec::Vec::new(),
                    d_a: ::std::vec::Vec::new(),
                    d_b: ::std::vec::Vec::new(),
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

            /// Where to write dL/d(output) before calling `backward` by hand.
            pub fn output_grad_mut(&mut self) -> &mut [[T; #n_out]] {
                self.d_out.as_chunks_mut::<#n_out>().0
            }
        }

        #trainable

        impl<T: #rt::Float> #rt::network::Network<T> for #name<T> {
            const INPUT: usize = #n_in;
            const OUTPUT: usize = #n_out;
            type Loss = #loss_ty;
            type Scratch = #scratch<T>;
            type Train = #train<T>;

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
                #( #fwd )*
                Ok(())
            }

            fn forward_train_flat(&mut self, x: &[T], t: &mut Self::Train) -> #rt::Result<()> {
                let batch = #rt::network::batch_of("network input", x.len(), #n_in)?;
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
                #( #rt::layers::visit_named_ref(&self.#field, #prefix, f); )*
            }

            fn visit_params_mut(&mut self, f: &mut dyn FnMut(&str, #rt::ParamKind, &mut [T])) {
                #( #rt::layers::visit_named_mut(&mut self.#field, #prefix, f); )*
            }

            fn visit_buffers_mut(&mut self, f: &mut dyn FnMut(&str, &mut [T])) {
                #( #rt::layers::visit_named_buffers(&mut self.#field, #prefix, f); )*
            }

            fn visit_with_grads(&mut self, g: &Self, f: &mut dyn FnMut(#rt::Param<'_, T>)) {
                #( #rt::layers::visit_named(&mut self.#field, &g.#field, #prefix, f); )*
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
