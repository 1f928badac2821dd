//! Items to nodes: resolves every call to its layer kind through the registry, expands blocks
//! and composites, fuses activations into the layer before them, and threads the per-sample
//! shape through each list with the kinds' shape rules.
//!
//! After a mistake the shape becomes unknown, and no error is derived from an unknown shape;
//! the next layer that declares its output (`dense(10)`, `dense(256 -> 128)`, a `shape = [..]`
//! annotation) makes it known again, so independent mistakes further on are each reported.

use crate::activation::ActSpec;
use crate::diag::{span_key, Ctxt, Diag};
use crate::kind::{LayerKind, Prev};
use crate::layers::{activation::ActLayer, compose, custom::Custom, flatten};
use crate::options;
use crate::parse::{Arg, BlockDef, CustomItem, Item, LayerCall, Value};
use crate::registry::{self, Role};
use crate::shape::{Shape, MAX_NUMEL};
use crate::tree::{Node, UseSite};

/// Where a list of items sits, for messages, and the blocks it may use.
pub struct Scope<'a> {
    /// Whether samples are sequences (`input: [seq, F]`).
    pub seq: bool,
    pub blocks: &'a [BlockDef],
    /// `layers`, `layers[3].main`, ...
    pub path: String,
    pub depth: usize,
    /// The block uses this list was expanded from, outermost first.
    pub uses: Vec<UseSite>,
}

impl Scope<'_> {
    fn child(&self, path: String) -> Scope<'_> {
        Scope {
            blocks: self.blocks,
            path,
            depth: self.depth + 1,
            seq: self.seq,
            uses: self.uses.clone(),
        }
    }
}

/// The nodes of a list and the shape after it (`None`: unknown after a mistake).
pub struct Resolution {
    pub nodes: Vec<Node>,
    pub output: Option<Shape>,
    /// Whether a reduction over time ended the per-step part (`last_step`, ...).
    pub reduced: bool,
}

/// Resolves `items` from `input`.
pub fn resolve_list(
    items: &[Item],
    input: Option<Shape>,
    scope: &Scope,
    cx: &mut Ctxt,
) -> Resolution {
    let mut w = Walker {
        nodes: Vec::new(),
        shape: input,
        fusable: false,
        reduced: None,
    };
    if scope.depth > 16 {
        if let Some(first) = items.first() {
            cx.error_spanned_by(
                first.loc(),
                "blocks nest more than 16 deep; does a block use itself?",
            );
        }
        return Resolution {
            nodes: w.nodes,
            output: None,
            reduced: false,
        };
    }
    for (index, item) in items.iter().enumerate() {
        let prev_what = match index {
            0 if scope.depth == 0 => "the network input".to_string(),
            0 => format!("the input of {}", scope.path),
            i => format!("`{}` ({}[{}])", items[i - 1].name(), scope.path, i - 1),
        };
        let at = At {
            index,
            prev: Prev { what: &prev_what },
            here: format!("{}[{index}]", scope.path),
        };
        if !cx.spend_work() {
            w.lose();
            break;
        }
        match item {
            Item::Call(call) => w.call(call, &at, scope, cx),
            Item::Residual {
                kw,
                main,
                shortcut,
                loc,
            } => w.residual(kw, main, shortcut.as_deref(), *loc, &at, scope, cx),
            Item::Concat { kw, branches, loc } => w.concat(kw, branches, *loc, &at, scope, cx),
            Item::Custom(c) => w.custom(c, &at, scope, cx),
        }
        if let Some(big) = w.shape.as_ref().filter(|s| s.numel() > MAX_NUMEL) {
            cx.error_spanned_by(
                item.loc(),
                format!(
                    "`{}` produces {big} per sample, more than kiln's limit of {MAX_NUMEL} values",
                    item.name()
                ),
            );
            w.lose();
        }
    }
    Resolution {
        nodes: w.nodes,
        output: w.shape,
        reduced: w.reduced.is_some(),
    }
}

/// The position of an item in its list, for names and messages.
struct At<'a> {
    index: usize,
    prev: Prev<'a>,
    here: String,
}

/// The state of one list's walk.
struct Walker {
    nodes: Vec<Node>,
    shape: Option<Shape>,
    /// Whether the last node may take a following activation.
    fusable: bool,
    /// The reduction over time that ended the per-step part, as `` `last_step` (layers[2]) ``.
    reduced: Option<String>,
}

