//! Composite kinds built by `check` from blocks, `residual { } shortcut { }` and
//! `concat { [..], [..] }`: they emit the runtime's `Chain`, `Residual` and `Concat` around the
//! layers inside them. Their shape rules live in `check.rs` (they need the whole sequence).

use proc_macro2::TokenStream;
use quote::quote;

use crate::activation::ActSpec;
use crate::diag::Ctxt;
use crate::embedded_op::EmbeddedLayer;
use crate::kind::{act_tokens, fuse_into, LayerKind, Prev};
use crate::loc::Loc;
use crate::parse::LayerCall;
use crate::shape::Shape;
use crate::tensors::Tensors;
use crate::tokens::{lit, rt};
use crate::tree::Node;

/// A sequence of checked layers: `Chain<T, L0, Chain<T, L1, L2>>`, the layer itself when
/// alone, or `Identity` when empty (an identity shortcut or branch).
///
/// Its tensors are named as the `nn.Sequential` a PyTorch user writes for the same list:
/// each layer under its item's position (`main.0`, `main.2` for `conv, relu, conv`: the fused
/// activation keeps its place), a block used in the list as a nested sequence at its position.
pub struct Seq {
    layers: Vec<Node>,
    identity: Option<Shape>,
}

impl Seq {
    pub fn new(layers: Vec<Node>) -> Self {
        Seq {
            layers,
            identity: None,
        }
    }

    /// Like [`Seq::new`], but an empty sequence is the identity on `shape`.
    pub fn with_identity(layers: Vec<Node>, shape: &Shape) -> Self {
        Seq {
            identity: layers.is_empty().then(|| shape.clone()),
            layers,
        }
    }

