//! The int8 form of a declaration (`precision: int8`) as the macro sees it: what each
//! top-level layer becomes (its role, listed for `kiln::quantize` as `Network::INT8_LAYERS`),
//! the tensors a quantised file holds for it, and the bytes its baked form takes.
//!
//! File layout (names as PyTorch's quantised modules use them): `quant.scale` and
//! `quant.zero_point` for the network input; per product layer `weight` (i8, per output
//! channel symmetric), `bias` (i32), `weight_scale` (f32 per channel), and the output's
//! `scale`/`zero_point`; a table activation (any but ReLU) adds `table` (i8 [256]) and, when
//! fused into a product, the product's own `pre_scale`/`pre_zero_point`; an LSTM has
//! `weight_ih_l0`/`weight_hh_l0` (i8), `bias` (i32, both float biases summed),
//! `weight_ih_scale`/`weight_hh_scale`, `cell_scale` (a power of two) and its hidden state's
//! `scale`/`zero_point`.

use proc_macro2::TokenStream;
use quote::quote;

use crate::activation::ActSpec;
use crate::embedded_op::MapCall;
use crate::tokens::rt;
use crate::tree::{Node, Resolved};
use crate::weights::{Expected, FileDtype};

/// Bytes of the int8 LSTM's two shared gate tables (the runtime's
/// `fixed::GATE_TABLE_BYTES`), counted once in a network's int8 model bytes.
pub const LSTM_TABLE_BYTES: usize = 4096;

/// An element-wise function in int8.
#[derive(Clone, Debug)]
pub enum Act8 {
    Identity,
    /// A clamp at the zero point: the scale is kept.
    Relu,
    Tanh,
    Sigmoid,
    /// Any other activation, as a table built with its f32 function (the runtime
    /// `Activation` tokens).
    Table(TokenStream),
}

impl Act8 {
    /// Whether it runs as a 256-entry table.
    pub fn is_table(&self) -> bool {
        matches!(self, Act8::Tanh | Act8::Sigmoid | Act8::Table(_))
    }

