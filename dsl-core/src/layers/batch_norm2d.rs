//! `batch_norm2d`, `batch_norm2d(momentum = 0.1, eps = 1e-5)`: batch normalisation per channel
//! of feature maps, statistics over batch x height x width (`kiln_runtime::layers::BatchNorm2d`,
//! PyTorch's `nn.BatchNorm2d`). Shape rule: the identity on `[C, H, W]`.

use proc_macro2::TokenStream;
use quote::quote;

use crate::diag::Ctxt;
use crate::embedded_op::{Config, EmbeddedLayer, Op};
use crate::kind::{LayerKind, Prev};
use crate::parse::LayerCall;
use crate::shape::Shape;
use crate::tensors::Tensors;
use crate::tokens::{lit, rt};

pub struct BatchNorm2d {
    momentum: f64,
    eps: f64,
}

impl BatchNorm2d {
    /// With these options (PyTorch's meaning).
    pub fn with(momentum: f64, eps: f64) -> Self {
        BatchNorm2d { momentum, eps }
    }

    pub fn parse(call: &LayerCall, cx: &mut Ctxt) -> Option<Self> {
        let (momentum, eps) = super::batch_norm::norm_options(call, cx)?;
        Some(BatchNorm2d { momentum, eps })
    }
}

impl LayerKind for BatchNorm2d {
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
        if input.0.len() == 3 {
            Some(input.clone())
        } else {
            cx.error_spanned_by(call.loc, format!("`batch_norm2d` takes feature maps [channels, height, width], but receives {input} from {}; use `batch_norm` for flat features", prev.what));
            None
        }
    }

    fn field_type(&self, input: &Shape, _output: &Shape) -> TokenStream {
        let rt = rt();
        let (c, hw) = (lit(input.0[0]), lit(input.0[1] * input.0[2]));
        quote!(#rt::layers::BatchNorm2d<T, #c, #hw>)
    }

    fn construct(&self, input: &Shape, output: &Shape) -> TokenStream {
        let ty = self.field_type(input, output);
        let (m, e) = (self.momentum, self.eps);
        quote!(<#ty>::new(#m, #e)?)
    }

    /// Inference is one scale and shift per value.
    fn macs(&self, _input: &Shape, output: &Shape) -> u64 {
        output.numel() as u64
    }

    fn tensors(&self, input: &Shape, _output: &Shape, prefix: &str, t: &mut Tensors) {
        let n = [input.0[0]];
        t.param(prefix, "weight", &n);
        t.param(prefix, "bias", &n);
        t.buffer(prefix, "running_mean", &n);
        t.buffer(prefix, "running_var", &n);
        t.buffer(prefix, "num_batches_tracked", &[]);
    }

    fn embedded(&self, input: &Shape, _output: &Shape) -> Option<EmbeddedLayer> {
        let rt = rt();
        let n = lit(input.0[0]);
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
