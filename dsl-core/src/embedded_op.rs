//! What a layer kind contributes to the embedded form (batch 1, inline arrays, no std): its
//! field type, settings and the kernel call of its forward step. Shared by the layer kinds,
//! which describe themselves, and the embedded emitter, which strings the calls together.

use std::collections::HashMap;

use proc_macro2::TokenStream;

/// A scalar setting of an embedded layer, written into its constructor.
pub enum Config {
    /// A float in the element type (e.g. `eps`).
    Float(f64),
    Bool(bool),
}

/// Tokens of a kernel call given the layer expression, the input slice and the output slice.
pub type MapCall = Box<dyn Fn(&TokenStream, &TokenStream, &TokenStream) -> TokenStream>;

/// Tokens of a recurrent step given the layer expression, input, output and state.
pub type StepCall =
    Box<dyn Fn(&TokenStream, &TokenStream, &TokenStream, &TokenStream) -> TokenStream>;

/// Tokens of a whole-sequence call given the layer expression, the input buffer and its
/// `fixed::Rows`, the output buffer and its `Rows`, and the state.
pub type WholeCall = Box<
    dyn Fn(
        &TokenStream,
        &TokenStream,
        &TokenStream,
        &TokenStream,
        &TokenStream,
        &TokenStream,
    ) -> TokenStream,
>;

/// What a layer does in the embedded forward pass.
pub enum Op {
    /// Reads the current buffer and writes the next one.
    Map(MapCall),
    /// Changes the current buffer in place (a stand-alone activation).
    InPlace(Box<dyn Fn(&TokenStream) -> TokenStream>),
    /// Leaves the data as it is (dropout in eval mode, flatten).
    Pass,
    /// One step of a recurrent layer: `call(layer, x, y, state)`, with its state type and
    /// the number of values the state holds (for the scratch size the macro reports).
    Step {
        state: TokenStream,
        state_len: usize,
        call: StepCall,
    },
    /// A layer that needs the whole sequence at once (a bidirectional one): networks holding
    /// one run layer by layer over a fixed-length sequence.
    Whole {
        state: TokenStream,
        state_len: usize,
        call: WholeCall,
    },
}

/// A layer's embedded form.
pub struct EmbeddedLayer {
    /// The field type (generic over `T`); `None` for layers without tensors or settings.
    pub ty: Option<TokenStream>,
    /// Settings other than tensors, as (field path, value): `eps`, `bwd.reset_before`.
    pub config: Vec<(String, Config)>,
    /// Tensors (by PyTorch suffix, e.g. `weight`) the runtime type stores transposed, in a
    /// field of the same name without `_l0` and with `_t` (`weight_t`).
    pub transposed: &'static [&'static str],
    /// Tensors (by PyTorch suffix) the runtime type stores with an axis of 1 before the last
    /// (a `conv1d` weight `[CO, CI, K]` as `[CO, CI, 1, K]`).
    pub unsqueezed: &'static [&'static str],
    /// Tensors (by PyTorch suffix) the runtime type stores flat whatever their shape (a
    /// `layer_norm` weight `[C, H, W]` as `[C H W]`).
    pub flat: &'static [&'static str],
    /// Levels of a stacked recurrent layer (`fixed::Stacked`: level 0 in `first`, level
    /// `k` in `rest[k - 1]`, its tensors `*_l{k}`); 1 otherwise.
    pub levels: usize,
    /// Two directions (`fixed::Bidirectional`: tensors `*_l0` in `fwd`, `*_l0_reverse` in
    /// `bwd`).
    pub bidirectional: bool,
    pub op: Op,
}

impl EmbeddedLayer {
    pub fn map(ty: Option<TokenStream>, call: MapCall) -> Self {
        Self::with_op(ty, Op::Map(call))
    }

    /// A layer with no tensors that changes the current buffer in place: `apply(buffer)`.
    pub fn in_place(apply: impl Fn(&TokenStream) -> TokenStream + 'static) -> Self {
        Self::with_op(None, Op::InPlace(Box::new(apply)))
    }

    /// A layer that leaves the data as it is.
    pub fn pass() -> Self {
        Self::with_op(None, Op::Pass)
    }

    fn with_op(ty: Option<TokenStream>, op: Op) -> Self {
        EmbeddedLayer {
            levels: 1,
            bidirectional: false,
            ty,
            config: Vec::new(),
            transposed: &[],
            unsqueezed: &[],
            flat: &[],
            op,
        }
    }
}

/// Tensor values read from a weights file, by full name, with the file's path for the
/// dependency tracking `include_bytes!`.
pub struct Baked {
    pub path: String,
    pub values: HashMap<String, Vec<f64>>,
}