    fn tokens(&self) -> TokenStream {
        let rt = rt();
        let v = match self {
            Act8::Identity => quote!(Identity),
            Act8::Relu => quote!(Relu),
            Act8::Tanh => quote!(Tanh),
            Act8::Sigmoid => quote!(Sigmoid),
            Act8::Table(a) => quote!(Table(#a)),
        };
        quote!(#rt::quant::Int8Act::#v)
    }
}

/// What a top-level layer becomes in int8.
pub enum Role8 {
    /// Dense or convolution, with its fused activation.
    Product(Act8),
    /// A stand-alone activation.
    Activation(Act8),
    /// Values moved or pooled in their own scale.
    Keep,
    /// A batch norm folded into the product before it (its epsilon).
    Folded(f64),
    /// An LSTM of `input` features to `hidden` (`fixed::LstmInt8`), `levels` stacked, each
    /// level's state in the scratch.
    Lstm {
        input: usize,
        hidden: usize,
        levels: usize,
    },
    /// No int8 form, and why.
    Unsupported(String),
}

/// A layer's int8 kernel, from its registry entry.
pub struct Int8Kernel {
    pub role: Role8,
    /// A product's runtime type (`fixed::DenseInt8<I, O>`).
    pub ty: Option<TokenStream>,
    /// A product's weight shape as its type nests it.
    pub weight_shape: Vec<usize>,
    /// `call(layer, x, y)` of a product or a pooling; `None` when values pass unchanged.
    pub call: Option<MapCall>,
}

impl Int8Kernel {
    pub fn unsupported(why: impl Into<String>) -> Self {
        Int8Kernel {
            role: Role8::Unsupported(why.into()),
            ty: None,
            weight_shape: Vec::new(),
            call: None,
        }
    }

    /// A layer that keeps the scale: pooling (`call`) or a reshape (`None`).
    pub fn keep(call: Option<MapCall>) -> Self {
        Int8Kernel {
            role: Role8::Keep,
            ty: None,
            weight_shape: Vec::new(),
            call,
        }
    }

    /// A batch norm, folded into the dense layer or convolution before it.
    pub fn folded(eps: f64) -> Self {
        Int8Kernel {
            role: Role8::Folded(eps),
            ty: None,
            weight_shape: Vec::new(),
            call: None,
        }
    }

    /// An LSTM from `input` to `hidden` features per step, `levels` stacked (the emitter
    /// writes each level's `fixed::LstmInt8`).
    pub fn lstm(input: usize, hidden: usize, levels: usize) -> Self {
        Int8Kernel {
            role: Role8::Lstm {
                input,
                hidden,
                levels,
            },
            ty: None,
            weight_shape: Vec::new(),
            call: None,
        }
    }

    /// A stand-alone activation.
    pub fn activation(act: &ActSpec) -> Self {
        match act.int8() {
            Act8::Identity => Self::keep(None),
            a => Int8Kernel {
                role: Role8::Activation(a),
                ty: None,
                weight_shape: Vec::new(),
                call: None,
            },
        }
    }

    /// A product layer of type `ty` with its fused activation.
    pub fn product(
        ty: TokenStream,
        weight_shape: Vec<usize>,
        act: Option<&ActSpec>,
        call: MapCall,
    ) -> Self {
        Int8Kernel {
            role: Role8::Product(act.map_or(Act8::Identity, ActSpec::int8)),
            ty: Some(ty),
            weight_shape,
            call: Some(call),
        }
    }

    /// `Int8Role::...` for `Network::INT8_LAYERS`.
    pub fn role_tokens(&self) -> TokenStream {
        let rt = rt();
        let r = quote!(#rt::quant::Int8Role);
        match &self.role {
            Role8::Product(a) => {
                let a = a.tokens();
                quote!(#r::Product(#a))
            }
            Role8::Activation(a) => {
                let a = a.tokens();
                quote!(#r::Activation(#a))
            }
            Role8::Keep => quote!(#r::Keep),
            Role8::Folded(eps) => quote!(#r::Folded { eps: #eps }),
            Role8::Lstm { levels, .. } => quote!(#r::Lstm { levels: #levels }),
            Role8::Unsupported(why) => quote!(#r::Unsupported(#why)),
        }
    }

    /// Bytes of its baked form: a product's `DenseInt8`/`Conv2dInt8` (i8 weights, then per
    /// channel an i32 bias and an 8-byte multiplier, two zero points and the clamp, padded to
    /// 4 bytes), a table's 256, an LSTM's `LstmInt8` (i8 weights, per gate row an i32 bias
    /// and two multipliers, then the output multiplier and three i32).
    pub fn bytes(&self) -> usize {
        match &self.role {
            &Role8::Lstm {
                input,
                hidden,
                levels,
            } => {
                let g = 4 * hidden;
                let level = |i: usize| g * (i + hidden) + 20 * g + 20;
                level(input) + (levels - 1) * level(hidden)
            }
            Role8::Product(a) => {
                let co = self.weight_shape.first().copied().unwrap_or(0);
                let w: usize = self.weight_shape.iter().product();
                (w + 12 * co + 12).next_multiple_of(4) + table_bytes(a)
            }
            Role8::Activation(a) => table_bytes(a),
            _ => 0,
        }
    }
}

impl Int8Kernel {
    /// Bytes of its state in the scratch: an LSTM's i8 `h` and i16 `c`.
    pub fn state_bytes(&self) -> usize {
        match self.role {
            Role8::Lstm { hidden, levels, .. } => levels * (3 * hidden).next_multiple_of(2),
            _ => 0,
        }
    }
}

fn table_bytes(a: &Act8) -> usize {
    if a.is_table() {
        256
    } else {
        0
    }
}

/// A top-level layer's kernel, on its own.
fn kernel(n: &Node) -> Int8Kernel {
    n.kind.int8(&n.input, &n.output)
}

/// Every top-level layer's kernel in its place: a batch norm folds only into a dense layer
/// or convolution right before it with no activation of its own.
pub fn kernels(net: &Resolved) -> Vec<Int8Kernel> {
    let mut out: Vec<Int8Kernel> = net.layers.iter().map(kernel).collect();
    for i in 0..out.len() {
        let folds = i > 0 && matches!(out[i - 1].role, Role8::Product(Act8::Identity));
        if matches!(out[i].role, Role8::Folded(_)) && !folds {
            out[i] = Int8Kernel::unsupported("in int8 a batch norm folds into the dense layer or convolution right before it, which must have no activation of its own");
        }
    }
    out
}

/// Every tensor a quantised file holds for `net`, in layer order.
pub fn file_tensors(net: &Resolved) -> Vec<Expected> {
    let mut out = Vec::new();
    let scalar = |out: &mut Vec<Expected>, name: String, dtype| {
        out.push(Expected {
            name,
            shape: Vec::new(),
            dtype,
        })
    };
    let qparams = |out: &mut Vec<Expected>, p: &str, what: &str| {
        scalar(out, format!("{p}.{what}scale"), FileDtype::Float);
        scalar(out, format!("{p}.{what}zero_point"), FileDtype::I32);
    };
    qparams(&mut out, "quant", "");
    for (n, k) in net.layers.iter().zip(kernels(net)) {
        let p = n.prefix();
        let table = |out: &mut Vec<Expected>| {
            out.push(Expected {
                name: format!("{p}.table"),
                shape: vec![256],
                dtype: FileDtype::I8,
            })
        };
        match k.role {
            Role8::Product(a) => {
                let co = k.weight_shape.first().copied().unwrap_or(0);
                let w = Expected {
                    name: format!("{p}.weight"),
                    shape: weight_file_shape(n),
                    dtype: FileDtype::I8,
                };
                out.push(w);
                for (what, dtype) in [("bias", FileDtype::I32), ("weight_scale", FileDtype::Float)]
                {
                    out.push(Expected {
                        name: format!("{p}.{what}"),
                        shape: vec![co],
                        dtype,
                    });
                }
                if a.is_table() {
                    qparams(&mut out, &p, "pre_");
                    table(&mut out);
                }
                qparams(&mut out, &p, "");
            }
            Role8::Activation(a) if a.is_table() => {
                table(&mut out);
                qparams(&mut out, &p, "");
            }
            Role8::Lstm {
                input,
                hidden,
                levels,
            } => {
                for level in 0..levels {
                    let from = if level == 0 { input } else { hidden };
                    lstm_tensors(&mut out, &p, level, from, hidden);
                    let cell = lstm_level_name("cell_scale", level);
                    scalar(&mut out, format!("{p}.{cell}"), FileDtype::Float);
                    if level + 1 < levels {
                        let s = lstm_level_name("hidden_scale", level);
                        let z = lstm_level_name("hidden_zero_point", level);
                        scalar(&mut out, format!("{p}.{s}"), FileDtype::Float);
                        scalar(&mut out, format!("{p}.{z}"), FileDtype::I32);
                    }
                }
                qparams(&mut out, &p, "");
            }
            _ => {}
        }
    }
    out
}

/// The name of an int8 LSTM tensor of `level`: `base` for level 0, `{base}_l{level}` above
/// (as `kiln::quantize` writes them: the runtime's `quant::lstm_level_name`).
pub fn lstm_level_name(base: &str, level: usize) -> String {
    if level == 0 {
        base.to_string()
    } else {
        format!("{base}_l{level}")
    }
}

/// An LSTM level's int8 weights, summed bias and per-row weight scales.
fn lstm_tensors(out: &mut Vec<Expected>, p: &str, level: usize, input: usize, hidden: usize) {
    let g = 4 * hidden;
    let mut push = |name: String, shape: Vec<usize>, dtype| {
        out.push(Expected {
            name: format!("{p}.{name}"),
            shape,
            dtype,
        })
    };
    push(format!("weight_ih_l{level}"), vec![g, input], FileDtype::I8);
    push(
        format!("weight_hh_l{level}"),
        vec![g, hidden],
        FileDtype::I8,
    );
    push(lstm_level_name("bias", level), vec![g], FileDtype::I32);
    for which in ["ih", "hh"] {
        let name = lstm_level_name(&format!("weight_{which}_scale"), level);
        push(name, vec![g], FileDtype::Float);
    }
}

/// The product layer's weight as the f32 network names and shapes it (PyTorch's).
fn weight_file_shape(n: &Node) -> Vec<usize> {
    n.tensors()
        .into_iter()
        .find(|t| t.name.ends_with(".weight"))
        .map(|t| t.shape)
        .unwrap_or_default()
}
