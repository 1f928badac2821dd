//! Activations as declared: `relu`, `tanh`, `leaky_relu(0.2)`, ... (the runtime `Activation`
//! each names and the initialiser family that suits a layer feeding it). Defaults and names follow PyTorch (`leaky_relu` slope 0.01,
//! `elu` alpha 1); `hard_sigmoid` is `clamp(x/4 + 1/2, 0, 1)`, the logistic's tangent at 0
//! (Gulcehre et al., 2016, "Noisy activation functions"), `hardsigmoid` PyTorch's
//! `clamp(x/6 + 1/2, 0, 1)`.

use proc_macro2::TokenStream;
use quote::quote;

use crate::args::{number, Args};
use crate::diag::Ctxt;
use crate::parse::LayerCall;
use crate::tokens::rt;

/// How a dense layer before this activation should be initialised by default.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum InitFamily {
    /// Kaiming (He) with the ReLU gain, or the leaky slope's.
    ReluLike(f64),
    /// Xavier with gain 1.
    Tanh,
    /// Xavier with the logistic gain 4 (the inverse of the logistic's slope 1/4 at 0).
    Logistic,
    /// Xavier with gain 1 (no activation or a smooth one).
    Linear,
}

/// A parsed activation.
#[derive(Clone, Debug)]
pub struct ActSpec {
    kind: Kind,
}

#[derive(Clone, Debug)]
enum Kind {
    Identity,
    Sigmoid,
    Tanh,
    Relu,
    LeakyRelu(f64),
    Elu(f64),
    Softplus,
    HardSigmoid,
    HardSigmoidTorch,
    HardTanh,
    Gelu,
    GeluTanh,
    Swish,
}

impl ActSpec {
    /// `None` if `call` names no activation; `Some(None)` if it does but its arguments are bad.
    pub fn parse(call: &LayerCall, cx: &mut Ctxt) -> Option<Option<ActSpec>> {
        let name = call.name.to_string();
        let mut args = Args::new(call);
        let mut param = |what: &str, default: f64, cx: &mut Ctxt| -> Option<f64> {
            match args.positional(0) {
                Some(crate::parse::Arg::Positional(v)) => {
                    number(v, what, |x| x >= 0.0, "a non-negative number", cx)
                }
                Some(other) => {
                    cx.error_spanned_by(
                        crate::parse::arg_loc(other),
                        format!("{what} must be a number"),
                    );
                    None
                }
                None => Some(default),
            }
        };
        let kind = match name.as_str() {
            "identity" | "linear_act" => Some(Kind::Identity),
            "sigmoid" | "logistic" => Some(Kind::Sigmoid),
            "tanh" => Some(Kind::Tanh),
            "relu" => Some(Kind::Relu),
            "leaky_relu" => param("the slope of `leaky_relu`", 0.01, cx).map(Kind::LeakyRelu),
            "elu" => param("the alpha of `elu`", 1.0, cx).map(Kind::Elu),
            "softplus" => Some(Kind::Softplus),
            "hard_sigmoid" => Some(Kind::HardSigmoid),
            "hardsigmoid" => Some(Kind::HardSigmoidTorch),
            "hard_tanh" | "hardtanh" => Some(Kind::HardTanh),
            "gelu" => Some(Kind::Gelu),
            "gelu_tanh" => Some(Kind::GeluTanh),
            "swish" | "silu" => Some(Kind::Swish),
            _ => return None,
        };
        args.finish(
            cx,
            &format!("`{name}`"),
            "no arguments except a slope for `leaky_relu` and alpha for `elu`",
        );
        Some(kind.map(|kind| ActSpec { kind }))
    }

    /// Its int8 form: a clamp (ReLU), a table to TFLite's fixed scale (tanh, sigmoid), or a
    /// table of the f32 function to a calibrated scale (the others).
    pub fn int8(&self) -> crate::int8::Act8 {
        use crate::int8::Act8;
        match self.kind {
            Kind::Identity => Act8::Identity,
            Kind::Relu => Act8::Relu,
            Kind::Tanh => Act8::Tanh,
            Kind::Sigmoid => Act8::Sigmoid,
            _ => Act8::Table(self.tokens()),
        }
    }

    /// The runtime `Activation` value.
    pub fn tokens(&self) -> TokenStream {
        let rt = rt();
        let a = quote!(#rt::activation::Activation);
        match self.kind {
            Kind::Identity => quote!(#a::Identity),
            Kind::Sigmoid => quote!(#a::Sigmoid),
            Kind::Tanh => quote!(#a::Tanh),
            Kind::Relu => quote!(#a::Relu),
            Kind::LeakyRelu(s) => quote!(#a::LeakyRelu { slope: #s }),
            Kind::Elu(al) => quote!(#a::Elu { alpha: #al }),
            Kind::Softplus => quote!(#a::Softplus),
            Kind::HardSigmoid => quote!(#a::HardSigmoid),
            Kind::HardSigmoidTorch => quote!(#a::HardSigmoidTorch),
            Kind::HardTanh => quote!(#a::HardTanh),
            Kind::Gelu => quote!(#a::Gelu),
            Kind::GeluTanh => quote!(#a::GeluTanh),
            Kind::Swish => quote!(#a::Swish),
        }
    }

    /// Which initialiser suits a layer feeding this activation.
    pub fn init_family(&self) -> InitFamily {
        match self.kind {
            Kind::Relu
            | Kind::Elu(_)
            | Kind::Gelu
            | Kind::GeluTanh
            | Kind::Swish
            | Kind::Softplus => InitFamily::ReluLike(0.0),
            Kind::LeakyRelu(s) => InitFamily::ReluLike(s),
            Kind::Tanh | Kind::HardTanh => InitFamily::Tanh,
            Kind::Sigmoid | Kind::HardSigmoid | Kind::HardSigmoidTorch => InitFamily::Logistic,
            Kind::Identity => InitFamily::Linear,
        }
    }
}
