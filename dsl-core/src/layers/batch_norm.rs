//! `batch_norm`, `batch_norm(momentum = 0.1, eps = 1e-5)`: batch normalisation over features
//! (`kiln_runtime::layers::BatchNorm`, PyTorch's `BatchNorm1d`). Shape rule: the identity on
//! a flat input. Place it after the affine map and before the activation, as Ioffe & Szegedy
//! (2015, "Batch normalization: accelerating deep network training by reducing internal
//! covariate shift") do.

use proc_macro2::TokenStream;
use quote::quote;

use crate::args::{number, Args};
use crate::diag::Ctxt;
use crate::embedded_op::{Config, EmbeddedLayer, Op};
use crate::kind::{flat_input, LayerKind, Prev};
use crate::parse::LayerCall;
use crate::shape::Shape;
use crate::tensors::Tensors;
use crate::tokens::{lit, rt};

pub struct BatchNorm {
    momentum: f64,
    eps: f64,
}

impl BatchNorm {
    pub fn parse(call: &LayerCall, cx: &mut Ctxt) -> Option<Self> {
        let (momentum, eps) = norm_options(call, cx)?;
        Some(BatchNorm { momentum, eps })
    }
}

/// `momentum = ...` (in [0, 1], default 0.1) and `eps = ...` (positive, default 1e-5) of
/// `batch_norm` and `batch_norm2d`, PyTorch's defaults.
pub fn norm_options(call: &LayerCall, cx: &mut Ctxt) -> Option<(f64, f64)> {
    let mut args = Args::new(call);
    let momentum = match args.named("momentum", cx) {
        Some(v) => number(
            v,
            "`momentum`",
            |m| (0.0..=1.0).contains(&m),
            "in [0, 1]",
            cx,
        ),
        None => Some(0.1),
    };
    let eps = match args.named("eps", cx) {
        Some(v) => number(v, "`eps`", |e| e > 0.0, "positive", cx),
        None => Some(1e-5),
    };
    args.finish(
        cx,
        &format!("`{}`", call.name),
        "`momentum = ...` and `eps = ...`",
    );
    Some((momentum?, eps?))
}

impl BatchNorm {
    /// On `[C, L]`: the per-channel form, as `batch_norm2d` on `[C, 1, L]`.
    fn per_channel(&self, input: &Shape) -> Option<(super::batch_norm2d::BatchNorm2d, Shape)> {
        match input.0[..] {
            [c, l] => Some((
                super::batch_norm2d::BatchNorm2d::with(self.momentum, self.eps),
                Shape(vec![c, 1, l]),
            )),
            _ => None,
        }
    }
}

impl LayerKind for BatchNorm {
    /// Folded into the dense layer or convolution before it.
    fn int8(&self, _input: &Shape, _output: &Shape) -> crate::int8::Int8Kernel {
        crate::int8::Int8Kernel::folded(self.eps)
    }

    fn output_shape(
        &self,
        call: &LayerCall,
        input: &Shape,
        prev: &Prev,
        cx: &mut Ctxt,
    ) -> Option<Shape> {
        if input.0.len() == 2 {
            // `[C, L]`, as PyTorch's BatchNorm1d on `(N, C, L)`: per channel over the length.
            return Some(input.clone());
        }
        flat_input(call, input, prev, cx).map(Shape::flat)
    }

    fn field_type(&self, input: &Shape, output: &Shape) -> TokenStream {
        if let Some((two_d, maps)) = self.per_channel(input) {
            return two_d.field_type(&maps, output);
        }
        let rt = rt();
        let n = lit(input.numel());
        quote!(#rt::layers::BatchNorm<T, #n>)
    }

    fn construct(&self, input: &Shape, output: &Shape) -> TokenStream {
        if let Some((two_d, maps)) = self.per_channel(input) {
            return two_d.construct(&maps, output);
        }
        let ty = self.field_type(input, output);
        let (m, e) = (self.momentum, self.eps);
        quote!(<#ty>::new(#m, #e)?)
    }

    /// Inference is one scale and shift per value.
    fn macs(&self, _input: &Shape, output: &Shape) -> u64 {
        output.numel() as u64
    }

    fn tensors(&self, input: &Shape, output: &Shape, prefix: &str, t: &mut Tensors) {
        if let Some((two_d, maps)) = self.per_channel(input) {
            return two_d.tensors(&maps, output, prefix, t);
        }
        let n = [input.numel()];
        t.param(prefix, "weight", &n);
        t.param(prefix, "bias", &n);
        t.buffer(prefix, "running_mean", &n);
        t.buffer(prefix, "running_var", &n);
        t.buffer(prefix, "num_batches_tracked", &[]);
    }

    fn embedded(&self, input: &Shape, output: &Shape) -> Option<EmbeddedLayer> {
        if let Some((two_d, maps)) = self.per_channel(input) {
            return two_d.embedded(&maps, output);
        }
        let rt = rt();
        let n = lit(input.numel());
        Some(EmbeddedLayer {
            levels: 1,
            bidirectional: false,
            ty: Some(quote!(#rt::fixed::BatchNorm<T, #n>)),
            config: vec![("eps".into(), Config::Float(self.eps))],
            transposed: &[],
            unsqueezed: &[],
            flat: &[],
            op: Op::Map(Box::new(|l, x, y| quote!(#l.forward(#x, #y);))),
        })
    }
}
