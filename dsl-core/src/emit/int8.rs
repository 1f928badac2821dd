//! The int8 embedded form (`precision: int8`): `{Name}Embedded`, the int8 layers baked from
//! the file `kiln::quantize` wrote (requantisation multipliers worked out at compile time by
//! `QuantizedMultiplier::from_scales`), a batch-1 `forward` from int8 to int8 over the two
//! i8 buffers of `{Name}EmbeddedScratch`, and the input's and output's quantisation for the
//! edges. No heap, no std, no floating point in `forward`.

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote, ToTokens};

use crate::diag::Ctxt;
use crate::embedded_op::Baked;
use crate::int8::{kernels, lstm_level_name, Act8, Int8Kernel, Role8};
use crate::tokens::{lit, nested_array, rt};
use crate::tree::{Node, Resolved};

/// A scale and zero point read from the file.
#[derive(Clone, Copy)]
struct Q {
    scale: f32,
    zero: i32,
}

/// A buffer of the forward pass.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Buf {
    X,
    A,
    B,
    Y,
}

/// `{Name}Embedded` in int8, or errors naming the layers without an int8 form.
pub fn emit(net: &Resolved, cx: &mut Ctxt) -> TokenStream {
    let name = &net.name;
    let kernels: Vec<(&Node, Int8Kernel)> = net.layers.iter().zip(kernels(net)).collect();
    for (n, k) in &kernels {
        if let Role8::Unsupported(why) = &k.role {
            cx.error_spanned_by(
                n.loc,
                format!(
                    "`{}` has no int8 form, so `{name}` cannot be `precision: int8`: {why}",
                    n.prefix()
                ),
            );
        }
    }
    let Some(file) = &net.weights else {
        return quote!();
    };
    if cx.has_errors() {
        return quote!();
    }
    let expected = crate::int8::file_tensors(net);
    let Some(baked) = crate::weights::bake_tensors(&expected, &[], file, cx) else {
        return quote!();
    };
    if !in_range(&baked, file, cx) {
        return quote!();
    }
    Emitter::new(&baked).network(net, &kernels)
}

/// Scales positive and zero points in -128..=127, or one error per tensor that is not.
fn in_range(baked: &Baked, file: &syn::LitStr, cx: &mut Ctxt) -> bool {
    let mut names: Vec<&String> = baked.values.keys().collect();
    names.sort();
    let mut ok = true;
    for name in names {
        let v = &baked.values[name];
        let bad = if name.ends_with("cell_scale") {
            v.iter()
                .any(|&s| {
                    !(s > 0.0 && s.log2().fract() == 0.0 && (-30.0..=0.0).contains(&s.log2()))
                })
                .then_some("an LSTM's cell scale must be a power of two from 2^-30 to 1")
        } else if name.ends_with("scale") {
            v.iter()
                .any(|&s| s <= 0.0)
                .then_some("scales must be positive")
        } else if name.ends_with("zero_point") {
            v.iter()
                .any(|&z| !(-128.0..=127.0).contains(&z))
                .then_some("zero points must lie in -128..=127")
        } else {
            None
        };
        if let Some(why) = bad {
            cx.error_spanned_by(file, format!("`{name}` in `{}`: {why}", file.value()));
            ok = false;
        }
    }
    ok
}

struct Emitter<'a> {
    baked: &'a Baked,
    fields: Vec<TokenStream>,
    inits: Vec<TokenStream>,
    /// Recurrent states in the scratch: field, type and zero value.
    states: Vec<(proc_macro2::Ident, TokenStream, TokenStream)>,
    body: Vec<TokenStream>,
    cur: Buf,
    /// Values in `cur`.
    len: usize,
    /// The quantisation of the values in `cur`.
    q: Q,
}

impl<'a> Emitter<'a> {
    fn new(baked: &'a Baked) -> Self {
        let mut e = Emitter {
            baked,
            fields: Vec::new(),
            inits: Vec::new(),
            states: Vec::new(),
            body: Vec::new(),
            cur: Buf::X,
            len: 0,
            q: Q {
                scale: 1.0,
                zero: 0,
            },
        };
        e.q = e.qparams("quant", "");
        e
    }

