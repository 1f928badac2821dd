//! The one list of layer kinds. Each entry says what users may write (the name, its other
//! spellings, the PyTorch class it mirrors), what arguments it takes (positional parameters
//! with PyTorch's keyword names, named options) and how to build it; every list of names in a
//! message, the "did you mean" hints and the argument check are derived from this table.

use crate::activation::ActSpec;
use crate::diag::Ctxt;
use crate::kind::LayerKind;
use crate::layers::{
    activation::ActLayer, batch_norm, batch_norm2d, conv2d, dense, dropout, embedding, layer_norm,
    maxout, over_time, pool2d, prelu, recurrent, softmax,
};
use crate::parse::LayerCall;

/// What an entry is to the resolver.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A layer with a runtime type of its own.
    Layer,
    /// An activation: fused into the layer before it when that layer takes one.
    Activation,
    /// `flatten`: changes only the shape the next layer sees.
    Reshape,
}

/// A positional parameter, with the PyTorch keywords that mean it.
pub struct Param {
    pub name: &'static str,
    pub pytorch: &'static [&'static str],
}

/// One layer kind as users write it.
pub struct Entry {
    pub name: &'static str,
    /// Other kiln spellings of the same kind (`linear` for `dense`).
    pub aliases: &'static [&'static str],
    /// The PyTorch module it mirrors (`nn.Linear`), for hints and docs.
    pub pytorch: &'static str,
    pub role: Role,
    /// Positional parameters in order.
    pub params: &'static [Param],
    /// `key = value` options.
    pub options: &'static [&'static str],
    /// PyTorch keywords kiln has no use for, with what to do instead.
    pub torch_only: &'static [(&'static str, &'static str)],
    /// What a call looks like, for messages.
    pub usage: &'static str,
    /// Whether the kind has an embedded (no_std, batch-1) form.
    pub embedded: bool,
    pub build: fn(&LayerCall, &mut Ctxt) -> Option<Box<dyn LayerKind>>,
}

const fn p(name: &'static str, pytorch: &'static [&'static str]) -> Param {
    Param { name, pytorch }
}

const IN_DERIVED: &str = "kiln works it out from the shape: remove it";
const INPLACE: (&str, &str) = ("inplace", "kiln has no in-place flag: remove it");

fn boxed<L: LayerKind + 'static>(l: Option<L>) -> Option<Box<dyn LayerKind>> {
    l.map(|l| Box::new(l) as Box<dyn LayerKind>)
}

fn act(call: &LayerCall, cx: &mut Ctxt) -> Option<Box<dyn LayerKind>> {
    boxed(
        ActSpec::parse(call, cx)
            .flatten()
            .map(|act| ActLayer { act }),
    )
}

fn no_build(_: &LayerCall, _: &mut Ctxt) -> Option<Box<dyn LayerKind>> {
    None
}

/// The positional parameters of every pooling layer.
const POOL_PARAMS: &[Param] = &[
    p("kernel", &["kernel_size"]),
    p("stride", &[]),
    p("padding", &[]),
];

/// A pooling layer: kernel, stride, padding by position or name, an optional `shape`.
const fn pool(name: &'static str, pytorch: &'static str, usage: &'static str) -> Entry {
    Entry {
        name,
        aliases: &[],
        pytorch,
        role: Role::Layer,
        params: POOL_PARAMS,
        options: &["stride", "padding", "shape"],
        torch_only: &[],
        usage,
        embedded: true,
        build: |c, cx| boxed(pool2d::Pool2d::parse(c, cx)),
    }
}

/// A reduction over time (no arguments, no embedded form yet).
const fn over_time(name: &'static str, pytorch: &'static str) -> Entry {
    Entry {
        name,
        aliases: &[],
        pytorch,
        role: Role::Layer,
        params: &[],
        options: &[],
        torch_only: &[],
        usage: "`last_step`, `mean_over_time` or `max_over_time` after the per-step layers",
        embedded: true,
        build: |c, cx| boxed(over_time::OverTime::parse(c, cx)),
    }
}

