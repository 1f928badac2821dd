//! The forward passes as straight lists of calls: inference ping-pongs between two scratch
//! buffers (`x -> ping -> pong -> ... -> y`), training keeps every layer's output for the
//! backward pass. Sequence networks pass `steps, seqs` to recurrent layers.

use proc_macro2::TokenStream;
use quote::quote;

use super::plan::Plan;
use crate::tokens::{lit, rt};
use crate::tree::Resolved;

/// Where layer `i` of `n` reads and writes when layers alternate between two buffers of
/// `holder`: `(source, destination, grow the destination to rows x width)`.
pub fn pingpong(
    plan: &Plan,
    i: usize,
    holder: &TokenStream,
    input: &TokenStream,
    output: &TokenStream,
    rows: Option<&TokenStream>,
) -> (TokenStream, TokenStream, TokenStream) {
    let rows = rows.unwrap_or(&plan.layers[i].rows_out);
    let rt = rt();
    let src = match i {
        0 => input.clone(),
        _ if i % 2 == 1 => quote!(&#holder.ping),
        _ => quote!(&#holder.pong),
    };
    if i == plan.layers.len() - 1 {
        return (src, output.clone(), quote!());
    }
    let buf = written_buffer(i, holder);
    let w = &plan.layers[i].width_out;
    let grow = quote!(#rt::layers::ensure_len(&mut #buf, #rows * #w););
    (src, quote!(&mut #buf), grow)
}

/// The buffer layer `i` writes in [`pingpong`] when it is not the last.
fn written_buffer(i: usize, holder: &TokenStream) -> TokenStream {
    if i.is_multiple_of(2) {
        quote!(#holder.ping)
    } else {
        quote!(#holder.pong)
    }
}

/// What layer `i` wrote in [`pingpong`], to read: `&y[..]` for the last layer, else its
/// `rows` rows of the holder's buffer.
pub fn written(plan: &Plan, i: usize, holder: &TokenStream, rows: &TokenStream) -> TokenStream {
    if i + 1 == plan.layers.len() {
        return quote!(&y[..]);
    }
    let (buf, w) = (written_buffer(i, holder), &plan.layers[i].width_out);
    quote!(&#buf[..#rows * #w])
}

/// `steps` and `seqs` from the batch of a sequence network, checked (`holder.steps` is set by
/// the typed API), and the sequences' lengths checked and handed to every layer that runs
/// over time; nothing for other networks.
pub fn sequence_dims(net: &Resolved, plan: &Plan, holder: TokenStream) -> TokenStream {
    let rt = rt();
    if !net.seq {
        return quote!();
    }
    let fixed = match net.steps {
        Some(n) => {
            let n = lit(n);
            quote! {
                if steps != #n {
                    return Err(#rt::KilnError::LengthMismatch {
                        what: "sequence length (declared `seq` length)",
                        expected: #n,
                        actual: steps,
                    });
                }
            }
        }
        None => quote!(),
    };
    let set_lengths = plan
        .layers
        .iter()
        .filter(|l| l.recurrent || l.holds_recurrent)
        .map(|l| {
            let (c, tr, ty) = (&l.cache, &l.tr, &l.ty);
            quote!(<#ty as #tr<T>>::set_lengths(&mut #holder.#c, &#holder.lengths);)
        });
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
        #fixed
        if !#holder.lengths.is_empty() {
            #rt::recurrent::lengths::check_lengths(&#holder.lengths, steps, seqs)?;
        }
        #( #set_lengths )*
    }
}

/// The first layer checks its input (token ids in range) unless it is recurrent.
pub fn check_first(plan: &Plan) -> TokenStream {
    let rt = rt();
    let l = &plan.layers[0];
    if l.recurrent {
        return quote!();
    }
    let f = &l.field;
    quote!(#rt::layers::Layer::check_input(&self.#f, x)?;)
}

/// Eval-mode forward over `batch` rows from `x` into `y`, scratch in `s`.
pub fn inference(plan: &Plan) -> TokenStream {
    let rt = rt();
    let calls = plan.layers.iter().enumerate().map(|(i, l)| {
        let (f, c, tr, rows) = (&l.field, &l.cache, &l.tr, &l.rows_in);
        let (src, dst, grow) = pingpong(plan, i, &quote!(s), &quote!(x), &quote!(y), None);
        if l.recurrent {
            let (st, ty) = (&l.state, &l.ty);
            quote! {
                #grow
                #rt::layers::ensure_len(&mut s.#st, seqs * <#ty as #tr<T>>::STATE);
                s.#st.fill(T::ZERO);
                #tr::forward(&self.#f, #src, #dst, steps, seqs, &mut s.#st, &mut s.#c);
            }
        } else {
            let set = Plan::set_steps(l, &quote!(s), &quote!(steps));
            quote! {
                #grow
                #set
                #tr::forward(&self.#f, #src, #dst, #rows, &mut s.#c);
            }
        }
    });
    quote!(#( #calls )*)
}

/// Train-mode forward: every layer's output is kept in `t` for the backward pass.
pub fn training(plan: &Plan) -> TokenStream {
    let rt = rt();
    let calls = plan.layers.iter().enumerate().map(|(i, l)| {
        let (f, c, a, w, tr) = (&l.field, &l.cache, &l.act, &l.width_out, &l.tr);
        let (rows_in, rows_out) = (&l.rows_in, &l.rows_out);
        let src = match i {
            0 => quote!(x),
            _ => {
                let p = &plan.layers[i - 1].act;
                quote!(&t.#p)
            }
        };
        if l.recurrent {
            let (st, ty) = (&l.state, &l.ty);
            return quote! {
                #rt::layers::ensure_len(&mut t.#a, #rows_out * #w);
                if t.#st.len() != seqs * <#ty as #tr<T>>::STATE || !t.carry_state {
                    t.#st.clear();
                    t.#st.resize(seqs * <#ty as #tr<T>>::STATE, T::ZERO);
                }
                #tr::forward_train(&mut self.#f, #src, &mut t.#a, steps, seqs, &mut t.#st, &mut t.#c, &mut t.rng)?;
            };
        }
        let set = Plan::set_steps(l, &quote!(t), &quote!(steps));
        quote! {
            #rt::layers::ensure_len(&mut t.#a, #rows_out * #w);
            #set
            #tr::forward_train(&mut self.#f, #src, &mut t.#a, #rows_in, &mut t.#c, &mut t.rng)?;
        }
    });
    quote!(#( #calls )*)
}

/// [`inference`] that shows `observe` each layer's output and its values before a fused
/// activation (`Network::forward_observed_flat`, for int8 calibration); feed-forward
/// networks (a sequence network observes a stream: `sequence::observed_stream`).
pub fn observed(plan: &Plan) -> TokenStream {
    let rt = rt();
    let calls = plan.layers.iter().enumerate().map(|(i, l)| {
        let (f, c, tr, rows) = (&l.field, &l.cache, &l.tr, &l.rows_in);
        let (src, dst, grow) = pingpong(plan, i, &quote!(s), &quote!(x), &quote!(&mut y), None);
        let out = written(plan, i, &quote!(s), rows);
        let at = lit(i);
        quote! {
            #grow
            let pre = #tr::forward_pre_activation(&self.#f, #src, #dst, #rows, &mut s.#c, &mut z);
            observe(#rt::network::Observed { layer: #at, output: #out, pre_activation: pre.then_some(&z[..]), state: None });
        }
    });
    let (n_in, n_out) = (&plan.n_in, &plan.n_out);
    let check_first = check_first(plan);
    quote! {
        fn forward_observed_flat(
            &self,
            x: &[T],
            s: &mut Self::Scratch,
            observe: &mut dyn FnMut(#rt::network::Observed<'_, T>),
        ) -> #rt::Result<()> {
            let batch = #rt::network::batch_of("network input", x.len(), #n_in)?;
            #check_first
            let mut y = ::kiln::__std_lib::vec![T::ZERO; batch * #n_out];
            let mut z = ::kiln::__std_lib::vec::Vec::new();
            #( #calls )*
            Ok(())
        }
    }
}