    fn values(&self, name: &str) -> &[f64] {
        &self.baked.values[name]
    }

    fn qparams(&self, p: &str, what: &str) -> Q {
        Q {
            scale: self.values(&format!("{p}.{what}scale"))[0] as f32,
            zero: self.values(&format!("{p}.{what}zero_point"))[0] as i32,
        }
    }

    /// The forward pass as straight calls, then the items.
    fn network(mut self, net: &Resolved, kernels: &[(&Node, Int8Kernel)]) -> TokenStream {
        let input_q = self.q;
        self.len = net.per_step_input();
        for (i, (n, k)) in kernels.iter().enumerate() {
            let last = i + 1 == kernels.len();
            self.layer(n, k, last);
        }
        if self.cur != Buf::Y {
            let src = self.src();
            self.body.push(quote!(y.copy_from_slice(#src);));
        }
        self.items(net, input_q)
    }

    /// The current values as a slice to read.
    fn src(&self) -> TokenStream {
        slice(self.cur, false, Some(self.len))
    }

    fn layer(&mut self, n: &Node, k: &Int8Kernel, last: bool) {
        let p = n.prefix();
        let len = n.output.numel();
        let dst = if last { Buf::Y } else { other(self.cur) };
        self.step(n, k, last, &p, len, dst);
        self.len = len;
    }

    fn step(&mut self, n: &Node, k: &Int8Kernel, last: bool, p: &str, len: usize, dst: Buf) {
        match &k.role {
            Role8::Product(act) => {
                let f = format_ident!("layer{}", n.index);
                self.product(&f, p, k, act);
                if let Some(call) = &k.call {
                    let (x, y) = (self.src(), slice(dst, true, Some(len)));
                    self.body.push(call(&quote!(self.#f), &x, &y));
                }
                self.cur = dst;
                if act.is_table() {
                    self.table(n, p, len);
                }
            }
            Role8::Activation(Act8::Relu) => {
                let rt = rt();
                let z = lit_i32(self.q.zero);
                let at = self.in_place(last, len);
                self.body.push(quote!(#rt::fixed::relu_int8(#z, #at);));
            }
            Role8::Activation(_) => {
                self.in_place(last, len);
                self.table(n, p, len);
            }
            Role8::Keep => match &k.call {
                Some(call) => {
                    let (x, y) = (self.src(), slice(dst, true, Some(len)));
                    self.body.push(call(&quote!(()), &x, &y));
                    self.cur = dst;
                }
                None if last => {
                    self.in_place(last, len);
                }
                None => {}
            },
            Role8::Lstm { levels, .. } => {
                // Level 0 reads the input, every other level the hidden state below it.
                let mut below = self.src();
                for level in 0..*levels {
                    let sfx = if level == 0 {
                        String::new()
                    } else {
                        format!("_l{level}")
                    };
                    let f = format_ident!("layer{}{sfx}", n.index);
                    let st = format_ident!("state{}{sfx}", n.index);
                    self.lstm(&f, &st, p, k, level);
                    self.body.push(quote!(self.#f.step(#below, &mut s.#st);));
                    below = quote!(&s.#st.h);
                }
                let y = slice(dst, true, Some(len));
                self.body.push(quote!((#y).copy_from_slice(#below);));
                self.cur = dst;
            }
            // The normalisation is in the product's weights already.
            Role8::Folded(_) | Role8::Unsupported(_) => {}
        }
    }

    /// Moves the current values where they may be changed in place (out of `x`, into `y`
    /// for the last layer) and returns that buffer's slice.
    fn in_place(&mut self, last: bool, len: usize) -> TokenStream {
        let target = match (last, self.cur) {
            (true, _) => Buf::Y,
            (false, Buf::X) => Buf::A,
            (false, c) => c,
        };
        if target != self.cur {
            let (x, y) = (self.src(), slice(target, true, Some(len)));
            self.body.push(quote!((#y).copy_from_slice(#x);));
            self.cur = target;
        }
        slice(self.cur, true, Some(len))
    }

    /// The table of layer `n`, applied to the current buffer.
    fn table(&mut self, n: &Node, p: &str, len: usize) {
        let f = format_ident!("table{}", n.index);
        let t: Vec<Literal> = self
            .values(&format!("{p}.table"))
            .iter()
            .map(|&v| Literal::i64_unsuffixed(v as i64))
            .collect();
        self.fields.push(quote!(pub #f: [i8; 256]));
        self.inits.push(quote!(#f: [#(#t),*]));
        let rt = rt();
        let at = slice(self.cur, true, Some(len));
        self.body
            .push(quote!(#rt::fixed::apply_table(&self.#f, #at);));
        self.q = self.qparams(p, "");
    }

    /// A dense or convolution layer's field and baked value; `self.q` becomes its output's.
    fn product(&mut self, f: &proc_macro2::Ident, p: &str, k: &Int8Kernel, act: &Act8) {
        let rt = rt();
        let input = self.q;
        let out = if act.is_table() {
            self.qparams(p, "pre_")
        } else {
            self.qparams(p, "")
        };
        let scales = self.values(&format!("{p}.weight_scale"));
        let multipliers: Vec<TokenStream> = scales
            .iter()
            .map(|&ws| {
                let (i, w, o) = (
                    Literal::f32_suffixed(input.scale),
                    Literal::f32_suffixed(ws as f32),
                    Literal::f32_suffixed(out.scale),
                );
                quote!(#rt::quant::QuantizedMultiplier::from_scales(#i, #w, #o))
            })
            .collect();
        let bias: Vec<Literal> = self
            .values(&format!("{p}.bias"))
            .iter()
            .map(|&b| lit_i32(b as i32))
            .collect();
        let int = |v: f64| Literal::i64_unsuffixed(v as i64).into_token_stream();
        let weight = nested_array(&k.weight_shape, self.values(&format!("{p}.weight")), &int);
        let (zi, zo) = (lit_i32(input.zero), lit_i32(out.zero));
        let min = lit_i32(if matches!(act, Act8::Relu) {
            out.zero
        } else {
            -128
        });
        let ty = k.ty.clone().unwrap_or_default();
        self.baked(
            f,
            &ty,
            quote! {
                L {
                    weight: #weight,
                    out: #rt::fixed::Requant {
                        bias: [#(#bias),*],
                        multiplier: [#(#multipliers),*],
                        input_zero: #zi,
                        output_zero: #zo,
                        min: #min,
                        max: 127,
                    },
                }
            },
        );
        self.q = out;
    }
}

impl Emitter<'_> {
    /// Field `f` of the layer's runtime type and its baked `value`, a struct literal of `L`
    /// (a struct literal needs a path, not a generic type: `L` names it first).
    fn baked(&mut self, f: &proc_macro2::Ident, ty: &TokenStream, value: TokenStream) {
        self.fields.push(quote!(pub #f: #ty));
        self.inits.push(quote! {
            #f: {
                type L = #ty;
                #value
            }
        });
    }

    /// An LSTM level's field, baked value and state; `self.q` (its input's quantisation)
    /// becomes its hidden state's.
    fn lstm(
        &mut self,
        f: &proc_macro2::Ident,
        st: &proc_macro2::Ident,
        p: &str,
        k: &Int8Kernel,
        level: usize,
    ) {
        let rt = rt();
        let Role8::Lstm {
            input,
            hidden,
            levels,
        } = k.role
        else {
            return;
        };
        let input = if level == 0 { input } else { hidden };
        let name = |base: &str| format!("{p}.{}", lstm_level_name(base, level));
        let x = self.q;
        let h = if level + 1 == levels {
            self.qparams(p, "")
        } else {
            Q {
                scale: self.values(&name("hidden_scale"))[0] as f32,
                zero: self.values(&name("hidden_zero_point"))[0] as i32,
            }
        };
        let cell = self.values(&name("cell_scale"))[0];
        let cell_bits = lit_i32(-(cell.log2().round() as i32));
        let gate = Literal::f32_suffixed(1.0 / 4096.0);
        let rows = |this: &Self, which: &str, from: Q| -> Vec<TokenStream> {
            let (i, o) = (Literal::f32_suffixed(from.scale), gate.clone());
            this.values(&name(&format!("weight_{which}_scale")))
                .iter()
                .map(|&ws| {
                    let w = Literal::f32_suffixed(ws as f32);
                    quote!(#rt::quant::QuantizedMultiplier::from_scales(#i, #w, #o))
                })
                .collect()
        };
        let (mx, mh) = (rows(self, "ih", x), rows(self, "hh", h));
        let int = |v: f64| Literal::i64_unsuffixed(v as i64).into_token_stream();
        let g = 4 * hidden;
        // Stored transposed (`[K][G]`), for the kernel's column-by-column products.
        let transposed = |which: &str, k: usize| {
            let w = self.values(&format!("{p}.weight_{which}_l{level}"));
            let t: Vec<f64> = (0..k * g).map(|i| w[(i % g) * k + i / g]).collect();
            nested_array(&[k, g], &t, &int)
        };
        let (wi, wh) = (transposed("ih", input), transposed("hh", hidden));
        let bias: Vec<Literal> = self
            .values(&name("bias"))
            .iter()
            .map(|&b| lit_i32(b as i32))
            .collect();
        let out = Literal::f64_suffixed(1.0 / (1u64 << 30) as f64 / h.scale as f64);
        let (zx, zh) = (lit_i32(x.zero), lit_i32(h.zero));
        let (il, hl, gl) = (lit(input), lit(hidden), lit(g));
        let ty = quote!(#rt::fixed::LstmInt8<#il, #hl, #gl>);
        self.baked(
            f,
            &ty,
            quote! {
                L {
                    weight_ih_t: #wi,
                    weight_hh_t: #wh,
                    bias: [#(#bias),*],
                    input_multiplier: [#(#mx),*],
                    hidden_multiplier: [#(#mh),*],
                    output_multiplier: #rt::quant::QuantizedMultiplier::from_real(#out),
                    input_zero: #zx,
                    hidden_zero: #zh,
                    cell_bits: #cell_bits,
                }
            },
        );
        self.states.push((
            st.clone(),
            quote!(#rt::fixed::LstmInt8State<#hl>),
            quote!(#rt::fixed::LstmInt8State::zero(#zh)),
        ));
        self.q = h;
    }

    /// The struct, its scratch, the baked value, the consts and `forward`.
    fn items(&self, net: &Resolved, input_q: Q) -> TokenStream {
        let rt = rt();
        let name = format_ident!("{}Embedded", net.name);
        let scratch = format_ident!("{}EmbeddedScratch", net.name);
        let net_name = &net.name;
        let cost = crate::cost::Cost::of(net);
        let (n_in, n_out) = (lit(net.per_step_input()), lit(net.output.numel()));
        let widest = lit(cost.widest);
        let params = lit(cost.values);
        let macs = Literal::u64_unsuffixed(cost.macs);
        let (fields, inits, body) = (&self.fields, &self.inits, &self.body);
        let qp = |q: Q| {
            let (s, z) = (Literal::f32_suffixed(q.scale), lit_i32(q.zero));
            quote!(#rt::quant::QuantParams { scale: #s, zero_point: #z })
        };
        let (in_q, out_q) = (qp(input_q), qp(self.q));
        let doc = format!("`{net_name}` in int8 (`precision: int8`), baked from `{}` at compile time: int8 in and out, batch 1, no heap, no floating point in `forward`.", net.weights.as_ref().map(|w| w.value()).unwrap_or_default());
        let sdoc = if net.seq {
            format!("The two int8 buffers `{name}::step` alternates between and each LSTM's state (on the stack or in a static).")
        } else {
            format!("The two int8 buffers `{name}::forward` alternates between (on the stack or in a static).")
        };
        let state_fields = self.states.iter().map(|s| &s.0);
        let state_tys = self.states.iter().map(|s| &s.1);
        let state_init = self.states.iter().map(|s| &s.0);
        let state_zero = self.states.iter().map(|s| &s.2);
        // A sequence network streams one step per call; the others run one sample.
        let (run, run_real, run_doc) = if net.seq {
            (format_ident!("step"), format_ident!("step_real"), "One time step of one sample, int8 in and int8 out; each LSTM's state is kept in `s` between calls (`s.reset()` starts a new sequence).")
        } else {
            (
                format_ident!("forward"),
                format_ident!("forward_real"),
                "One sample, int8 in and int8 out.",
            )
        };
        let real_doc = format!("Real values in and out: quantise, [`Self::{run}`], dequantise.");
        let run = quote! {
            #[doc = #run_doc]
            pub fn #run(&self, x: &[i8; #n_in], y: &mut [i8; #n_out], s: &mut #scratch) {
                #( #body )*
            }

            #[doc = #real_doc]
            pub fn #run_real(&self, x: &[f32; #n_in], s: &mut #scratch) -> [f32; #n_out] {
                let mut y = [0; #n_out];
                self.#run(&Self::quantize_input(x), &mut y, s);
                Self::dequantize_output(&y)
            }
        };
        // Every LSTM reads the runtime's two gate tables.
        let (shared, model_doc) = if self.states.is_empty() {
            (
                quote!(),
                "Bytes of the baked model (int8 weights, int32 biases, multipliers, tables).",
            )
        } else {
            (quote!(+ #rt::fixed::GATE_TABLE_BYTES), "Bytes of the baked model (int8 weights, int32 biases, multipliers, tables), with the 4 KiB of gate tables its LSTMs share.")
        };
        let reset = (!self.states.is_empty()).then(|| {
            quote! {
                /// Every LSTM back to the state a sequence starts from.
                pub fn reset(&mut self) {
                    *self = Self::ZERO;
                }
            }
        });
        quote! {
            #[doc = #doc]
            #[derive(Clone, Debug)]
            pub struct #name {
                #( #[doc = "A layer's int8 form."] #fields, )*
            }

            #[doc = #sdoc]
            #[derive(Clone, Debug)]
            pub struct #scratch {
                /// One of the two buffers the layers alternate between.
                pub a: [i8; #widest],
                /// The other.
                pub b: [i8; #widest],
                #( #[doc = "An LSTM's state."] pub #state_fields: #state_tys, )*
            }

            impl #scratch {
                /// Zeroed buffers, and each LSTM's state as a sequence starts.
                pub const ZERO: Self = #scratch { a: [0; #widest], b: [0; #widest], #( #state_init: #state_zero, )* };
                /// Bytes of the scratch.
                pub const BYTES: usize = ::core::mem::size_of::<Self>();
                #reset
            }

            impl #name {
                /// The model as the weights file holds it, requantisation worked out at compile time.
                pub const WEIGHTS: Self = #name { #( #inits, )* };
                /// Values per input sample.
                pub const INPUT: usize = #n_in;
                /// Values per output sample.
                pub const OUTPUT: usize = #n_out;
                /// The input's scale and zero point: `real = scale * (q - zero_point)`.
                pub const INPUT_QUANT: #rt::quant::QuantParams = #in_q;
                /// The output's scale and zero point.
                pub const OUTPUT_QUANT: #rt::quant::QuantParams = #out_q;
                /// Parameters of the float network (weights and biases).
                pub const PARAMS: usize = #params;
                /// Multiply-accumulates per sample.
                pub const MACS: u64 = #macs;
                #[doc = #model_doc]
                pub const MODEL_BYTES: usize = ::core::mem::size_of::<Self>() #shared;
                /// Bytes of the scratch.
                pub const SCRATCH_BYTES: usize = ::core::mem::size_of::<#scratch>();

                #run

                /// `x` quantised with the input's scale and zero point.
                pub fn quantize_input(x: &[f32; #n_in]) -> [i8; #n_in] {
                    let mut q = [0; #n_in];
                    for (q, &v) in q.iter_mut().zip(x) {
                        *q = Self::INPUT_QUANT.quantize(v);
                    }
                    q
                }

                /// `y` in real values.
                pub fn dequantize_output(y: &[i8; #n_out]) -> [f32; #n_out] {
                    let mut r = [0.0; #n_out];
                    for (r, &q) in r.iter_mut().zip(y) {
                        *r = Self::OUTPUT_QUANT.dequantize(q);
                    }
                    r
                }
            }
        }
    }
}

/// The buffer after `b` in the alternation.
fn other(b: Buf) -> Buf {
    match b {
        Buf::A => Buf::B,
        _ => Buf::A,
    }
}

/// A buffer as a slice expression, `len` values of a scratch buffer.
fn slice(b: Buf, write: bool, len: Option<usize>) -> TokenStream {
    let range = match len {
        Some(n) => {
            let n = lit(n);
            quote!(..#n)
        }
        None => quote!(..),
    };
    match (b, write) {
        (Buf::X, _) => quote!(&x[..]),
        (Buf::Y, _) => quote!(&mut y[..]),
        (Buf::A, false) => quote!(&s.a[#range]),
        (Buf::A, true) => quote!(&mut s.a[#range]),
        (Buf::B, false) => quote!(&s.b[#range]),
        (Buf::B, true) => quote!(&mut s.b[#range]),
    }
}

fn lit_i32(v: i32) -> Literal {
    Literal::i32_unsuffixed(v)
}

#[cfg(test)]
mod tests {
    use quote::quote;
    use safetensors::tensor::TensorView;
    use safetensors::SafeTensors;

    use crate::tests::errors_of;

    /// The LSTM filter's int8 file with `layers.0.cell_scale` set to `cell`, written to a
    /// temporary file; its path.
    fn filter_with_cell_scale(cell: f32, tag: &str) -> std::path::PathBuf {
        let dir = env!("CARGO_MANIFEST_DIR");
        let bytes = std::fs::read(format!(
            "{dir}/../examples/lstm-stream/filter.int8.safetensors"
        ))
        .unwrap();
        let st = SafeTensors::deserialize(&bytes).unwrap();
        let scale = cell.to_le_bytes();
        let mut views = Vec::new();
        for (name, v) in st.tensors() {
            let data: &[u8] = if name == "layers.0.cell_scale" {
                &scale
            } else {
                v.data()
            };
            views.push((
                name,
                TensorView::new(v.dtype(), v.shape().to_vec(), data).unwrap(),
            ));
        }
        let out = safetensors::serialize(views, None).unwrap();
        let path = std::env::temp_dir().join(format!(
            "kiln-dsl-cell-{}-{tag}.safetensors",
            std::process::id()
        ));
        std::fs::write(&path, out).unwrap();
        path
    }

    fn errors_with(cell: f32, tag: &str) -> Vec<String> {
        let path = filter_with_cell_scale(cell, tag);
        let file = path.to_string_lossy().to_string();
        let out = crate::expand(quote! {
            struct F { input: [seq, 1], layers: [lstm(32), dense(1)], loss: none, weights: #file, precision: int8 }
        });
        std::fs::remove_file(&path).ok();
        errors_of(&out)
    }

    #[test]
    fn an_lstm_cell_scale_must_be_a_power_of_two() {
        assert!(errors_with(1.0 / 2048.0, "good").is_empty());
        for (cell, tag) in [(0.0003, "odd"), (4.0, "big"), (0.0, "zero")] {
            let errors = errors_with(cell, tag);
            assert_eq!(errors.len(), 1, "{cell}: {errors:#?}");
            assert!(
                errors[0].contains("`layers.0.cell_scale`") && errors[0].contains("power of two"),
                "{}",
                errors[0]
            );
        }
    }
}