    /// A child's type as a row-wise layer: a recurrent one through `OverSteps`.
    fn child_ty(node: &Node) -> TokenStream {
        let rt = rt();
        let ty = node.kind.field_type(&node.input, &node.output);
        if node.kind.recurrent() {
            quote!(#rt::recurrent::OverSteps<T, #ty>)
        } else {
            ty
        }
    }

    fn child_ctor(node: &Node) -> TokenStream {
        let rt = rt();
        let ctor = node.kind.construct(&node.input, &node.output);
        if node.kind.recurrent() {
            quote!(#rt::recurrent::OverSteps::new(#ctor))
        } else {
            ctor
        }
    }

    /// The user-written layer types inside.
    fn custom_types(&self, out: &mut Vec<TokenStream>) {
        self.layers.iter().for_each(|l| l.kind.custom_types(out));
    }

    /// Whether any layer inside is recurrent.
    fn holds_recurrent(&self) -> bool {
        self.layers
            .iter()
            .any(|l| l.kind.recurrent() || l.kind.holds_recurrent())
    }

    fn ty_of(layers: &[Node]) -> TokenStream {
        let rt = rt();
        match layers {
            [] => quote!(#rt::layers::Identity<T, 0>),
            [one] => Self::child_ty(one),
            [first, rest @ ..] => {
                let a = Self::child_ty(first);
                let b = Self::ty_of(rest);
                quote!(#rt::layers::Chain<T, #a, #b>)
            }
        }
    }

    fn ctor_of(layers: &[Node]) -> TokenStream {
        let rt = rt();
        match layers {
            [] => quote!(#rt::layers::Identity::new()),
            [one] => Self::child_ctor(one),
            [first, rest @ ..] => {
                let a = Self::child_ctor(first);
                let b = Self::ctor_of(rest);
                quote!(#rt::layers::Chain::new(#a, #b))
            }
        }
    }

    /// Multiply-accumulates of the list's layers (see `LayerKind::macs`).
    pub fn macs(&self) -> u64 {
        self.layers
            .iter()
            .map(|l| l.kind.macs(&l.input, &l.output))
            .sum()
    }

    /// The tensors named as the list's `nn.Sequential` (see [`Seq`]).
    pub fn tensors(&self, prefix: &str, t: &mut Tensors) {
        for l in &self.layers {
            let at = format!("{prefix}.{}", l.index);
            l.kind.tensors(&l.input, &l.output, &at, t);
        }
    }

    pub fn ty(&self) -> TokenStream {
        match &self.identity {
            Some(s) => {
                let rt = rt();
                let n = lit(s.numel());
                quote!(#rt::layers::Identity<T, #n>)
            }
            None => Self::ty_of(&self.layers),
        }
    }

    pub fn ctor(&self) -> TokenStream {
        match &self.identity {
            Some(_) => {
                let ty = self.ty();
                quote!(<#ty>::new())
            }
            None => Self::ctor_of(&self.layers),
        }
    }
}

impl LayerKind for Seq {
    fn output_shape(&self, _c: &LayerCall, _i: &Shape, _p: &Prev, _cx: &mut Ctxt) -> Option<Shape> {
        self.layers.last().map(|l| l.output.clone())
    }
    fn fuse(&mut self, act: &ActSpec) -> bool {
        // A recurrent layer takes no activation: it becomes a layer of its own.
        self.layers
            .last_mut()
            .is_some_and(|l| !l.kind.recurrent() && l.kind.fuse(act))
    }
    fn holds_recurrent(&self) -> bool {
        Seq::holds_recurrent(self)
    }
    fn custom_types(&self, out: &mut Vec<TokenStream>) {
        Seq::custom_types(self, out)
    }
    fn field_type(&self, _i: &Shape, _o: &Shape) -> TokenStream {
        self.ty()
    }
    fn construct(&self, _i: &Shape, _o: &Shape) -> TokenStream {
        self.ctor()
    }
    fn tensors(&self, _i: &Shape, _o: &Shape, prefix: &str, t: &mut Tensors) {
        Seq::tensors(self, prefix, t)
    }
    fn macs(&self, _i: &Shape, _o: &Shape) -> u64 {
        Seq::macs(self)
    }
    fn embedded(&self, _i: &Shape, _o: &Shape) -> Option<EmbeddedLayer> {
        self.identity.as_ref().map(|_| EmbeddedLayer::pass())
    }
}

/// `act(main(x) + shortcut(x))`.
pub struct Residual {
    main: Seq,
    shortcut: Seq,
    act: Option<ActSpec>,
}

impl Residual {
    pub fn new(main: Seq, shortcut: Seq) -> Self {
        Residual {
            main,
            shortcut,
            act: None,
        }
    }
}

impl LayerKind for Residual {
    fn holds_recurrent(&self) -> bool {
        self.main.holds_recurrent() || self.shortcut.holds_recurrent()
    }
    fn custom_types(&self, out: &mut Vec<TokenStream>) {
        self.main.custom_types(out);
        self.shortcut.custom_types(out);
    }
    fn output_shape(&self, _c: &LayerCall, _i: &Shape, _p: &Prev, _cx: &mut Ctxt) -> Option<Shape> {
        None
    }
    fn fuse(&mut self, act: &ActSpec) -> bool {
        fuse_into(&mut self.act, act)
    }
    fn field_type(&self, _i: &Shape, _o: &Shape) -> TokenStream {
        let rt = rt();
        let (m, s) = (self.main.ty(), self.shortcut.ty());
        quote!(#rt::layers::Residual<T, #m, #s>)
    }
    fn construct(&self, _i: &Shape, _o: &Shape) -> TokenStream {
        let rt = rt();
        let (m, s) = (self.main.ctor(), self.shortcut.ctor());
        let act = act_tokens(self.act.as_ref());
        quote!(#rt::layers::Residual::new(#m, #s, #act))
    }
    fn macs(&self, _i: &Shape, _o: &Shape) -> u64 {
        self.main.macs() + self.shortcut.macs()
    }
    fn tensors(&self, _i: &Shape, _o: &Shape, prefix: &str, t: &mut Tensors) {
        self.main.tensors(&format!("{prefix}.main"), t);
        self.shortcut.tensors(&format!("{prefix}.shortcut"), t);
    }
}

/// Branches joined on channels: `Concat<T, B0, Concat<T, B1, B2>>`.
pub struct Concat {
    branches: Vec<Seq>,
}

impl Concat {
    pub fn new(branches: Vec<Seq>) -> Self {
        Concat { branches }
    }
}

impl LayerKind for Concat {
    fn holds_recurrent(&self) -> bool {
        self.branches.iter().any(Seq::holds_recurrent)
    }
    fn custom_types(&self, out: &mut Vec<TokenStream>) {
        self.branches.iter().for_each(|b| b.custom_types(out));
    }
    fn output_shape(&self, _c: &LayerCall, _i: &Shape, _p: &Prev, _cx: &mut Ctxt) -> Option<Shape> {
        None
    }
    fn field_type(&self, _i: &Shape, _o: &Shape) -> TokenStream {
        let rt = rt();
        let mut tys: Vec<TokenStream> = self.branches.iter().map(Seq::ty).collect();
        let mut acc = tys.pop().unwrap_or_default();
        while let Some(t) = tys.pop() {
            acc = quote!(#rt::layers::Concat<T, #t, #acc>);
        }
        acc
    }
    fn construct(&self, _i: &Shape, _o: &Shape) -> TokenStream {
        let rt = rt();
        let mut cs: Vec<TokenStream> = self.branches.iter().map(Seq::ctor).collect();
        let mut acc = cs.pop().unwrap_or_default();
        while let Some(c) = cs.pop() {
            acc = quote!(#rt::layers::Concat::new(#c, #acc));
        }
        acc
    }
    fn macs(&self, _i: &Shape, _o: &Shape) -> u64 {
        self.branches.iter().map(Seq::macs).sum()
    }
    /// Branch `k` is `prefix.k`, as an `nn.ModuleList` of the branches.
    fn tensors(&self, _i: &Shape, _o: &Shape, prefix: &str, t: &mut Tensors) {
        for (k, b) in self.branches.iter().enumerate() {
            b.tensors(&format!("{prefix}.{k}"), t);
        }
    }
}

/// What a composite holds, for the embedded layout.
pub enum Parts<'a> {
    /// A block's layers, run in order.
    List(&'a [Node]),
    /// `act(main(x) + shortcut(x))`; an empty shortcut is the identity.
    Residual {
        main: &'a [Node],
        shortcut: &'a [Node],
        act: Option<&'a ActSpec>,
    },
    /// Branches on the same input, their outputs side by side.
    Concat(Vec<&'a [Node]>),
}

/// The parts of a composite kind; `None` for any other kind (and an empty list, which is the
/// identity and runs as one).
pub fn parts(kind: &dyn LayerKind) -> Option<Parts<'_>> {
    let any = kind.as_any();
    if let Some(s) = any.downcast_ref::<Seq>() {
        return s.identity.is_none().then_some(Parts::List(&s.layers));
    }
    if let Some(r) = any.downcast_ref::<Residual>() {
        return Some(Parts::Residual {
            main: &r.main.layers,
            shortcut: &r.shortcut.layers,
            act: r.act.as_ref(),
        });
    }
    let c = any.downcast_ref::<Concat>()?;
    Some(Parts::Concat(
        c.branches.iter().map(|b| &b.layers[..]).collect(),
    ))
}

/// The message for residual branches that disagree, with the projection that fits the shape.
pub fn residual_mismatch(main: &Shape, shortcut: &Shape, identity: bool) -> String {
    let fix = match (identity, main.0.as_slice()) {
        (false, _) => String::new(),
        (true, [n]) => format!("; add a projection, e.g. `shortcut {{ dense({n}) }}`"),
        (true, [c, h, _]) => {
            let sh = shortcut.0.get(1).copied().unwrap_or(*h);
            let stride = match sh.checked_div(*h) {
                Some(1) => String::new(),
                Some(s) if s * h == sh => format!(", {s}"),
                _ => ", stride".to_string(),
            };
            format!("; add a projection, e.g. `shortcut {{ conv2d({c}, 1{stride}) }}`")
        }
        (true, _) => String::new(),
    };
    format!("the branches of this residual block disagree: the main branch produces {main}, the shortcut {shortcut}{fix}")
}

/// The shape of branches joined on channels: `[c_i, H, W]` with equal `H, W` give
/// `[sum c_i, H, W]`; flat `[n_i]` give `[sum n_i]`.
pub fn concat_shape(outs: &[Shape], loc: &Loc, cx: &mut Ctxt) -> Option<Shape> {
    let first = &outs[0];
    for (b, o) in outs.iter().enumerate().skip(1) {
        if o.0.len() != first.0.len() || o.0[1..] != first.0[1..] {
            let what = if first.0.len() == 3 {
                "height and width"
            } else {
                "shape apart from the first dimension"
            };
            cx.error_spanned_by(
                loc,
                format!("concatenated branches must agree in {what}: branch 0 produces {first}, branch {b} produces {o}"),
            );
            return None;
        }
    }
    let mut dims = first.0.clone();
    dims[0] = outs.iter().map(|o| o.0[0]).sum();
    Some(Shape(dims))
}
