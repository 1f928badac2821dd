//! The embedded form of a declaration (`embedded: true` or `weights: "file.safetensors"`):
//! `{Name}Embedded<T>`, a plain struct of inline arrays (no heap, no std) with a batch-1
//! `forward` (or, for sequence networks, a streaming `step`) that calls the runtime's
//! `fixed` kernels, scratch and state of sizes known at compile time, and, with `weights`,
//! a `const WEIGHTS` baked from the file (checked against the declaration by `weights.rs`).

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::embedded_actions::{action, At, Strides};
use crate::diag::Ctxt;
use crate::embedded_op::{Baked, Config, EmbeddedLayer, Op};
use crate::tensors::TensorDecl;
use crate::tokens::{lit, rt};
use crate::tree::{Node, Resolved};

/// `{Name}Embedded` and its scratch or state, or errors naming the layers it cannot take.
pub fn emit(net: &Resolved, baked: Option<&Baked>, cx: &mut Ctxt) -> TokenStream {
    let rt = rt();
    let name = format_ident!("{}Embedded", net.name);
    let net_name = &net.name;
    let scratch = format_ident!("{}EmbeddedScratch", net.name);
    let seq = net.seq;
    let cost = crate::cost::Cost::of(net);
    let (per_step_in, n_out) = (cost.per_step_in, net.output.numel());
    let (n_in_l, n_out_l) = (lit(per_step_in), lit(n_out));
    let widest = cost.widest;
    let lay = &cost.layout;
    for n in &lay.unsupported {
        refuse(net, n, cx);
    }
    if cx.has_errors() {
        return quote!();
    }
    let layers = &lay.leaves;

    // Fields, with their types.
    let mut fields = Vec::new();
    let mut states = Vec::new();
    for l in layers {
        let e = &l.embedded;
        if let Some(ty) = &e.ty {
            fields.push((format_ident!("{}", l.field), ty.clone(), l.prefix.clone()));
        }
        if let Op::Step { state, .. } | Op::Whole { state, .. } = &e.op {
            states.push((
                format_ident!("{}", l.state_field()),
                state.clone(),
                &l.prefix,
            ));
        }
    }
    let field_defs = fields.iter().map(|(f, ty, prefix)| {
        let doc = format!("The layer `{prefix}` (inline arrays).");
        quote!(#[doc = #doc] pub #f: #ty,)
    });
    let field_zero: Vec<_> = fields
        .iter()
        .map(|(f, ty, _)| quote!(#f: <#ty>::ZERO,))
        .collect();
    let work = lay.work;
    // A layer that needs the whole sequence makes the network run layer by layer over it.
    let steps = match (lay.whole, net.steps) {
        (false, _) => None,
        (true, Some(n)) => Some(n),
        (true, None) => {
            whole_needs_a_length(net, layers, cx);
            return quote!();
        }
    };
    let body: Vec<TokenStream> = match steps {
        None => lay
            .actions
            .iter()
            .map(|a| action(a, layers, At::Step))
            .collect(),
        Some(n) => super::embedded_seq::program(
            lay,
            n,
            Strides {
                x: per_step_in,
                y: n_out,
                ab: widest,
                work,
                ys: net.reduced,
            },
        ),
    };
    let rows = steps.unwrap_or(1);

    // Constructors: settings, then (with a weights file) every tensor.
    // In the `f32`/`f64` impls, `T` names that type (the field types are written with `T`).
    let ctor_for = |float: TokenStream, baked: Option<&Baked>| {
        let alias = if float.to_string() == "T" {
            quote!()
        } else {
            quote!(type T = #float;)
        };
        let mut sets = Vec::new();
        for l in layers {
            let e = &l.embedded;
            let f = format_ident!("{}", l.field);
            for (k, v) in &e.config {
                let k: Vec<_> = k.split('.').map(|k| format_ident!("{}", k)).collect();
                let v = match v {
                    Config::Float(x) => float_lit(&float, *x),
                    Config::Bool(b) => quote!(#b),
                };
                for at in config_paths(e) {
                    sets.push(quote!(n.#f #at #(.#k)* = #v;));
                }
            }
            if let Some(b) = baked {
                for t in l.tensors().iter().filter(|t| !t.is_counter()) {
                    let (field, transposed) = field_of(e, &l.prefix, &t.name);
                    let suffix = t.name.rsplit('.').next().unwrap_or(&t.name);
                    let value = if transposed {
                        nested_transposed(&float, t, &b.values[&t.name])
                    } else if e.flat.contains(&suffix) {
                        let shape = vec![t.shape.iter().product()];
                        let t = TensorDecl {
                            name: t.name.clone(),
                            shape,
                            buffer: t.buffer,
                            from_type: None,
                        };
                        nested(&float, &t, &b.values[&t.name])
                    } else if e.unsqueezed.contains(&suffix) {
                        let mut shape = t.shape.clone();
                        shape.insert(shape.len() - 1, 1);
                        let t = TensorDecl {
                            name: t.name.clone(),
                            shape,
                            buffer: t.buffer,
                            from_type: None,
                        };
                        nested(&float, &t, &b.values[&t.name])
                    } else {
                        nested(&float, t, &b.values[&t.name])
                    };
                    sets.push(quote!(n.#f.#field = #value;));
                }
            }
        }
        quote!({
            #alias
            let mut n = Self { #( #field_zero )* _t: ::core::marker::PhantomData };
            #( #sets )*
            n
        })
    };
    // Tensor access by full name, for loading weights at run time without an allocator.
    let mut names = Vec::new();
    let mut refs = Vec::new();
    let mut muts = Vec::new();
    for l in layers {
        let e = &l.embedded;
        if e.ty.is_none() {
            continue;
        }
        let f = format_ident!("{}", l.field);
        for t in l.tensors().into_iter().filter(|t| !t.is_counter()) {
            let (field, transposed) = field_of(e, &l.prefix, &t.name);
            let n = &t.name;
            let len = lit(t.shape.iter().product());
            let check = quote! {
                if v.len() != #len {
                    return Err(#rt::KilnError::LengthMismatch { what: "embedded tensor", expected: #len, actual: v.len() });
                }
            };
            if transposed {
                refs.push(quote!(#n => { #check #rt::fixed::get_transposed(&self.#f.#field, v); }));
                muts.push(
                    quote!(#n => { #check #rt::fixed::set_transposed(&mut self.#f.#field, v); }),
                );
            } else {
                // The field's nesting: the tensor's rank, plus an axis for an unsqueezed one.
                let suffix = t.name.rsplit('.').next().unwrap_or(&t.name);
                let rank = if e.flat.contains(&suffix) {
                    1
                } else {
                    t.shape.len() + usize::from(e.unsqueezed.contains(&suffix))
                };
                let flat = (1..rank.max(1)).map(|_| quote!(.as_flattened()));
                let flat_mut = (1..rank.max(1)).map(|_| quote!(.as_flattened_mut()));
                refs.push(
                    quote!(#n => { #check v.copy_from_slice(&self.#f.#field #(#flat)* [..]); }),
                );
                muts.push(
                    quote!(#n => { #check self.#f.#field #(#flat_mut)* [..].copy_from_slice(v); }),
                );
            }
            let shape = &t.shape;
            names.push(quote!((#n, &[#(#shape),*])));
        }
    }
    let zeroed_t = ctor_for(quote!(T), None);
    let zeroed_f32 = ctor_for(quote!(f32), None);
    let zeroed_f64 = ctor_for(quote!(f64), None);
    // The file's values in each precision (an `f64` file keeps every digit in `f64`). The
    // `f64` const has its own name: two `WEIGHTS` would make `NameEmbedded::WEIGHTS` (the
    // default `f32`) ambiguous.
    let weights = baked.map(|b| {
        let path = &b.path;
        let for_float = |float: TokenStream, konst: proc_macro2::Ident| {
            let w = ctor_for(float.clone(), Some(b));
            quote! {
                impl #name<#float> {
                    /// The weights of the file named by `weights:`, baked in at compile time
                    /// (names and shapes were checked against the declaration).
                    pub const #konst: Self = {
                        // Rebuild when the file changes.
                        const _: &[u8] = include_bytes!(#path);
                        #w
                    };
                }
            }
        };
        let w32 = for_float(quote!(f32), format_ident!("WEIGHTS"));
        let w64 = for_float(quote!(f64), format_ident!("WEIGHTS_F64"));
        quote!(#w32 #w64)
    });

    let params: usize = net
        .tensors()
        .iter()
        .filter(|t| !t.buffer)
        .map(|t| t.shape.iter().product::<usize>())
        .sum();
    let params_l = lit(params);
    let (values_l, scratch_l) = (lit(cost.values), lit(cost.scratch_values));
    let macs_l = proc_macro2::Literal::u64_unsuffixed(cost.macs);
    let macs_doc = format!(
        "Multiply-accumulates of {}: the products of weighted layers, one per value for normalisations.",
        if seq { "one `step`" } else { "one `forward`" }
    );
    let state_fields = states.iter().map(|(s, ty, prefix)| {
        let doc = format!("The recurrent state of `{prefix}`.");
        quote!(#[doc = #doc] pub #s: #ty,)
    });
    let state_zero = states.iter().map(|(s, ty, _)| quote!(#s: <#ty>::ZERO,));
    let doc = format!(
        "The embedded form of the network `{}`: inline arrays only (no heap, no std), {params} parameters; `size_of` is [`{name}::BYTES`].",
        net.name
    );
    let widest_l = lit(widest * rows);
    let (ys_field, ys_zero) = match steps {
        Some(n) if net.reduced => {
            let len = lit(n * n_out);
            (
                quote! {
                    /// Every step's output, the last of which `forward_seq` returns.
                    pub ys: [T; #len],
                },
                quote!(ys: [T::ZERO; #len],),
            )
        }
        _ => (quote!(), quote!()),
    };
    let scratch_doc = format!(
        "Working memory of [`{name}`]: two buffers of {} values{}{}; `size_of` is [`{scratch}::BYTES`].",
        widest * rows,
        if work == 0 { String::new() } else { format!(", a work area of {work} for the composites' branches") },
        if states.is_empty() { "" } else { " and each recurrent layer's state" }
    );
    let work_l = lit(work * rows);
    let (work_field, work_zero) = if work == 0 {
        (quote!(), quote!())
    } else {
        (
            quote! {
                /// The composites' branches (regions laid out by the macro).
                pub work: [T; #work_l],
            },
            quote!(work: [T::ZERO; #work_l],),
        )
    };
    let reduced_doc = if net.reduced {
        "After the reduction over time, `y` is the output for the sequence so far (as if it ended at this step), as the heap-backed network's `step` gives it."
    } else {
        ""
    };
    let run = if let Some(n) = steps {
        let resets: Vec<_> = states
            .iter()
            .map(|(st, ty, _)| quote!(s.#st = <#ty>::ZERO;))
            .collect();
        super::embedded_seq::forward_seq(net, &scratch, n, &resets, &body)
    } else if seq {
        quote! {
            /// One time step: `x` in, `y` out; recurrent state is kept in `s` between calls
            /// (`s.reset()` starts a new sequence).
            #[doc = #reduced_doc]
            pub fn step(&self, x: &[T; #n_in_l], y: &mut [T; #n_out_l], s: &mut #scratch<T>) -> #rt::Result<()> {
                #( #body )*
                Ok(())
            }
        }
    } else {
        quote! {
            /// Inference of one sample (eval mode), allocating nothing.
            pub fn forward(&self, x: &[T; #n_in_l], y: &mut [T; #n_out_l], s: &mut #scratch<T>) -> #rt::Result<()> {
                #( #body )*
                Ok(())
            }
        }
    };
    quote! {
        #[doc = #doc]
        #[derive(Clone, Debug)]
        pub struct #name<T: #rt::Float = f32> {
            #( #field_defs )*
            _t: ::core::marker::PhantomData<T>,
        }

        #[doc = #scratch_doc]
        #[derive(Clone, Debug)]
        pub struct #scratch<T: #rt::Float = f32> {
            /// One of the two buffers the layers alternate between.
            pub a: [T; #widest_l],
            /// The other buffer.
            pub b: [T; #widest_l],
            #work_field
            #ys_field
            #( #state_fields )*
        }

        impl<T: #rt::Float> #scratch<T> {
            /// Exact size in bytes.
            pub const BYTES: usize = ::core::mem::size_of::<Self>();
            /// Zeroed buffers and states.
            pub const ZERO: Self = #scratch { a: [T::ZERO; #widest_l], b: [T::ZERO; #widest_l], #work_zero #ys_zero #( #state_zero )* };
            /// Clears every recurrent state (a new sequence starts).
            pub fn reset(&mut self) {
                *self = Self::ZERO;
            }
        }

        impl<T: #rt::Float> #name<T> {
            /// Trainable scalars.
            pub const PARAMS: usize = #params_l;
            #[doc = #macs_doc]
            pub const MACS: u64 = #macs_l;
            /// Bytes of the tensors in `T` (parameters and batch-norm statistics): what
            /// `budget: { flash: .. }` limits.
            pub const MODEL_BYTES: usize = #values_l * ::core::mem::size_of::<T>();
            /// Bytes of the scratch in `T` (the size of the scratch type): what
            /// `budget: { ram: .. }` limits.
            pub const SCRATCH_BYTES: usize = #scratch_l * ::core::mem::size_of::<T>();
            /// Exact size in bytes: the tensors plus each layer's scalar settings.
            pub const BYTES: usize = ::core::mem::size_of::<Self>();
            /// Every tensor's PyTorch name and shape (the same as the network's `TENSORS`).
            pub const TENSORS: &'static [(&'static str, &'static [usize])] = &[#(#names),*];

            /// Zero weights with the declared settings.
            pub fn zeroed() -> Self #zeroed_t

            /// Copies the tensor `name` (PyTorch name and layout, flattened) into `v`.
            pub fn get_tensor(&self, name: &str, v: &mut [T]) -> #rt::Result<()> {
                match name {
                    #(#refs)*
                    // `?` rather than `return`: with no tensors the `Ok` after stays reachable.
                    _ => Err(#rt::KilnError::UnknownTensor)?,
                }
                Ok(())
            }

            /// Sets the tensor `name` from `v` (PyTorch name and layout, flattened): loads
            /// weights at run time without an allocator.
            pub fn set_tensor(&mut self, name: &str, v: &[T]) -> #rt::Result<()> {
                match name {
                    #(#muts)*
                    // `?` rather than `return`: with no tensors the `Ok` after stays reachable.
                    _ => Err(#rt::KilnError::UnknownTensor)?,
                }
                Ok(())
            }

            #run
        }

        impl #name<f32> {
            /// Zero weights with the declared settings (fill with `visit_params_mut`).
            pub const ZEROED: Self = #zeroed_f32;
        }
        impl #name<f64> {
            /// Zero weights with the declared settings (fill with `visit_params_mut`).
            pub const ZEROED: Self = #zeroed_f64;
        }
        #weights

        ::kiln::__std! {
            impl<T: #rt::Float> #net_name<T> {
                /// The embedded form with this network's weights and batch-norm statistics
                /// (boxed: the embedded form keeps every tensor inline).
                pub fn to_embedded(&self) -> ::kiln::__std_lib::boxed::Box<#name<T>> {
                    let mut e = ::kiln::__std_lib::boxed::Box::new(#name::<T>::zeroed());
                    let mut copy = |n: &str, v: &[T]| {
                        if let Err(err) = e.set_tensor(n, v) {
                            unreachable!("kiln bug: `{n}` has no embedded twin: {err}");
                        }
                    };
                    #rt::network::Network::visit_params(self, &mut |n, _, v| copy(n, v));
                    #rt::network::Network::visit_buffers(self, &mut |n, v| {
                        // Batch norm's step counter has no use in inference.
                        if !#rt::network::is_counter(n) {
                            copy(n, v)
                        }
                    });
                    e
                }
            }
        }
    }
}

/// The error for a layer the embedded form cannot take (inside a composite, too).
fn refuse(net: &Resolved, n: &Node, cx: &mut Ctxt) {
    let name = &net.name;
    if let Some(why) = n.kind.embedded_refusal() {
        cx.error_spanned_by(n.loc, format!("{why}, so `{name}` cannot be `embedded`"));
        return;
    }
    let whole = n.kind.embedded(&n.input, &n.output);
    if whole.is_some_and(|e| matches!(e.op, Op::Whole { .. })) {
        cx.error_spanned_by(n.loc, format!("a bidirectional layer inside a composite has no embedded form yet (it needs the whole sequence, and the composite's branches run step by step), so `{name}` cannot be `embedded`: declare it at the top level"));
        return;
    }
    let what = n
        .uses
        .last()
        .map(|u| format!(" (in `{}`, a use of block `{}`)", u.call, u.block))
        .unwrap_or_default();
    cx.error_spanned_by(
        n.loc,
        format!(
            "this layer{what} has no embedded form yet, so `{name}` cannot be `embedded`: the embedded form takes {}",
            crate::registry::embedded_list()
        ),
    );
}

/// The error for a network whose layer needs the whole sequence without a declared length.
fn whole_needs_a_length(net: &Resolved, layers: &[crate::embedded_layout::Leaf], cx: &mut Ctxt) {
    let at = layers
        .iter()
        .find(|l| matches!(l.embedded.op, Op::Whole { .. }));
    if let Some(l) = at {
        cx.error_spanned_by(
            l.node.loc,
            format!(
                "a bidirectional layer needs the whole sequence, so `{}`'s embedded form runs over a fixed-length one: declare the length, `input: [seq(N), {}]`",
                net.name,
                net.per_step_input()
            ),
        );
    }
}

/// `x` in the float type: a literal for `f32`/`f64`, `T::from_f64(x)` for the generic `T`.
fn float_lit(float: &TokenStream, x: f64) -> TokenStream {
    if float.to_string() == "T" {
        let l = proc_macro2::Literal::f64_suffixed(x);
        quote!(T::from_f64(#l))
    } else if float.to_string() == "f32" {
        let l = proc_macro2::Literal::f32_suffixed(x as f32);
        quote!(#l)
    } else {
        let l = proc_macro2::Literal::f64_suffixed(x);
        quote!(#l)
    }
}

/// The field holding tensor `name` of the layer at `prefix` (a path into a stacked layer's
/// levels: `rest[0].weight_ih_t` for `weight_ih_l1`; into a bidirectional layer's
/// directions: `bwd.weight_ih_t`), and whether it is stored transposed.
fn field_of(e: &EmbeddedLayer, prefix: &str, name: &str) -> (TokenStream, bool) {
    let suffix = name.rsplit('.').next().unwrap_or(name);
    // A bidirectional layer's backward direction: `*_reverse` (two cells alike, PyTorch's
    // names) or `{prefix}.1.*` (two different cells).
    let rest = name
        .strip_prefix(prefix)
        .and_then(|r| r.strip_prefix('.'))
        .unwrap_or(name);
    let backward = rest.starts_with("1.") || suffix.ends_with("_reverse");
    let suffix = suffix.trim_end_matches("_reverse");
    let direction = match (e.bidirectional, backward) {
        (false, _) => quote!(),
        (true, true) => quote!(bwd.),
        (true, false) => quote!(fwd.),
    };
    let (base, level) = match suffix.rsplit_once("_l") {
        Some((b, l)) if e.levels > 1 => (b, l.parse::<usize>().unwrap_or(0)),
        _ => (suffix.trim_end_matches("_l0"), 0),
    };
    // Listed by level 0's name (`weight_ih_l0`) or, for other layers, by their own.
    let level0 = format!("{base}_l0");
    let transposed = e.transposed.contains(&suffix) || e.transposed.contains(&level0.as_str());
    let field = if transposed {
        format_ident!("{}_t", base)
    } else {
        format_ident!("{}", base)
    };
    let path = match (e.levels > 1, level) {
        (false, _) => quote!(#direction #field),
        (true, 0) => quote!(first.#field),
        (true, k) => {
            let k = lit(k - 1);
            quote!(rest[#k].#field)
        }
    };
    (path, transposed)
}

/// Where a layer's settings go: the layer, or each level of a stacked one.
fn config_paths(e: &EmbeddedLayer) -> Vec<TokenStream> {
    if e.levels == 1 {
        return vec![quote!()];
    }
    let rest = (0..e.levels - 1).map(|k| {
        let k = lit(k);
        quote!(.rest[#k])
    });
    std::iter::once(quote!(.first)).chain(rest).collect()
}

fn nested_transposed(float: &TokenStream, t: &TensorDecl, values: &[f64]) -> TokenStream {
    let (r, c) = (t.shape[0], t.shape[1]);
    let tv: Vec<f64> = (0..c * r).map(|k| values[(k % r) * c + k / r]).collect();
    let tt = TensorDecl {
        name: t.name.clone(),
        shape: vec![c, r],
        buffer: t.buffer,
        from_type: None,
    };
    nested(float, &tt, &tv)
}

/// A tensor's values as nested array literals of its shape.
fn nested(float: &TokenStream, t: &TensorDecl, values: &[f64]) -> TokenStream {
    crate::tokens::nested_array(&t.shape, values, &|x| float_lit(float, x))
}
