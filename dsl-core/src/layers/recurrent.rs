//! Recurrent layers over sequences (`input: [seq, F]`, time-major batches):
//! `lstm(hidden)` (option `forget_bias = 1.0`, added to the forget gate's bias so the memory
//! stays open early in training), `gru(hidden)` (option `form = pytorch | reset_before`:
//! PyTorch's reset gate applied after the recurrent product, or the original GRU's (Cho et al.,
//! 2014) before it; `form = notes` is the old spelling of `reset_before`), `rnn(hidden)` /
//! `rnn(hidden, relu)`, and `bidirectional(lstm(a), gru(b))`
//! (directions of possibly different widths, outputs concatenated per step). Stacking is one
//! layer after another. Shape rule: `[F]` per step -> `[hidden]` per step. They emit the
//! runtime's `Lstm`, `Gru`, `Rnn`, `Bidirectional`, driven through its `Recurrent` trait
//! (BPTT written out by the runtime layer, one call per layer in the generated backward).

use proc_macro2::TokenStream;
use quote::quote;

use crate::args::{count, number, Args};
use crate::diag::Ctxt;
use crate::embedded_op::{Config, EmbeddedLayer, Op, StepCall};
use crate::kind::{flat_input, LayerKind, Prev};
use crate::loc::Loc;
use crate::parse::{arg_loc, Arg, LayerCall, Value};
use crate::shape::Shape;
use crate::tensors::Tensors;
use crate::tokens::{lit, rt};

/// One recurrent cell.
#[derive(Clone)]
enum Cell {
    Lstm {
        hidden: usize,
        forget_bias: f64,
    },
    /// `reset_before`: the reset gate acts on `h` before the recurrent product
    /// (`GruForm::ResetBefore`) instead of after it (`GruForm::PyTorch`).
    Gru {
        hidden: usize,
        reset_before: bool,
    },
    Rnn {
        hidden: usize,
        relu: bool,
    },
}

impl Cell {
    fn hidden(&self) -> usize {
        match *self {
            Cell::Lstm { hidden, .. } | Cell::Gru { hidden, .. } | Cell::Rnn { hidden, .. } => {
                hidden
            }
        }
    }

    /// Gate blocks stacked in the weights (PyTorch's `4 * hidden` rows for an LSTM).
    fn gates(&self) -> usize {
        match self {
            Cell::Lstm { .. } => 4,
            Cell::Gru { .. } => 3,
            Cell::Rnn { .. } => 1,
        }
    }

    /// PyTorch's `weight_ih_l{level}` .. `bias_hh_l{level}` (with `suffix`, e.g. `_reverse`).
    fn tensors(&self, input: usize, level: usize, prefix: &str, suffix: &str, t: &mut Tensors) {
        let (h, g) = (self.hidden(), self.gates() * self.hidden());
        t.param(prefix, &format!("weight_ih_l{level}{suffix}"), &[g, input]);
        t.param(prefix, &format!("weight_hh_l{level}{suffix}"), &[g, h]);
        t.param(prefix, &format!("bias_ih_l{level}{suffix}"), &[g]);
        t.param(prefix, &format!("bias_hh_l{level}{suffix}"), &[g]);
    }