impl Walker {
    fn push(&mut self, node: Node, fusable: bool) {
        self.shape = Some(node.output.clone());
        self.fusable = fusable;
        self.nodes.push(node);
    }

    /// After a mistake: the shape is unknown until a layer declares its own.
    fn lose(&mut self) {
        self.shape = None;
        self.fusable = false;
    }

    fn call(&mut self, call: &LayerCall, at: &At, scope: &Scope, cx: &mut Ctxt) {
        let name = call.name.to_string();
        if let Some(block) = scope.blocks.iter().find(|b| b.name == call.name) {
            return self.block(block, call, at, scope, cx);
        }
        let Some(entry) = registry::lookup(&name) else {
            options::unknown_layer(call, scope.blocks, cx);
            return self.lose();
        };
        if !options::check(entry, call, cx) {
            return self.lose();
        }
        match entry.role {
            Role::Reshape => self.flatten(call, at, cx),
            Role::Activation => match ActSpec::parse(call, cx).flatten() {
                Some(act) => self.activation(act, call, at),
                None => self.lose(),
            },
            Role::Layer => match (entry.build)(call, cx) {
                Some(kind) => self.layer(kind, call, at, scope, cx),
                None => self.lose(),
            },
        }
    }

    /// A user type: a PyTorch spelling written bare (`ReLU`, `Flatten`) gets its hint, any
    /// other type is a custom layer.
    fn custom(&mut self, item: &CustomItem, at: &At, scope: &Scope, cx: &mut Ctxt) {
        let call = LayerCall {
            name: match item.path.segments.last() {
                Some(seg) => seg.ident.clone(),
                None => return self.lose(),
            },
            args: Vec::new(),
            loc: item.loc,
        };
        let bare = item.path.get_ident().is_some() && item.out.is_none();
        if bare && options::means_builtin(&call.name.to_string()) {
            options::unknown_layer(&call, scope.blocks, cx);
            return self.lose();
        }
        match Custom::parse(item, cx) {
            Some(kind) => self.layer(Box::new(kind), &call, at, scope, cx),
            None => self.lose(),
        }
    }

    fn flatten(&mut self, call: &LayerCall, at: &At, cx: &mut Ctxt) {
        match self.shape.take() {
            Some(cur) => {
                let was = cx.set_shape_mode(true);
                self.shape = flatten::output_shape(call, &cur, &at.prev, cx);
                cx.set_shape_mode(was);
            }
            None => {
                // Unknown input: the annotation, if any, says the size.
                self.shape = flatten::check_args(call, cx)
                    .flatten()
                    .map(|(n, _)| Shape::flat(n));
            }
        }
    }

    fn activation(&mut self, act: ActSpec, call: &LayerCall, at: &At) {
        if self.fusable {
            if let Some(last) = self.nodes.last_mut() {
                if last.kind.fuse(&act) {
                    self.fusable = false;
                    return;
                }
            }
        }
        let Some(cur) = self.shape.clone() else {
            return;
        };
        let node = Node {
            index: at.index,
            loc: call.loc,
            kind: Box::new(ActLayer { act }),
            input: cur.clone(),
            output: cur,
            uses: Vec::new(),
        };
        self.push(node, false);
    }

    fn layer(
        &mut self,
        kind: Box<dyn LayerKind>,
        call: &LayerCall,
        at: &At,
        scope: &Scope,
        cx: &mut Ctxt,
    ) {
        if kind.recurrent() {
            if let Some(r) = &self.reduced {
                let msg = if kind.reduces_time() {
                    format!("{r} already reduced each sequence to one row; a network reduces over time once, so remove `{}` or that one", call.name)
                } else {
                    format!("`{}` runs over the steps of a sequence, but {r} already reduced each sequence to one row; put `{}` before it", call.name, call.name)
                };
                cx.error_spanned_by(call.loc, msg);
                return self.lose();
            }
            if !recurrent_allowed(call, scope, cx) {
                return self.lose();
            }
        }
        if kind.reduces_time() {
            if scope.depth > 0 {
                cx.error_spanned_by(call.loc, format!("`{}` cannot be used inside a block, residual or concat yet; put it in `layers: [...]` directly", call.name));
                return self.lose();
            }
            self.reduced = Some(format!("`{}` ({})", call.name, at.here));
        }
        let output = match self.shape.take() {
            Some(cur) => {
                let was = cx.set_shape_mode(true);
                let out = kind.output_shape(call, &cur, &at.prev, cx);
                cx.set_shape_mode(was);
                out.map(|o| (cur, o))
            }
            None => None,
        };
        match output {
            Some((input, output)) => self.push(
                Node {
                    index: at.index,
                    loc: call.loc,
                    kind,
                    input,
                    output,
                    uses: scope.uses.clone(),
                },
                true,
            ),
            None => {
                self.shape = kind.declared_output();
                self.fusable = false;
            }
        }
    }

