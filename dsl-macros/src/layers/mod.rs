//! One module per layer kind, each holding the kind's argument parsing, its shape rule and
//! the code it emits (the runtime layer type it instantiates and how it is built). The
//! forward and backward calls are the same for every kind (`emit.rs` writes them through the
//! runtime's `Layer` trait), so a new kind is one new file here plus one line in [`parse_layer`].

use proc_macro2::TokenStream;

use crate::ctxt::Ctxt;
use crate::embedded::EmbeddedLayer;
use crate::parse::LayerCall;
use crate::shape::Shape;
use crate::tensors::Tensors;

pub mod activation;
pub mod batch_norm;
pub mod batch_norm2d;
pub mod compose;
pub mod conv2d;
pub mod dense;
pub mod dropout;
pub mod embedding;
pub mod flatten;
pub mod layer_norm;
pub mod maxout;
pub mod pool2d;
pub mod prelu;
pub mod recurrent;

pub use activation::ActSpec;

/// Where a layer's input comes from, for error messages.
pub struct Prev<'a> {
    /// `the network input` or `` `relu` (layers[3]) ``.
    pub what: &'a str,
}

/// What the checker and emitter need from a layer kind.
pub trait LayerKind {
    /// The shape rule: this layer's per-sample output for `input`, or errors in `cx`.
    fn output_shape(
        &self,
        call: &LayerCall,
        input: &Shape,
        prev: &Prev,
        cx: &mut Ctxt,
    ) -> Option<Shape>;
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
    /// Whether the layer is a plain affine map (no activation fused), for the collapse warning.
    fn is_affine(&self) -> bool {
        false
    }
    /// The runtime layer type, generic over the element type `T`.
    fn field_type(&self, input: &Shape, output: &Shape) -> TokenStream;
    /// An expression building the layer; `rng: &mut KilnRng` is in scope.
    fn construct(&self, input: &Shape, output: &Shape) -> TokenStream;
    /// The layer's tensors named under `prefix`, in the runtime's visit order (the same names
    /// as the runtime layer's named visitors; a test holds the two to each other).
    fn tensors(&self, _input: &Shape, _output: &Shape, _prefix: &str, _t: &mut Tensors) {}
    /// How many numbered children the layer adds to an enclosing sequence (a sequence of
    /// several layers flattens into it, as the runtime's `Chain` does).
    fn seq_len(&self) -> usize {
        1
    }
    /// The layer in the embedded form (batch 1, inline arrays, no std), or `None` if it has
    /// none yet.
    fn embedded(&self, _input: &Shape, _output: &Shape) -> Option<EmbeddedLayer> {
        None
    }
    /// [`LayerKind::tensors`] as child `start` of a sequence named `prefix`.
    fn seq_tensors(
        &self,
        input: &Shape,
        output: &Shape,
        prefix: &str,
        start: usize,
        t: &mut Tensors,
    ) {
        self.tensors(input, output, &format!("{prefix}.{start}"), t)
    }
}

/// The names `layers: [...]` accepts, for the unknown-layer message.
pub const KNOWN: &str = "dense, embedding, one_hot, lstm, gru, rnn, bidirectional, conv2d, max_pool2d, avg_pool2d, global_avg_pool, flatten, dropout, batch_norm, batch_norm2d, layer_norm, prelu, maxout, a block declared with `block`, `residual { }`, `concat { }`, or an activation (identity, sigmoid, tanh, relu, leaky_relu, elu, softplus, hard_sigmoid, hardsigmoid, hard_tanh, gelu, gelu_tanh, swish, silu)";

/// Parses a layer call into its kind, or records why it cannot.
pub fn parse_layer(call: &LayerCall, cx: &mut Ctxt) -> Option<Box<dyn LayerKind>> {
    let name = call.name.to_string();
    match name.as_str() {
        "dense" | "linear" => dense::Dense::parse(call, cx).map(|l| Box::new(l) as _),
        "dropout" => dropout::Dropout::parse(call, cx).map(|l| Box::new(l) as _),
        "embedding" | "one_hot" => embedding::TokenLayer::parse(call, cx).map(|l| Box::new(l) as _),
        "batch_norm" => batch_norm::BatchNorm::parse(call, cx).map(|l| Box::new(l) as _),
        "layer_norm" => layer_norm::LayerNorm::parse(call, cx).map(|l| Box::new(l) as _),
        "prelu" => prelu::PRelu::parse(call, cx).map(|l| Box::new(l) as _),
        "maxout" => maxout::Maxout::parse(call, cx).map(|l| Box::new(l) as _),
        "conv2d" => conv2d::Conv2d::parse(call, cx).map(|l| Box::new(l) as _),
        "max_pool2d" | "avg_pool2d" => pool2d::Pool2d::parse(call, cx).map(|l| Box::new(l) as _),
        "global_avg_pool" => Some(Box::new(pool2d::GlobalAvgPool)),
        "batch_norm2d" => batch_norm2d::BatchNorm2d::parse(call, cx).map(|l| Box::new(l) as _),
        "lstm" | "gru" | "rnn" | "bidirectional" => recurrent::RecurrentLayer::parse(call, cx)
            .flatten()
            .map(|l| Box::new(l) as _),
        _ => match activation::ActSpec::parse(call, cx) {
            Some(Some(act)) => Some(Box::new(activation::ActLayer { act }) as _),
            Some(None) => None,
            None => {
                let hint = suggest(&name)
                    .map(|s| format!(" (did you mean `{s}`?)"))
                    .unwrap_or_default();
                cx.error_spanned_by(
                    &call.name,
                    format!("unknown layer `{name}`{hint}; expected {KNOWN}"),
                );
                None
            }
        },
    }
}

/// The closest known layer name, if one is close enough to be a typo.
fn suggest(name: &str) -> Option<&'static str> {
    const NAMES: &[&str] = &[
        "dense",
        "dropout",
        "batch_norm",
        "layer_norm",
        "prelu",
        "maxout",
        "identity",
        "sigmoid",
        "tanh",
        "relu",
        "leaky_relu",
        "elu",
        "softplus",
        "hard_sigmoid",
        "hardsigmoid",
        "hard_tanh",
        "gelu",
        "gelu_tanh",
        "swish",
        "silu",
    ];
    closest(name, NAMES)
}

/// The candidate closest to `name`, if one is close enough to be a typo; ties go to the
/// earlier candidate, so lists put the common names first.
pub fn closest<'a>(name: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|n| (edit_distance(name, n), *n))
        .filter(|(d, n)| *d <= 2.max(n.len() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, n)| n)
}

/// Edit distance counting a swap of two neighbours as one edit (`rleu` is one from `relu`).
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut d = vec![vec![0; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
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

/// A size as an unsuffixed literal (`64`, not `64usize`), so generated types read as declared.
pub fn lit(n: usize) -> proc_macro2::Literal {
    proc_macro2::Literal::usize_unsuffixed(n)
}

/// The path of the runtime crate in generated code.
pub fn rt() -> TokenStream {
    quote::quote!(::kiln::runtime)
}