macro_rules! activation {
    ($name:literal, $aliases:expr, $torch:literal) => {
        activation!($name, $aliases, $torch, &[], "")
    };
    ($name:literal, $aliases:expr, $torch:literal, $params:expr, $usage:literal) => {
        Entry {
            name: $name,
            aliases: $aliases,
            pytorch: $torch,
            role: Role::Activation,
            params: $params,
            options: &[],
            torch_only: &[INPLACE],
            usage: $usage,
            embedded: true,
            build: act,
        }
    };
}

/// Every layer kind, common ones first (ties in "did you mean" go to the earlier entry).
pub const KINDS: &[Entry] = &[
    Entry {
        name: "dense",
        aliases: &["linear"],
        pytorch: "Linear",
        role: Role::Layer,
        params: &[p("out", &["out_features"])],
        options: &["bias", "init"],
        torch_only: &[("in_features", "write the input width as `dense(in -> out)`, or leave it out")],
        usage: "`dense(128)` or `dense(64 -> 128)`",
        embedded: true,
        build: |c, cx| boxed(dense::Dense::parse(c, cx)),
    },
    Entry {
        name: "conv2d",
        aliases: &[],
        pytorch: "Conv2d",
        role: Role::Layer,
        params: &[
            p("out", &["out_channels"]),
            p("kernel", &["kernel_size"]),
            p("stride", &[]),
            p("padding", &[]),
        ],
        options: &["stride", "padding", "groups", "dilation", "bias", "init", "shape"],
        torch_only: &[
            ("in_channels", "write the input channels as `conv2d(in -> out, k)`, or leave them out"),
            ("padding_mode", "kiln pads with zeros only; remove it"),
        ],
        usage: "`conv2d(16, 3)`, `conv2d(16, [1, 7], padding = [0, 3])`, `conv2d(16, 3, 1, same)` or `conv2d(3 -> 16, 3)`",
        embedded: true,
        build: |c, cx| boxed(conv2d::Conv2d::parse(c, cx)),
    },
    Entry {
        name: "conv1d",
        aliases: &[],
        pytorch: "Conv1d",
        role: Role::Layer,
        params: &[
            p("out", &["out_channels"]),
            p("kernel", &["kernel_size"]),
            p("stride", &[]),
            p("padding", &[]),
        ],
        options: &["stride", "padding", "groups", "dilation", "bias", "init", "shape"],
        torch_only: &[
            ("in_channels", "write the input channels as `conv1d(in -> out, k)`, or leave them out"),
            ("padding_mode", "kiln pads with zeros only; remove it"),
        ],
        usage: "`conv1d(16, 3)`, `conv1d(16, 3, 1, same)` or `conv1d(16, 3, padding = causal)`",
        embedded: true,
        build: |c, cx| boxed(conv2d::Conv2d::parse(c, cx)),
    },
    pool("max_pool1d", "MaxPool1d", "`max_pool1d(2)` or `max_pool1d(3, 2, 1)`"),
    pool("avg_pool1d", "AvgPool1d", "`avg_pool1d(2)` or `avg_pool1d(3, 2, 1)`"),
    pool("max_pool2d", "MaxPool2d", "`max_pool2d(2)` or `max_pool2d(3, 2, 1)`"),
    pool("avg_pool2d", "AvgPool2d", "`avg_pool2d(2)` or `avg_pool2d(3, 2, 1)`"),
    Entry {
        name: "global_avg_pool",
        aliases: &[],
        pytorch: "AdaptiveAvgPool2d",
        role: Role::Layer,
        params: &[],
        options: &[],
        torch_only: &[("output_size", "`global_avg_pool` averages each channel to one value ([C, H, W] -> [C]): remove it")],
        usage: "`global_avg_pool`",
        embedded: true,
        build: |c, cx| boxed(pool2d::GlobalAvgPool::parse(c, cx)),
    },
    Entry {
        name: "flatten",
        aliases: &[],
        pytorch: "Flatten",
        role: Role::Reshape,
        params: &[p("size", &[])],
        options: &[],
        torch_only: &[("start_dim", "kiln's shapes are per sample, so `flatten` always flattens the whole sample: remove it")],
        usage: "`flatten` or `flatten(400)`",
        embedded: true,
        build: no_build,
    },
    Entry {
        name: "dropout",
        aliases: &[],
        pytorch: "Dropout",
        role: Role::Layer,
        params: &[p("p", &["p"])],
        options: &[],
        torch_only: &[INPLACE],
        usage: "`dropout(0.5)`",
        embedded: true,
        build: |c, cx| boxed(dropout::Dropout::parse(c, cx)),
    },
    Entry {
        name: "batch_norm",
        aliases: &[],
        pytorch: "BatchNorm1d",
        role: Role::Layer,
        params: &[],
        options: &["momentum", "eps"],
        torch_only: &[("num_features", IN_DERIVED)],
        usage: "`batch_norm` or `batch_norm(momentum = 0.1, eps = 1e-5)`",
        embedded: true,
        build: |c, cx| boxed(batch_norm::BatchNorm::parse(c, cx)),
    },
    Entry {
        name: "batch_norm2d",
        aliases: &[],
        pytorch: "BatchNorm2d",
        role: Role::Layer,
        params: &[],
        options: &["momentum", "eps"],
        torch_only: &[("num_features", IN_DERIVED)],
        usage: "`batch_norm2d` or `batch_norm2d(momentum = 0.1, eps = 1e-5)`",
        embedded: true,
        build: |c, cx| boxed(batch_norm2d::BatchNorm2d::parse(c, cx)),
    },
    Entry {
        name: "layer_norm",
        aliases: &[],
        pytorch: "LayerNorm",
        role: Role::Layer,
        params: &[],
        options: &["eps"],
        torch_only: &[("normalized_shape", IN_DERIVED)],
        usage: "`layer_norm` or `layer_norm(eps = 1e-5)`",
        embedded: true,
        build: |c, cx| boxed(layer_norm::LayerNorm::parse(c, cx)),
    },
    Entry {
        name: "embedding",
        aliases: &[],
        pytorch: "Embedding",
        role: Role::Layer,
        params: &[p("vocab", &["num_embeddings"]), p("width", &["embedding_dim"])],
        options: &["init"],
        torch_only: &[],
        usage: "`embedding(65, 32)` (vocabulary size, then width)",
        embedded: true,
        build: |c, cx| boxed(embedding::TokenLayer::parse(c, cx)),
    },
    Entry {
        name: "one_hot",
        aliases: &[],
        pytorch: "functional.one_hot",
        role: Role::Layer,
        params: &[p("vocab", &["num_classes"])],
        options: &[],
        torch_only: &[],
        usage: "`one_hot(65)`",
        embedded: true,
        build: |c, cx| boxed(embedding::TokenLayer::parse(c, cx)),
    },
    Entry {
        name: "lstm",
        aliases: &[],
        pytorch: "LSTM",
        role: Role::Layer,
        params: &[p("hidden", &["hidden_size"])],
        options: &["forget_bias", "layers", "dropout"],
        torch_only: &[
            ("input_size", "write the input width as `lstm(in -> hidden)`, or leave it out"),
            ("batch_first", "kiln's sequence batches are time-major: remove it"),
            ("num_layers", "write `layers = n` (kiln's name for it)"),
            ("bidirectional", "write `bidirectional(cell, cell)` around two cells"),
        ],
        usage: "`lstm(128)` or `lstm(65 -> 128)`",
        embedded: true,
        build: |c, cx| boxed(recurrent::RecurrentLayer::parse(c, cx).flatten()),
    },
    Entry {
        name: "gru",
        aliases: &[],
        pytorch: "GRU",
        role: Role::Layer,
        params: &[p("hidden", &["hidden_size"])],
        options: &["form", "layers", "dropout"],
        torch_only: &[
            ("input_size", "write the input width as `gru(in -> hidden)`, or leave it out"),
            ("batch_first", "kiln's sequence batches are time-major: remove it"),
            ("num_layers", "write `layers = n` (kiln's name for it)"),
            ("bidirectional", "write `bidirectional(cell, cell)` around two cells"),
        ],
        usage: "`gru(128)` or `gru(65 -> 128)`",
        embedded: true,
        build: |c, cx| boxed(recurrent::RecurrentLayer::parse(c, cx).flatten()),
    },
    Entry {
        name: "rnn",
        aliases: &[],
        pytorch: "RNN",
        role: Role::Layer,
        params: &[p("hidden", &["hidden_size"]), p("activation", &["nonlinearity"])],
        options: &["layers", "dropout"],
        torch_only: &[
            ("input_size", "write the input width as `rnn(in -> hidden)`, or leave it out"),
            ("batch_first", "kiln's sequence batches are time-major: remove it"),
            ("num_layers", "write `layers = n` (kiln's name for it)"),
            ("bidirectional", "write `bidirectional(cell, cell)` around two cells"),
        ],
        usage: "`rnn(128)` or `rnn(128, relu)`",
        embedded: true,
        build: |c, cx| boxed(recurrent::RecurrentLayer::parse(c, cx).flatten()),
    },
    Entry {
        name: "bidirectional",
        aliases: &[],
        pytorch: "LSTM(bidirectional=True)",
        role: Role::Layer,
        params: &[p("forward", &[]), p("backward", &[])],
        options: &[],
        torch_only: &[],
        usage: "`bidirectional(lstm(64), lstm(64))`",
        embedded: false,
        build: |c, cx| boxed(recurrent::RecurrentLayer::parse(c, cx).flatten()),
    },
    Entry {
        name: "prelu",
        aliases: &[],
        pytorch: "PReLU",
        role: Role::Layer,
        params: &[p("slopes", &[])],
        options: &["init"],
        torch_only: &[(
            "num_parameters",
            "write `prelu(per_channel)` for one slope per channel (per feature on flat inputs), `prelu` for one shared slope",
        )],
        usage: "`prelu`, `prelu(per_feature)` or `prelu(per_channel)`",
        embedded: true,
        build: |c, cx| boxed(prelu::PRelu::parse(c, cx)),
    },
    Entry {
        name: "maxout",
        aliases: &[],
        pytorch: "Linear(in, out * k) + max over groups",
        role: Role::Layer,
        params: &[p("out", &[])],
        options: &["pieces", "init"],
        torch_only: &[],
        usage: "`maxout(64, pieces = 3)`",
        embedded: true,
        build: |c, cx| boxed(maxout::Maxout::parse(c, cx)),
    },
    Entry {
        name: "softmax",
        aliases: &[],
        pytorch: "Softmax",
        role: Role::Layer,
        params: &[],
        options: &[],
        torch_only: &[("dim", "kiln applies it over each sample's features: remove it")],
        usage: "`softmax` (probabilities; `softmax_cross_entropy` takes logits, so not before it)",
        embedded: true,
        build: |c, cx| boxed(softmax::Softmax::parse(c, cx)),
    },
    Entry {
        name: "log_softmax",
        aliases: &[],
        pytorch: "LogSoftmax",
        role: Role::Layer,
        params: &[],
        options: &[],
        torch_only: &[("dim", "kiln applies it over each sample's features: remove it")],
        usage: "`log_softmax` (log-probabilities, for `loss: nll`)",
        embedded: true,
        build: |c, cx| boxed(softmax::Softmax::parse(c, cx)),
    },
    over_time("last_step", "output[-1]"),
    over_time("mean_over_time", "output.mean(dim=0)"),
    over_time("max_over_time", "output.amax(dim=0)"),
    activation!("relu", &[], "ReLU"),
    activation!("tanh", &[], "Tanh"),
    activation!("sigmoid", &["logistic"], "Sigmoid"),
    activation!(
        "leaky_relu",
        &[],
        "LeakyReLU",
        &[p("slope", &["negative_slope"])],
        "`leaky_relu` or `leaky_relu(0.2)`"
    ),
    activation!("elu", &[], "ELU", &[p("alpha", &["alpha"])], "`elu` or `elu(1.0)`"),
    activation!("gelu", &[], "GELU"),
    activation!("gelu_tanh", &[], "GELU(approximate='tanh')"),
    activation!("swish", &[], "SiLU"),
    activation!("silu", &[], "SiLU"),
    activation!("softplus", &[], "Softplus"),
    activation!("hard_sigmoid", &[], "Hardsigmoid (slope 1/4)"),
    activation!("hardsigmoid", &[], "Hardsigmoid"),
    activation!("hard_tanh", &["hardtanh"], "Hardtanh"),
    activation!("identity", &["linear_act"], "Identity"),
];