    fn block(&mut self, block: &BlockDef, call: &LayerCall, at: &At, scope: &Scope, cx: &mut Ctxt) {
        if let Some(outer) = scope.uses.iter().find(|u| block.name == u.block) {
            cx.error_spanned_by(
                call.loc,
                format!("block `{}` uses itself (inside `{}`); a block cannot repeat itself, list the layers or use the block several times in `layers`", block.name, outer.call),
            );
            return self.lose();
        }
        let Some((items, site)) = instantiate(block, call, cx) else {
            return self.lose();
        };
        let mut inner = cx.child();
        let mut child = scope.child(format!("{} (`{}`)", at.here, block.name));
        child.uses.push(site.clone());
        let r = resolve_list(&items, self.shape.take(), &child, &mut inner);
        cx.absorb_work(&inner);
        relocate(inner, &site, &items_spans(block), cx);
        let Some(out) = r.output else {
            return self.lose();
        };
        let Some(input) = r.nodes.first().map(|l| l.input.clone()) else {
            // A block that only reshapes (or only holds activations fused elsewhere).
            self.shape = Some(out);
            return;
        };
        let node = Node {
            index: at.index,
            loc: call.loc,
            kind: Box::new(compose::Seq::new(r.nodes)),
            input,
            output: out,
            uses: scope.uses.clone(),
        };
        self.push(node, true);
    }

    #[allow(clippy::too_many_arguments)]
    fn residual(
        &mut self,
        kw: &syn::Ident,
        main: &[Item],
        shortcut: Option<&[Item]>,
        loc: crate::loc::Loc,
        at: &At,
        scope: &Scope,
        cx: &mut Ctxt,
    ) {
        if main.is_empty() {
            cx.error_spanned_by(
                kw,
                "`residual { ... }` needs at least one layer in its main branch",
            );
        }
        let cur = self.shape.take();
        let m = resolve_list(
            main,
            cur.clone(),
            &scope.child(format!("{}.main", at.here)),
            cx,
        );
        let s = match shortcut {
            Some(items) => resolve_list(
                items,
                cur.clone(),
                &scope.child(format!("{}.shortcut", at.here)),
                cx,
            ),
            None => Resolution {
                nodes: Vec::new(),
                output: cur.clone(),
                reduced: false,
            },
        };
        let (Some(cur), Some(mout), Some(sout), false) = (cur, m.output, s.output, main.is_empty())
        else {
            return self.lose();
        };
        if mout != sout {
            let was = cx.set_shape_mode(true);
            cx.error_spanned_by(
                loc,
                compose::residual_mismatch(&mout, &sout, shortcut.is_none()),
            );
            cx.set_shape_mode(was);
            // Both branches declare what they produce; the main branch's is what follows.
            self.shape = Some(mout);
            self.fusable = false;
            return;
        }
        let kind = compose::Residual::new(
            compose::Seq::with_identity(m.nodes, &cur),
            compose::Seq::with_identity(s.nodes, &cur),
        );
        let node = Node {
            index: at.index,
            loc,
            kind: Box::new(kind),
            input: cur,
            output: mout,
            uses: scope.uses.clone(),
        };
        self.push(node, true);
    }

