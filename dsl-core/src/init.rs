//! `init = ...` options: which initialiser a layer's weights get, and the default that suits
//! the activation after the layer (Kaiming for ReLU-like, Xavier for tanh, Xavier with the
//! logistic gain 4 for sigmoid, Xavier gain 1 otherwise). The gain 4 undoes the logistic's
//! slope of 1/4 at 0, so a sigmoid layer starts with the variance a tanh layer would have
//! (Glorot & Bengio, 2010, "Understanding the difficulty of training deep feedforward neural
//! networks").

use proc_macro2::TokenStream;
use quote::quote;

use crate::activation::{ActSpec, InitFamily};
use crate::args::number;
use crate::diag::Ctxt;
use crate::parse::Value;
use crate::tokens::rt;

/// A parsed initialiser.
#[derive(Clone, Debug)]
pub enum InitSpec {
    Zeros,
    Constant(f64),
    Uniform(f64, f64),
    Normal(f64, f64),
    XavierUniform(f64),
    XavierNormal(f64),
    KaimingUniform(f64),
    KaimingNormal(f64),
    Orthogonal(f64),
}

const ACCEPTED: &str = "zeros, constant(c), uniform(a) or uniform(low, high), normal(std) or normal(mean, std), xavier_uniform, xavier_normal (optional gain), kaiming_uniform, kaiming_normal (optional negative slope), orthogonal (optional gain)";

impl InitSpec {
    pub fn parse(v: &Value, cx: &mut Ctxt) -> Option<Self> {
        let values: Vec<Value>;
        let (name, args): (String, &[Value]) = match v {
            Value::Ident(i) => (i.to_string(), &[]),
            Value::Call(i, a, _) => {
                let mut plain = Vec::new();
                for arg in a {
                    match arg.as_value() {
                        Some(v) => plain.push(v.clone()),
                        None => {
                            cx.error_spanned_by(
                                crate::parse::arg_loc(arg),
                                format!("`{i}` takes plain numbers, e.g. `normal(0.01)`"),
                            );
                            return None;
                        }
                    }
                }
                values = plain;
                (i.to_string(), values.as_slice())
            }
            other => {
                cx.error_spanned_by(
                    other.loc(),
                    format!("`init` must name an initialiser: {ACCEPTED}"),
                );
                return None;
            }
        };
        let num = |i: usize, what: &str, cx: &mut Ctxt| -> Option<Option<f64>> {
            match args.get(i) {
                Some(a) => number(a, what, |_| true, "a number", cx).map(Some),
                None => Some(None),
            }
        };
        let positive = |x: Option<f64>, default: f64, what: &str, cx: &mut Ctxt| -> Option<f64> {
            let x = x.unwrap_or(default);
            if x > 0.0 {
                Some(x)
            } else {
                cx.error_spanned_by(v.loc(), format!("{what} must be positive, got {x}"));
                None
            }
        };
        let max_args = match name.as_str() {
            "zeros" => 0,
            "constant" | "xavier_uniform" | "xavier_normal" | "kaiming_uniform"
            | "kaiming_normal" | "orthogonal" => 1,
            "uniform" | "normal" => 2,
            _ => {
                cx.error_spanned_by(
                    v.loc(),
                    format!("unknown initialiser `{name}`; expected {ACCEPTED}"),
                );
                return None;
            }
        };
        if args.len() > max_args {
            cx.error_spanned_by(
                v.loc(),
                format!(
                    "`{name}` takes at most {max_args} argument(s), got {}",
                    args.len()
                ),
            );
            return None;
        }
        let a0 = num(0, "the initialiser's first argument", cx)?;
        let a1 = num(1, "the initialiser's second argument", cx)?;
        Some(match name.as_str() {
            "zeros" => InitSpec::Zeros,
            "constant" => match a0 {
                Some(c) => InitSpec::Constant(c),
                None => {
                    cx.error_spanned_by(v.loc(), "`constant` needs its value: `constant(0.1)`");
                    return None;
                }
            },
            "uniform" => match (a0, a1) {
                (Some(a), None) => {
                    InitSpec::Uniform(-positive(Some(a), 0.0, "the uniform range", cx)?, a)
                }
                (Some(lo), Some(hi)) if lo < hi => InitSpec::Uniform(lo, hi),
                (Some(lo), Some(hi)) => {
                    cx.error_spanned_by(
                        v.loc(),
                        format!("`uniform(low, high)` needs low < high, got {lo} and {hi}"),
                    );
                    return None;
                }
                _ => {
                    cx.error_spanned_by(
                        v.loc(),
                        "`uniform` needs a range: `uniform(0.05)` or `uniform(-0.1, 0.1)`",
                    );
                    return None;
                }
            },
            "normal" => match (a0, a1) {
                (Some(s), None) => {
                    InitSpec::Normal(0.0, positive(Some(s), 0.0, "the standard deviation", cx)?)
                }
                (Some(m), Some(s)) => {
                    InitSpec::Normal(m, positive(Some(s), 0.0, "the standard deviation", cx)?)
                }
                _ => {
                    cx.error_spanned_by(
                        v.loc(),
                        "`normal` needs a standard deviation: `normal(0.01)`",
                    );
                    return None;
                }
            },
            "xavier_uniform" => InitSpec::XavierUniform(positive(a0, 1.0, "the gain", cx)?),
            "xavier_normal" => InitSpec::XavierNormal(positive(a0, 1.0, "the gain", cx)?),
            "kaiming_uniform" => InitSpec::KaimingUniform(a0.unwrap_or(0.0)),
            "kaiming_normal" => InitSpec::KaimingNormal(a0.unwrap_or(0.0)),
            _ => InitSpec::Orthogonal(positive(a0, 1.0, "the gain", cx)?),
        })
    }

    /// The initialiser that suits the activation after the layer.
    pub fn default_for(act: Option<&ActSpec>) -> Self {
        match act.map(|a| a.init_family()).unwrap_or(InitFamily::Linear) {
            InitFamily::ReluLike(slope) => InitSpec::KaimingUniform(slope),
            InitFamily::Tanh | InitFamily::Linear => InitSpec::XavierUniform(1.0),
            InitFamily::Logistic => InitSpec::XavierUniform(4.0),
        }
    }

    /// The runtime `Init` value.
    pub fn tokens(&self) -> TokenStream {
        let rt = rt();
        let i = quote!(#rt::init::Init);
        let fan_in = quote!(#rt::init::FanMode::FanIn);
        match *self {
            InitSpec::Zeros => quote!(#i::Zeros),
            InitSpec::Constant(c) => quote!(#i::Constant(#c)),
            InitSpec::Uniform(low, high) => quote!(#i::Uniform { low: #low, high: #high }),
            InitSpec::Normal(mean, std) => quote!(#i::Normal { mean: #mean, std: #std }),
            InitSpec::XavierUniform(gain) => quote!(#i::XavierUniform { gain: #gain }),
            InitSpec::XavierNormal(gain) => quote!(#i::XavierNormal { gain: #gain }),
            InitSpec::KaimingUniform(s) => {
                quote!(#i::KaimingUniform { gain: #rt::init::gain::leaky_relu(#s), mode: #fan_in })
            }
            InitSpec::KaimingNormal(s) => {
                quote!(#i::KaimingNormal { gain: #rt::init::gain::leaky_relu(#s), mode: #fan_in })
            }
            InitSpec::Orthogonal(gain) => quote!(#i::Orthogonal { gain: #gain }),
        }
    }
}