/// Words users write that are no kiln layer, with why and what to write.
pub const NOT_LAYERS: &[(&str, &str)] = &[
    ("sequential", "a network's `layers: [...]` is already a sequence; for a reusable group declare a `block name(params) { ... }` before the struct"),
];

/// The entry named `name` (or one of its aliases).
pub fn lookup(name: &str) -> Option<&'static Entry> {
    KINDS
        .iter()
        .find(|e| e.name == name || e.aliases.contains(&name))
}

/// The entry a PyTorch spelling or a differently cased or underscored name means (`ReLU`,
/// `Conv2d`, `maxpool2d`, `BatchNorm2d`, `Linear`).
pub fn lookup_spelling(name: &str) -> Option<&'static Entry> {
    let f = crate::suggest::folded(name);
    let class = |e: &Entry| {
        let base = e.pytorch.split(['(', ' ']).next().unwrap_or("");
        crate::suggest::folded(base)
    };
    KINDS
        .iter()
        .find(|e| {
            crate::suggest::folded(e.name) == f
                || e.aliases.iter().any(|a| crate::suggest::folded(a) == f)
        })
        .or_else(|| KINDS.iter().find(|e| class(e) == f))
        .or_else(|| match f.as_str() {
            "batchnorm1d" | "bn" => lookup("batch_norm"),
            "maxpool" | "maxpooling2d" => lookup("max_pool2d"),
            "avgpool" | "averagepooling2d" => lookup("avg_pool2d"),
            "globalaveragepooling2d" | "adaptiveavgpool2d" | "globalavgpool2d" => {
                lookup("global_avg_pool")
            }
            _ => None,
        })
}

