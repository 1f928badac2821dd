//! The model of a declaration after resolution: every node knows its layer kind (with its
//! checked arguments), where it was written, the chain of block uses that produced it, and
//! its input and output shape. The rules read it; the emitters turn it into code.

use syn::{Attribute, Ident, Visibility};

use crate::kind::LayerKind;
use crate::loc::Loc;
use crate::loss::LossSpec;
use crate::shape::Shape;
use crate::tensors::{TensorDecl, Tensors};

/// A declaration whose every layer is known and every shape agrees.
pub struct Resolved {
    pub attrs: Vec<Attribute>,
    pub vis: Visibility,
    pub name: Ident,
    pub input: Shape,
    pub layers: Vec<Node>,
    pub output: Shape,
    pub loss: LossSpec,
    /// Whether samples are sequences of runtime length (`input: [seq, F]`).
    pub seq: bool,
    /// Whether a reduction over time (`last_step`, ...) makes the output one row per sequence.
    pub reduced: bool,
    /// The fixed number of steps of `input: [seq(n), F]`.
    pub steps: Option<usize>,
    /// Whether to emit the embedded form `{Name}Embedded` (`embedded: true`, or implied by
    /// `weights`).
    pub embedded: bool,
    /// `weights: "file.safetensors"`: weights to bake into `{Name}Embedded::WEIGHTS`.
    pub weights: Option<syn::LitStr>,
    /// `precision: int8`: the embedded form is int8, baked from a quantised file.
    pub int8: bool,
}

/// One block use on the way to a node: `down(128, 2)` of `block down(c, s)`.
#[derive(Clone)]
pub struct UseSite {
    pub block: String,
    /// The use as written, e.g. `down(128, 2)`.
    pub call: String,
    /// `c = 128, s = 2`.
    pub bindings: String,
    pub loc: Loc,
}

/// One emitted layer: `index` is its position in its list (PyTorch's `layers.{index}`).
pub struct Node {
    pub index: usize,
    pub loc: Loc,
    pub kind: Box<dyn LayerKind>,
    pub input: Shape,
    pub output: Shape,
    /// The block uses this node was expanded from, outermost first.
    pub uses: Vec<UseSite>,
}

impl Node {
    /// The PyTorch name prefix of this top-level layer: `layers.{index}`.
    pub fn prefix(&self) -> String {
        format!("layers.{}", self.index)
    }

    /// The tensors of this top-level layer, named under its prefix.
    pub fn tensors(&self) -> Vec<TensorDecl> {
        let mut out = Vec::new();
        let prefix = self.prefix();
        self.kind.tensors(
            &self.input,
            &self.output,
            &prefix,
            &mut Tensors { out: &mut out },
        );
        out
    }
}

impl Resolved {
    /// The input's values per sample, per step for sequences.
    pub fn per_step_input(&self) -> usize {
        if self.seq {
            self.input.0.last().copied().unwrap_or(1)
        } else {
            self.input.numel()
        }
    }

    /// Every tensor of the declaration, layer by layer, as `Network::TENSORS` lists them.
    pub fn tensors(&self) -> Vec<TensorDecl> {
        self.layers.iter().flat_map(Node::tensors).collect()
    }
}