    fn concat(
        &mut self,
        kw: &syn::Ident,
        branches: &[Vec<Item>],
        loc: crate::loc::Loc,
        at: &At,
        scope: &Scope,
        cx: &mut Ctxt,
    ) {
        if branches.len() < 2 {
            cx.error_spanned_by(kw, "`concat { [..], [..] }` needs at least two branches");
        }
        let cur = self.shape.take();
        let mut seqs = Vec::new();
        let mut outs = Vec::new();
        for (b, items) in branches.iter().enumerate() {
            let r = resolve_list(
                items,
                cur.clone(),
                &scope.child(format!("{}.{b}", at.here)),
                cx,
            );
            if let Some(c) = &cur {
                seqs.push(compose::Seq::with_identity(r.nodes, c));
            }
            outs.push(r.output);
        }
        let (Some(cur), Some(outs), true) = (
            cur,
            outs.into_iter().collect::<Option<Vec<_>>>(),
            branches.len() >= 2,
        ) else {
            return self.lose();
        };
        let was = cx.set_shape_mode(true);
        let out = compose::concat_shape(&outs, &loc, cx);
        cx.set_shape_mode(was);
        let Some(out) = out else {
            return self.lose();
        };
        let node = Node {
            index: at.index,
            loc,
            kind: Box::new(compose::Concat::new(seqs)),
            input: cur,
            output: out,
            uses: scope.uses.clone(),
        };
        self.push(node, false);
    }
}

/// Recurrent layers need a sequence input and, for now, the top level of `layers`.
fn recurrent_allowed(call: &LayerCall, scope: &Scope, cx: &mut Ctxt) -> bool {
    if !scope.seq {
        cx.error_spanned_by(
            call.loc,
            format!(
                "`{}` runs over sequences: declare the input as `input: [seq, features]`",
                call.name
            ),
        );
        return false;
    }
    true
}

/// The items of `block` with its parameters replaced by the call's arguments, and the use.
fn instantiate(block: &BlockDef, call: &LayerCall, cx: &mut Ctxt) -> Option<(Vec<Item>, UseSite)> {
    let mut positional = Vec::new();
    for a in &call.args {
        match a {
            Arg::Positional(v) => positional.push(v.clone()),
            other => cx.error_spanned_by(
                crate::parse::arg_loc(other),
                format!("block `{}` takes plain values in order", block.name),
            ),
        }
    }
    let names: Vec<String> = block.params.iter().map(|p| p.to_string()).collect();
    if positional.len() != block.params.len() || positional.len() != call.args.len() {
        cx.error_spanned_by(
            call.loc,
            format!(
                "block `{}` takes {} argument(s) ({}), got {}",
                block.name,
                block.params.len(),
                names.join(", "),
                call.args.len()
            ),
        );
        return None;
    }
    let map: Vec<(String, Value)> = names
        .iter()
        .cloned()
        .zip(positional.iter().cloned())
        .collect();
    let shown: Vec<String> = positional.iter().map(Value::source).collect();
    let bindings: Vec<String> = names
        .iter()
        .zip(&shown)
        .map(|(n, v)| format!("{n} = {v}"))
        .collect();
    let site = UseSite {
        block: block.name.to_string(),
        call: format!("{}({})", block.name, shown.join(", ")),
        bindings: bindings.join(", "),
        loc: call.loc,
    };
    Some((
        block.items.iter().map(|i| i.substitute(&map)).collect(),
        site,
    ))
}

/// Where the block's body uses its parameters (the places whose value a use decides).
fn items_spans(block: &BlockDef) -> Vec<String> {
    let mut spans = Vec::new();
    for item in &block.items {
        item.visit_idents(&mut |i| {
            if block.params.iter().any(|p| p == i) {
                spans.push(span_key(i.span()));
            }
        });
    }
    spans
}

/// Errors found while checking one use of a block: a mistake the use's values or input shape
/// cause is reported at the use, naming the block and the values, with a note at the body
/// token; a mistake in the body itself stays in the body (recorded once for all uses).
fn relocate(mut inner: Ctxt, site: &UseSite, param_spans: &[String], cx: &mut Ctxt) {
    for d in inner.take_errors() {
        if !d.from_shape && !param_spans.contains(&span_key(d.start)) {
            cx.push(d);
            continue;
        }
        let (start, end) = (site.loc.start, site.loc.end);
        cx.push(Diag {
            start,
            end,
            message: format!(
                "in `{}` (block `{}` with {}): {}",
                site.call, site.block, site.bindings, d.message
            ),
            note: Some((
                d.start,
                format!(
                    "the layer of block `{}` that fails for {}",
                    site.block, site.bindings
                ),
            )),
            from_shape: true,
        });
    }
}
