//! What the resolver and the emitters need from a layer kind: its shape rule, what it emits,
//! its tensors and its embedded form, plus the small helpers the kinds share.

use proc_macro2::TokenStream;

use crate::activation::ActSpec;
use crate::diag::Ctxt;
use crate::embedded_op::EmbeddedLayer;
use crate::parse::LayerCall;
use crate::shape::Shape;
use crate::tensors::Tensors;
use crate::tokens::rt;

/// Where a layer's input comes from, for error messages.
pub struct Prev<'a> {
    /// `the network input` or `` `relu` (layers[3]) ``.
    pub what: &'a str,
}

/// The concrete kind behind a `dyn LayerKind`: lets the embedded layout look inside the
/// composite kinds (`layers::compose::parts`).
pub trait AsAny {
    fn as_any(&self) -> &dyn std::any::Any;
}

impl<K: std::any::Any> AsAny for K {
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// What the checker and emitter need from a layer kind.
pub trait LayerKind: AsAny {
    /// The shape rule: this layer's per-sample output for `input`, or errors in `cx`.
    fn output_shape(
        &self,
        call: &LayerCall,
        input: &Shape,
        prev: &Prev,
        cx: &mut Ctxt,
    ) -> Option<Shape>;
    /// The output shape the call declares whatever its input (`dense(10)` gives [10]), used to
    /// go on checking after a mistake before it; `None` when the output depends on the input.
    fn declared_output(&self) -> Option<Shape> {
        None
    }
    /// Takes an activation into its own forward pass (bias and activation fused with the
    /// product); `false` when it cannot, and the activation becomes a layer of its own.
    fn fuse(&mut self, _act: &ActSpec) -> bool {
        false
    }
    /// Whether the layer runs over whole sequences (driven through the runtime's `Recurrent`
    /// trait with the number of steps) rather than row by row.
    fn recurrent(&self) -> bool {
        false
    }
    /// `Some("softmax")` or `Some("log_softmax")` for a layer whose output is a probability
    /// distribution (or its logarithm), for the loss rules.
    fn normalises(&self) -> Option<&'static str> {
        None
    }
    /// Whether a composite holds recurrent layers (run through the runtime's `OverSteps`):
    /// the generated passes then tell it the step count.
    fn holds_recurrent(&self) -> bool {
        false
    }
    /// Whether the layer reduces each sequence to one row (`last_step`, ...): the layers after
    /// it run once per sequence.
    fn reduces_time(&self) -> bool {
        false
    }
    /// Whether the layer is a plain affine map (no activation fused), for the collapse warning.
    fn is_affine(&self) -> bool {
        false
    }
    /// The runtime layer type, generic over the element type `T`.
    fn field_type(&self, input: &Shape, output: &Shape) -> TokenStream;
    /// An expression building the layer; `rng: &mut KilnRng` is in scope.
    fn construct(&self, input: &Shape, output: &Shape) -> TokenStream;
    /// The layer's tensors named under `prefix`, in the runtime's visit order: the one place
    /// tensor names are made (the generated visitors take them from `TENSORS`).
    fn tensors(&self, _input: &Shape, _output: &Shape, _prefix: &str, _t: &mut Tensors) {}
    /// Multiply-accumulates of one sample's inference (one step's for sequences): the
    /// products of weighted layers, one per value for normalisations, none for activations,
    /// pooling and reshapes (the way thop and fvcore count them).
    fn macs(&self, _input: &Shape, _output: &Shape) -> u64 {
        0
    }
    /// The layer in the embedded form (batch 1, inline arrays, no std), or `None` if it has
    /// none yet.
    fn embedded(&self, _input: &Shape, _output: &Shape) -> Option<EmbeddedLayer> {
        None
    }
    /// The layer's int8 form (`precision: int8`, `kiln::quantize`).
    fn int8(&self, _input: &Shape, _output: &Shape) -> crate::int8::Int8Kernel {
        crate::int8::Int8Kernel::unsupported(
            "this layer has no int8 kernel yet; int8 takes dense, conv2d and conv1d (grouped and depthwise too, no dilation), activations, max and average pooling without padding, global_avg_pool, dropout, flatten, batch norms right after a dense layer or convolution (folded into it), and lstm (one direction, stacked too)",
        )
    }
    /// The user-written layer types (with `T`) in this layer, itself included, for the
    /// `where Ty<T>: CustomLayer<T>` bounds of the generated items.
    fn custom_types(&self, _out: &mut Vec<TokenStream>) {}
    /// Why the layer can never have an embedded form, when that is more than "not yet".
    fn embedded_refusal(&self) -> Option<String> {
        None
    }
}

/// Takes `act` into `slot` (a layer's fused activation) unless one is there already.
pub fn fuse_into(slot: &mut Option<ActSpec>, act: &ActSpec) -> bool {
    if slot.is_some() {
        return false;
    }
    *slot = Some(act.clone());
    true
}

/// The runtime `Activation` of an optionally fused activation (`Identity` when none).
pub fn act_tokens(act: Option<&ActSpec>) -> TokenStream {
    let rt = rt();
    act.map(ActSpec::tokens)
        .unwrap_or_else(|| quote::quote!(#rt::activation::Activation::Identity))
}

/// `<ty>::new(bias, act, init, rng)?` for the affine layers (dense, conv), with the
/// initialiser that suits the fused activation unless one is declared.
pub fn affine_ctor(
    ty: TokenStream,
    bias: bool,
    act: Option<&ActSpec>,
    init: Option<&crate::init::InitSpec>,
) -> TokenStream {
    let a = act_tokens(act);
    let init = match init {
        Some(i) => i.tokens(),
        None => crate::init::InitSpec::default_for(act).tokens(),
    };
    quote::quote!(<#ty>::new(#bias, #a, #init, rng)?)
}

/// The flat feature count of `input`, or an error telling the user to flatten first.
pub fn flat_input(call: &LayerCall, input: &Shape, prev: &Prev, cx: &mut Ctxt) -> Option<usize> {
    match input.as_flat() {
        Some(n) => Some(n),
        None => {
            let hint = if call.name == "batch_norm" && input.0.len() == 3 {
                "use `batch_norm2d` for per-channel statistics of feature maps".to_string()
            } else {
                format!("add `flatten` before it (giving [{}])", input.numel())
            };
            cx.error_spanned_by(
                call.loc,
                format!(
                    "`{}` takes a flat input [features], but receives {input} from {}; {hint}",
                    call.name, prev.what
                ),
            );
            None
        }
    }
}