    fn ty(&self, input: usize) -> TokenStream {
        let rt = rt();
        let (i, h) = (lit(input), lit(self.hidden()));
        match self {
            Cell::Lstm { .. } => quote!(#rt::recurrent::Lstm<T, #i, #h>),
            Cell::Gru { .. } => quote!(#rt::recurrent::Gru<T, #i, #h>),
            Cell::Rnn { .. } => quote!(#rt::recurrent::Rnn<T, #i, #h>),
        }
    }

    fn ctor(&self, input: usize) -> TokenStream {
        let rt = rt();
        let ty = self.ty(input);
        match *self {
            Cell::Lstm { forget_bias, .. } => quote!(<#ty>::new(#forget_bias, rng)?),
            Cell::Gru { reset_before, .. } => {
                let form = if reset_before {
                    quote!(ResetBefore)
                } else {
                    quote!(PyTorch)
                };
                quote!(<#ty>::new(#rt::recurrent::GruForm::#form, rng)?)
            }
            Cell::Rnn { relu, .. } => {
                let act = if relu { quote!(Relu) } else { quote!(Tanh) };
                quote!(<#ty>::new(#rt::activation::Activation::#act, rng)?)
            }
        }
    }

    /// `lstm(256, forget_bias = 1.0)` and friends, from a layer call or a nested value.
    fn parse(
        name: &str,
        args: &[Arg],
        loc: Loc,
        declared_in: &std::cell::Cell<Option<(usize, Loc)>>,
        cx: &mut Ctxt,
    ) -> Option<Option<Cell>> {
        if !matches!(name, "lstm" | "gru" | "rnn") {
            return None;
        }
        let call = LayerCall {
            name: proc_macro2::Ident::new(name, loc.start),
            args: args.to_vec(),
            loc,
        };
        let mut a = Args::new(&call);
        let hidden = match a.positional(0) {
            Some(Arg::Positional(v)) => count(v, &format!("the hidden size of `{name}`"), 1, cx),
            Some(Arg::Arrow(i, v)) => {
                if let Some(n) = count(i, &format!("the input width of `{name}`"), 1, cx) {
                    declared_in.set(Some((n, i.loc())));
                }
                count(v, &format!("the hidden size of `{name}`"), 1, cx)
            }
            _ => {
                cx.error_spanned_by(
                    loc,
                    format!("`{name}` needs its hidden size, e.g. `{name}(256)`"),
                );
                None
            }
        };
        let cell = match name {
            "lstm" => {
                let fb = match a.named("forget_bias", cx) {
                    Some(v) => number(v, "`forget_bias`", |_| true, "a number", cx),
                    None => Some(0.0),
                };
                a.finish(cx, "`lstm`", "a hidden size and `forget_bias = ...`");
                Cell::Lstm {
                    hidden: hidden?,
                    forget_bias: fb?,
                }
            }
            "gru" => {
                let reset_before = match a.named("form", cx) {
                    // `notes` is the old spelling of `reset_before`, still accepted.
                    Some(Value::Ident(i)) if i == "reset_before" || i == "notes" => Some(true),
                    Some(Value::Ident(i)) if i == "pytorch" => Some(false),
                    Some(other) => {
                        cx.error_spanned_by(other.loc(), "`form` of `gru` is `pytorch` (reset gate after the recurrent product, nn.GRU) or `reset_before` (before it)");
                        None
                    }
                    None => Some(false),
                };
                a.finish(
                    cx,
                    "`gru`",
                    "a hidden size and `form = pytorch | reset_before`",
                );
                Cell::Gru {
                    hidden: hidden?,
                    reset_before: reset_before?,
                }
            }
            _ => {
                let relu = match a.positional(1) {
                    Some(Arg::Positional(Value::Ident(i))) if i == "tanh" => Some(false),
                    Some(Arg::Positional(Value::Ident(i))) if i == "relu" => Some(true),
                    Some(other) => {
                        cx.error_spanned_by(
                            arg_loc(other),
                            "the activation of `rnn` is `tanh` (default) or `relu`, as in nn.RNN",
                        );
                        None
                    }
                    None => Some(false),
                };
                a.finish(
                    cx,
                    "`rnn`",
                    "a hidden size and an activation (`tanh` or `relu`)",
                );
                Cell::Rnn {
                    hidden: hidden?,
                    relu: relu?,
                }
            }
        };
        Some(Some(cell))
    }
}

/// A recurrent layer: one cell (stacked `layers` times), or two directions.
pub struct RecurrentLayer {
    fwd: Cell,
    bwd: Option<Cell>,
    /// An `in -> hidden` annotation of a single cell, checked against the actual input.
    declared_in: Option<(usize, Loc)>,
    /// PyTorch's `num_layers`: the cell stacked this many times (`layers = n`).
    layers: usize,
    /// PyTorch's `dropout` between stacked layers.
    dropout: f64,
}

/// `layers = n` and `dropout = p` of a single cell, and the other arguments.
fn stack_options(call: &LayerCall, cx: &mut Ctxt) -> (Option<(usize, f64)>, Vec<Arg>) {
    let mut rest = Vec::new();
    let (mut layers, mut dropout) = (Some(1), Some(0.0));
    let mut dropout_at = None;
    for a in &call.args {
        match a {
            Arg::Named(k, v) if k == "layers" => {
                layers = count(v, &format!("the layer count of `{}`", call.name), 1, cx)
            }
            Arg::Named(k, v) if k == "dropout" => {
                dropout = number(
                    v,
                    "the dropout between stacked layers",
                    |p| (0.0..1.0).contains(&p),
                    "in [0, 1)",
                    cx,
                );
                dropout_at = Some(v.loc());
            }
            other => rest.push(other.clone()),
        }
    }
    if let (Some(1), Some(p), Some(loc)) = (layers, dropout, dropout_at) {
        if p > 0.0 {
            cx.error_spanned_by(loc, format!("`dropout` applies between stacked layers, and `{}` has one; write `layers = 2` or more, or a `dropout({p:?})` layer after it", call.name));
            return (None, rest);
        }
    }
    (layers.zip(dropout), rest)
}

impl RecurrentLayer {
    /// `None` if the call is no recurrent layer; `Some(None)` if it is but has errors.
    pub fn parse(call: &LayerCall, cx: &mut Ctxt) -> Option<Option<Self>> {
        let name = call.name.to_string();
        if name == "bidirectional" {
            let mut cells = Vec::new();
            for a in &call.args {
                match a {
                    Arg::Positional(Value::Call(n, inner, _))
                        if inner.iter().any(
                            |i| matches!(i, Arg::Named(k, _) if k == "layers" || k == "dropout"),
                        ) =>
                    {
                        cx.error_spanned_by(n, "stacked cells inside `bidirectional` are not available yet; write one `bidirectional(..)` per layer");
                        cells.push(None);
                    }
                    Arg::Positional(Value::Call(n, inner, loc)) => {
                        match Cell::parse(&n.to_string(), inner, *loc, &Default::default(), cx) {
                            Some(c) => cells.push(c),
                            None => {
                                cx.error_spanned_by(n, format!("`bidirectional` takes recurrent cells (`lstm`, `gru`, `rnn`), not `{n}`"));
                                cells.push(None);
                            }
                        }
                    }
                    other => {
                        cx.error_spanned_by(arg_loc(other), "`bidirectional` takes two cells, e.g. `bidirectional(lstm(128), lstm(64))`");
                        cells.push(None);
                    }
                }
            }
            if cells.len() != 2 {
                cx.error_spanned_by(
                    call.loc,
                    format!(
                        "`bidirectional` takes exactly two cells (forward, backward), got {}",
                        cells.len()
                    ),
                );
                return Some(None);
            }
            let b = cells.pop().flatten();
            let f = cells.pop().flatten();
            return Some(match (f, b) {
                (Some(fwd), Some(bwd)) => Some(RecurrentLayer {
                    fwd,
                    bwd: Some(bwd),
                    declared_in: None,
                    layers: 1,
                    dropout: 0.0,
                }),
                _ => None,
            });
        }
        let declared = std::cell::Cell::new(None);
        let (stack, rest) = stack_options(call, cx);
        let cell = Cell::parse(&name, &rest, call.loc, &declared, cx)?;
        Some(
            cell.zip(stack)
                .map(|(fwd, (layers, dropout))| RecurrentLayer {
                    fwd,
                    bwd: None,
                    declared_in: declared.get(),
                    layers,
                    dropout,
                }),
        )
    }
}

impl RecurrentLayer {
    /// The cell at each level (`cell(cell, level)`), nested right to left with
    /// `join(lower, upper, level)`: `Stacked<L0, Stacked<L1, L2>>`.
    fn stacked(
        &self,
        cell: impl Fn(&Cell, usize) -> TokenStream,
        join: impl Fn(TokenStream, TokenStream, usize) -> TokenStream,
    ) -> TokenStream {
        let mut acc = cell(&self.fwd, self.layers - 1);
        for level in (0..self.layers - 1).rev() {
            acc = join(cell(&self.fwd, level), acc, level);
        }
        acc
    }
}

impl LayerKind for RecurrentLayer {
    fn declared_output(&self) -> Option<Shape> {
        Some(Shape::flat(
            self.fwd.hidden() + self.bwd.as_ref().map_or(0, Cell::hidden),
        ))
    }

    fn output_shape(
        &self,
        call: &LayerCall,
        input: &Shape,
        prev: &Prev,
        cx: &mut Ctxt,
    ) -> Option<Shape> {
        let n = flat_input(call, input, prev, cx)?;
        if let Some((declared, loc)) = self.declared_in {
            if declared != n {
                let h = self.fwd.hidden();
                cx.error_spanned_by(
                    loc,
                    format!("`{}({declared} -> {h})` expects input [{declared}] per step, but receives [{n}] from {}; write `{}({n} -> {h})`", call.name, prev.what, call.name),
                );
                return None;
            }
        }
        Some(Shape::flat(
            self.fwd.hidden() + self.bwd.as_ref().map_or(0, Cell::hidden),
        ))
    }

    fn recurrent(&self) -> bool {
        true
    }

    fn field_type(&self, input: &Shape, _output: &Shape) -> TokenStream {
        let rt = rt();
        let n = input.numel();
        match &self.bwd {
            None => self.stacked(
                |cell, level| cell.ty(if level == 0 { n } else { cell.hidden() }),
                |lo, up, _| quote!(#rt::recurrent::Stacked<T, #lo, #up>),
            ),
            Some(b) => {
                let (f, b) = (self.fwd.ty(n), b.ty(n));
                quote!(#rt::recurrent::Bidirectional<T, #f, #b>)
            }
        }
    }

    fn construct(&self, input: &Shape, _output: &Shape) -> TokenStream {
        let rt = rt();
        let n = input.numel();
        let p = self.dropout;
        match &self.bwd {
            None => self.stacked(
                |cell, level| cell.ctor(if level == 0 { n } else { cell.hidden() }),
                |lo, up, level| quote!(#rt::recurrent::Stacked::new(#lo, #up, #p, #level)?),
            ),
            Some(b) => {
                let (f, b) = (self.fwd.ctor(n), b.ctor(n));
                quote!(#rt::recurrent::Bidirectional::new(#f, #b))
            }
        }
    }

    /// One cell, or both directions: PyTorch's `_reverse` names when they are the same cell
    /// (one `nn.LSTM(bidirectional=True)`), otherwise the two cells as an `nn.ModuleList`:
    /// `prefix.0` runs forward, `prefix.1` backward.
    fn tensors(&self, input: &Shape, _output: &Shape, prefix: &str, t: &mut Tensors) {
        let n = input.numel();
        match &self.bwd {
            None => {
                for level in 0..self.layers {
                    let input = if level == 0 { n } else { self.fwd.hidden() };
                    self.fwd.tensors(input, level, prefix, "", t);
                }
            }
            Some(b) => {
                let same = std::mem::discriminant(&self.fwd) == std::mem::discriminant(b)
                    && self.fwd.hidden() == b.hidden();
                if same {
                    self.fwd.tensors(n, 0, prefix, "", t);
                    b.tensors(n, 0, prefix, "_reverse", t);
                } else {
                    self.fwd.tensors(n, 0, &format!("{prefix}.0"), "", t);
                    b.tensors(n, 0, &format!("{prefix}.1"), "", t);
                }
            }
        }
    }

    /// Per step: every input and recurrent weight once (both directions, every level).
    fn macs(&self, input: &Shape, output: &Shape) -> u64 {
        let mut out = Vec::new();
        self.tensors(input, output, "", &mut Tensors { out: &mut out });
        let weights = out.iter().filter(|t| t.name.contains("weight"));
        weights
            .map(|t| t.shape.iter().product::<usize>() as u64)
            .sum()
    }

    /// One cell, or a stack of them (`layers = n`: `fixed::Stacked`, a state per level),
    /// steps in the embedded form; bidirectional layers need the whole sequence.
    fn int8(&self, input: &Shape, _output: &Shape) -> crate::int8::Int8Kernel {
        use crate::int8::Int8Kernel;
        match (&self.fwd, &self.bwd, self.layers) {
            (Cell::Lstm { hidden, .. }, None, levels) => {
                Int8Kernel::lstm(input.numel(), *hidden, levels)
            }
            (_, Some(_), _) => Int8Kernel::unsupported("a bidirectional layer needs the whole sequence, and the int8 form runs one step at a time"),
            _ => Int8Kernel::unsupported("int8 takes LSTMs (TFLite's integer LSTM); GRU and plain RNN cells have no int8 form yet"),
        }
    }

    fn embedded(&self, input: &Shape, _output: &Shape) -> Option<EmbeddedLayer> {
        if let Some(bwd) = &self.bwd {
            return Some(self.bidirectional_embedded(bwd, input.numel()));
        }
        let rt = rt();
        let h = self.fwd.hidden();
        let (ty, state, state_len, config) = self.fwd.embedded(input.numel());
        let levels = self.layers;
        let (ty, state, call): (_, _, StepCall) = if levels == 1 {
            let call: StepCall = Box::new(|l, x, y, s| {
                quote! {
                    #l.step(#x, &mut #s);
                    (#y).copy_from_slice(&#s.h);
                }
            });
            (ty, state, call)
        } else {
            let (upper, _, _, _) = self.fwd.embedded(h);
            let (n, l) = (lit(levels - 1), lit(levels));
            let call: StepCall = Box::new(|l, x, y, s| {
                quote! {
                    #l.step(#x, &mut #s);
                    (#y).copy_from_slice(#l.output(&#s));
                }
            });
            (
                quote!(#rt::fixed::Stacked<T, #ty, #upper, #n>),
                quote!(#rt::fixed::StackedState<#state, #l>),
                call,
            )
        };
        Some(EmbeddedLayer {
            levels,
            bidirectional: false,
            ty: Some(ty),
            config: config
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
            transposed: &["weight_ih_l0", "weight_hh_l0"],
            unsqueezed: &[],
            flat: &[],
            op: Op::Step {
                state,
                state_len: levels * state_len,
                call,
            },
        })
    }
}

impl RecurrentLayer {
    /// Both directions as `fixed::Bidirectional`, run over the whole sequence at once.
    fn bidirectional_embedded(&self, bwd: &Cell, n: usize) -> EmbeddedLayer {
        let rt = rt();
        let (tf, sf, lf, cf) = self.fwd.embedded(n);
        let (tb, sb, lb, cb) = bwd.embedded(n);
        let directed = |dir: &str, c: Vec<(&'static str, Config)>| {
            c.into_iter()
                .map(move |(k, v)| (format!("{dir}.{k}"), v))
                .collect::<Vec<_>>()
        };
        let mut config = directed("fwd", cf);
        config.extend(directed("bwd", cb));
        let call: crate::embedded_op::WholeCall =
            Box::new(|l, x, xr, y, yr, s| quote!(#l.forward_seq(#x, #xr, #y, #yr, &mut #s);));
        EmbeddedLayer {
            levels: 1,
            bidirectional: true,
            ty: Some(quote!(#rt::fixed::Bidirectional<T, #tf, #tb>)),
            config,
            transposed: &["weight_ih_l0", "weight_hh_l0"],
            unsqueezed: &[],
            flat: &[],
            op: Op::Whole {
                state: quote!(#rt::fixed::BidirectionalState<#sf, #sb>),
                state_len: lf + lb,
                call,
            },
        }
    }
}

impl Cell {
    /// The embedded cell from `n` inputs: its type, its state's type and values, and its
    /// settings. The state holds `h` and `c`; `h` and the two gate terms; `h` and a
    /// scratch row.
    fn embedded(&self, n: usize) -> (TokenStream, TokenStream, usize, Vec<(&'static str, Config)>) {
        let rt = rt();
        let (i, h) = (lit(n), self.hidden());
        let (hl, g) = (lit(h), lit(self.gates() * h));
        match *self {
            Cell::Lstm { .. } => (
                quote!(#rt::fixed::Lstm<T, #i, #hl, #g>),
                quote!(#rt::fixed::LstmState<T, #hl>),
                2 * h,
                vec![],
            ),
            Cell::Gru { reset_before, .. } => (
                quote!(#rt::fixed::Gru<T, #i, #hl, #g>),
                quote!(#rt::fixed::GruState<T, #hl, #g>),
                h + 2 * self.gates() * h,
                vec![("reset_before", Config::Bool(reset_before))],
            ),
            Cell::Rnn { relu, .. } => (
                quote!(#rt::fixed::Rnn<T, #i, #hl>),
                quote!(#rt::fixed::RnnState<T, #hl>),
                2 * h,
                vec![("relu", Config::Bool(relu))],
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::tests::errors_of;
    use quote::quote;

    /// The expansion of a network whose only layer is `gru(3, form = <form>)`, without spaces.
    fn gru_with_form(form: proc_macro2::TokenStream) -> (String, Vec<String>) {
        let out = crate::expand(quote! {
            struct N { input: [seq, 2], layers: [gru(3, form = #form)], loss: none, embedded: true }
        });
        (out.to_string().replace(' ', ""), errors_of(&out))
    }

    #[test]
    fn gru_forms_and_the_old_spelling() {
        for form in [quote!(reset_before), quote!(notes)] {
            let (text, errors) = gru_with_form(form);
            assert!(errors.is_empty(), "{errors:#?}");
            assert!(text.contains("GruForm::ResetBefore"), "{text}");
            assert!(text.contains(".reset_before=true;"), "{text}");
        }
        let (text, errors) = gru_with_form(quote!(pytorch));
        assert!(errors.is_empty(), "{errors:#?}");
        assert!(text.contains("GruForm::PyTorch"), "{text}");
        assert!(text.contains(".reset_before=false;"), "{text}");
        let (_, errors) = gru_with_form(quote!(after));
        assert_eq!(errors.len(), 1, "{errors:#?}");
        assert!(
            errors[0].contains("`pytorch` (reset gate after the recurrent product, nn.GRU) or `reset_before` (before it)"),
            "{}",
            errors[0]
        );
    }
}