/// Every name `layers: [...]` accepts, for "did you mean" (entries first, then aliases).
pub fn names() -> Vec<&'static str> {
    let mut v: Vec<&'static str> = KINDS.iter().map(|e| e.name).collect();
    v.extend(KINDS.iter().flat_map(|e| e.aliases.iter().copied()));
    v
}

/// The list of kinds for the unknown-layer message.
pub fn known_list() -> String {
    let (acts, layers): (Vec<&Entry>, Vec<&Entry>) =
        KINDS.iter().partition(|e| e.role == Role::Activation);
    let layers: Vec<&str> = layers.iter().map(|e| e.name).collect();
    let acts: Vec<&str> = acts.iter().map(|e| e.name).collect();
    format!(
        "{}, a block declared with `block`, `residual {{ }}`, `concat {{ }}`, or an activation ({})",
        layers.join(", "),
        acts.join(", ")
    )
}

/// The kinds with an embedded form, for the message of a layer without one.
pub fn embedded_list() -> String {
    let names: Vec<&str> = KINDS
        .iter()
        .filter(|e| e.embedded && e.role != Role::Activation)
        .map(|e| e.name)
        .collect();
    format!(
        "{}, activations, blocks, `residual {{ }}` and `concat {{ }}` of these",
        names.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pytorch_spellings_resolve() {
        for (torch, kiln) in [
            ("ReLU", "relu"),
            ("Conv2d", "conv2d"),
            ("maxpool2d", "max_pool2d"),
            ("MaxPool2d", "max_pool2d"),
            ("BatchNorm2d", "batch_norm2d"),
            ("BatchNorm1d", "batch_norm"),
            ("Linear", "dense"),
            ("LSTM", "lstm"),
            ("LeakyReLU", "leaky_relu"),
            ("AdaptiveAvgPool2d", "global_avg_pool"),
            ("Dropout", "dropout"),
        ] {
            assert_eq!(
                lookup_spelling(torch).map(|e| e.name),
                Some(kiln),
                "{torch}"
            );
        }
        assert!(lookup_spelling("Transformer").is_none());
    }

    #[test]
    fn names_are_unique() {
        let mut all = names();
        all.sort();
        let n = all.len();
        all.dedup();
        assert_eq!(n, all.len());
    }
}
