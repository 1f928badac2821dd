//! Stage 1: the syntax tree of a `network!` declaration. Parsing is purely syntactic; every
//! meaning (which layers exist, what their options are, shapes) is checked in `check`.
//!
//! ```text
//! network! {
//!     block basic(c, s) {                   // optional parameterised blocks, used as `basic(64, 1)`
//!         residual { conv2d(c, 3, s, 1), batch_norm2d, relu, conv2d(c, 3, 1, 1), batch_norm2d }
//!         shortcut { conv2d(c, 1, s), batch_norm2d },
//!         relu,
//!     }
//!     /// docs
//!     pub struct Name {
//!         input: [64],
//!         layers: [ dense(128), relu, dropout(0.2), dense(64 -> 64), tanh, dense(10) ],
//!         output: [10],                     // optional, checked
//!         loss: softmax_cross_entropy,      // or `none` for an inference-only network
//!     }
//! }
//! ```

use crate::loc::Loc;
use proc_macro2::Span;
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{bracketed, parenthesized, Attribute, Ident, Token, Visibility};

/// The whole declaration.
pub struct NetworkDecl {
    pub blocks: Vec<BlockDef>,
    pub attrs: Vec<Attribute>,
    pub vis: Visibility,
    pub name: Ident,
    pub fields: Vec<Field>,
}

/// One `key: value` entry of the body.
pub struct Field {
    pub key: Ident,
    pub value: FieldValue,
}

pub enum FieldValue {
    /// `[64]` or `[1, 28, 28]`.
    Dims(Vec<Value>, Span),
    /// `[ dense(128), relu, ... ]`.
    Layers(Vec<Item>, Span),
    /// `softmax_cross_entropy(label_smoothing = 0.1)`.
    Call(LayerCall),
    /// `true` or `"weights.safetensors"`.
    Lit(syn::Lit),
    /// `{ flash: 64 KiB, ram: 8 KiB, macs: 200_000 }`.
    Limits(Vec<Limit>),
}

/// One `key: amount unit` entry of a braced field (`flash: 64 KiB`).
pub struct Limit {
    pub key: Ident,
    /// An integer or float literal.
    pub amount: syn::Lit,
    pub unit: Option<Ident>,
}

impl Limit {
    /// From the amount to the unit.
    pub fn loc(&self) -> Loc {
        let end = self.unit.as_ref().map_or(self.amount.span(), Ident::span);
        Loc::new(self.amount.span(), end)
    }

    /// The entry's value as written: `64 KiB`.
    pub fn source(&self) -> String {
        let amount = quote::ToTokens::to_token_stream(&self.amount).to_string();
        match &self.unit {
            Some(u) => format!("{amount} {u}"),
            None => amount,
        }
    }
}

impl Parse for Limit {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let key = input.call(Ident::parse_any)?;
        input.parse::<Token![:]>()?;
        let amount: syn::Lit = input.parse()?;
        let unit = if input.peek(Ident) {
            Some(input.call(Ident::parse_any)?)
        } else {
            None
        };
        Ok(Limit { key, amount, unit })
    }
}

/// `block name(params) { items }`: a parameterised sequence of layers, declared once and
/// used like a layer (`name(args)`) as often as wanted.
pub struct BlockDef {
    pub name: Ident,
    pub params: Vec<Ident>,
    pub items: Vec<Item>,
}

/// One entry of a layer list.
#[derive(Clone)]
pub enum Item {
    /// `dense(128)`, `relu`, `basic(64, 2)` (a block).
    Call(LayerCall),
    /// `residual { ... }` with an optional `shortcut { ... }` (identity when absent).
    Residual {
        kw: Ident,
        main: Vec<Item>,
        shortcut: Option<Vec<Item>>,
        loc: Loc,
    },
    /// `concat { [ ... ], [ ... ] }`: branches on the same input, joined on channels.
    Concat {
        kw: Ident,
        branches: Vec<Vec<Item>>,
        loc: Loc,
    },
    /// `GatedLinear<64>` or `my::Gate -> [32]`: a user type implementing `CustomLayer`, with
    /// its output shape when it differs from its input's.
    Custom(CustomItem),
}

/// A user-written layer in a list: its type as written (without the float type) and its
/// declared output shape.
#[derive(Clone)]
pub struct CustomItem {
    pub path: syn::Path,
    pub out: Option<Value>,
    pub loc: Loc,
}

impl CustomItem {
    /// The type as written, for messages (`GatedLinear<64>`).
    pub fn source(&self) -> String {
        let p = &self.path;
        quote::quote!(#p)
            .to_string()
            .replace(" < ", "<")
            .replace(" >", ">")
            .replace(" :: ", "::")
    }
}

impl Item {
    /// Where the item is, for errors.
    pub fn loc(&self) -> Loc {
        match self {
            Item::Call(c) => c.loc,
            Item::Residual { loc, .. } | Item::Concat { loc, .. } => *loc,
            Item::Custom(c) => c.loc,
        }
    }

    /// Short name for messages: the layer's name or `residual`/`concat`.
    pub fn name(&self) -> String {
        match self {
            Item::Call(c) => c.name.to_string(),
            Item::Residual { .. } => "residual".into(),
            Item::Concat { .. } => "concat".into(),
            Item::Custom(c) => c.source(),
        }
    }

    /// Calls `f` on every name used as an argument value, nested items included.
    pub fn visit_idents(&self, f: &mut dyn FnMut(&Ident)) {
        let each = |items: &[Item], f: &mut dyn FnMut(&Ident)| {
            items.iter().for_each(|i| i.visit_idents(f))
        };
        match self {
            Item::Call(c) => c.args.iter().for_each(|a| a.visit_idents(f)),
            Item::Residual { main, shortcut, .. } => {
                each(main, f);
                if let Some(s) = shortcut {
                    each(s, f);
                }
            }
            Item::Concat { branches, .. } => branches.iter().for_each(|b| each(b, f)),
            Item::Custom(c) => {
                for seg in &c.path.segments {
                    generic_args(&seg.arguments)
                        .filter_map(bare_name)
                        .for_each(&mut *f);
                }
                if let Some(out) = &c.out {
                    out.visit_idents(f);
                }
            }
        }
    }

    /// A copy with every argument that names a block parameter replaced by its value.
    pub fn substitute(&self, map: &[(String, Value)]) -> Item {
        let seq = |items: &[Item]| items.iter().map(|i| i.substitute(map)).collect::<Vec<_>>();
        match self {
            Item::Call(c) => Item::Call(LayerCall {
                name: c.name.clone(),
                args: c.args.iter().map(|a| a.substitute(map)).collect(),
                loc: c.loc,
            }),
            Item::Residual {
                kw,
                main,
                shortcut,
                loc,
            } => Item::Residual {
                kw: kw.clone(),
                main: seq(main),
                shortcut: shortcut.as_deref().map(seq),
                loc: *loc,
            },
            Item::Concat { kw, branches, loc } => Item::Concat {
                kw: kw.clone(),
                branches: branches.iter().map(|b| seq(b)).collect(),
                loc: *loc,
            },
            Item::Custom(c) => Item::Custom(CustomItem {
                path: substitute_generics(&c.path, map),
                out: c.out.as_ref().map(|v| v.substitute(map)),
                loc: c.loc,
            }),
        }
    }
}

/// A layer or loss invocation: `name` or `name(args)`.
#[derive(Clone)]
pub struct LayerCall {
    pub name: Ident,
    pub args: Vec<Arg>,
    /// The whole call (name and arguments), for errors.
    pub loc: Loc,
}

/// An argument: positional `value`, `in -> out`, or `key = value`.
#[derive(Clone)]
pub enum Arg {
    Positional(Value),
    Arrow(Value, Value),
    Named(Ident, Value),
}

/// An argument value.
#[derive(Clone)]
pub enum Value {
    Int(u64, Loc),
    Float(f64, Loc),
    Ident(Ident),
    /// `normal(0.01)`, `seq(32)`, `lstm(64, forget_bias = 1.0)` inside `bidirectional(..)`.
    Call(Ident, Vec<Arg>, Loc),
    /// `[6, 28, 28]`: a shape annotation.
    List(Vec<Value>, Loc),
}

impl Arg {
    /// The argument as it would be written.
    pub fn source(&self) -> String {
        match self {
            Arg::Positional(v) => v.source(),
            Arg::Arrow(i, o) => format!("{} -> {}", i.source(), o.source()),
            Arg::Named(k, v) => format!("{k} = {}", v.source()),
        }
    }

    /// The value of a plain positional argument.
    pub fn as_value(&self) -> Option<&Value> {
        match self {
            Arg::Positional(v) => Some(v),
            _ => None,
        }
    }

    fn visit_idents(&self, f: &mut dyn FnMut(&Ident)) {
        match self {
            Arg::Positional(v) | Arg::Named(_, v) => v.visit_idents(f),
            Arg::Arrow(a, b) => {
                a.visit_idents(f);
                b.visit_idents(f);
            }
        }
    }

    pub fn substitute(&self, map: &[(String, Value)]) -> Arg {
        match self {
            Arg::Positional(v) => Arg::Positional(v.substitute(map)),
            Arg::Arrow(a, b) => Arg::Arrow(a.substitute(map), b.substitute(map)),
            Arg::Named(k, v) => Arg::Named(k.clone(), v.substitute(map)),
        }
    }
}

impl Value {
    pub fn loc(&self) -> Loc {
        match self {
            Value::Int(_, s) | Value::Float(_, s) | Value::Call(_, _, s) | Value::List(_, s) => *s,
            Value::Ident(i) => Loc::of(i.span()),
        }
    }

    fn visit_idents(&self, f: &mut dyn FnMut(&Ident)) {
        match self {
            Value::Ident(i) => f(i),
            Value::Call(_, args, _) => args.iter().for_each(|a| a.visit_idents(f)),
            Value::List(items, _) => items.iter().for_each(|v| v.visit_idents(f)),
            _ => {}
        }
    }

    /// This value with block parameters replaced (the value keeps the use site's location).
    pub fn substitute(&self, map: &[(String, Value)]) -> Value {
        match self {
            Value::Ident(i) => match map.iter().find(|(k, _)| i == k) {
                Some((_, v)) => match v {
                    Value::Int(n, _) => Value::Int(*n, Loc::of(i.span())),
                    Value::Float(x, _) => Value::Float(*x, Loc::of(i.span())),
                    Value::Ident(v) => {
                        let mut v = v.clone();
                        v.set_span(i.span());
                        Value::Ident(v)
                    }
                    other => other.clone(),
                },
                None => self.clone(),
            },
            Value::Call(n, args, l) => Value::Call(
                n.clone(),
                args.iter().map(|a| a.substitute(map)).collect(),
                *l,
            ),
            Value::List(items, l) => {
                Value::List(items.iter().map(|a| a.substitute(map)).collect(), *l)
            }
            other => other.clone(),
        }
    }

    /// The value as a number, if it is one.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(v, _) => Some(*v as f64),
            Value::Float(v, _) => Some(*v),
            _ => None,
        }
    }

    /// The value as it would be written, for suggested rewrites.
    pub fn source(&self) -> String {
        match self {
            Value::Int(v, _) => v.to_string(),
            Value::Float(v, _) => format!("{v:?}"),
            Value::Ident(i) => i.to_string(),
            Value::Call(i, args, _) => {
                let a: Vec<String> = args.iter().map(Arg::source).collect();
                format!("{i}({})", a.join(", "))
            }
            Value::List(items, _) => {
                let a: Vec<String> = items.iter().map(Value::source).collect();
                format!("[{}]", a.join(", "))
            }
        }
    }

    /// Short text for error messages.
    pub fn describe(&self) -> String {
        match self {
            Value::Int(v, _) => v.to_string(),
            // `{:?}` keeps the `.0` of `2.0`, so the message quotes what the user wrote.
            Value::Float(v, _) => format!("{v:?}"),
            Value::Ident(i) => format!("`{i}`"),
            Value::Call(i, _, _) => format!("`{i}(..)`"),
            Value::List(items, _) => format!("a list of {}", items.len()),
        }
    }
}

impl Parse for NetworkDecl {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut blocks = Vec::new();
        // Doc comments may precede a block or the struct; a block's are documentation only.
        let mut attrs = input.call(Attribute::parse_outer)?;
        while input.peek(Ident)
            && input
                .fork()
                .call(Ident::parse_any)
                .is_ok_and(|i| i == "block")
        {
            blocks.push(input.parse()?);
            attrs = input.call(Attribute::parse_outer)?;
        }
        let vis: Visibility = input.parse()?;
        input.parse::<Token![struct]>()?;
        let name: Ident = input.parse()?;
        let content;
        syn::braced!(content in input);
        let mut fields: Vec<Field> = Vec::new();
        while !content.is_empty() {
            let field: Field = content.parse()?;
            if !content.is_empty() && !content.peek(Token![,]) {
                return Err(content.error(format!("expected `,` after the `{}` field", field.key)));
            }
            fields.push(field);
            if content.is_empty() {
                break;
            }
            content.parse::<Token![,]>()?;
        }
        if !input.is_empty() {
            return Err(input.error("unexpected tokens after the network's closing brace; declare one network per `network!`"));
        }
        Ok(NetworkDecl {
            blocks,
            attrs,
            vis,
            name,
            fields,
        })
    }
}

impl Parse for Field {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let key: Ident = input.call(Ident::parse_any)?;
        input.parse::<Token![:]>()?;
        let value = if input.peek(syn::token::Bracket) {
            let content;
            let bracket = bracketed!(content in input);
            let span = bracket.span.join();
            if key == "layers" {
                FieldValue::Layers(parse_layer_list(&content)?, span)
            } else {
                let dims = Punctuated::<Value, Token![,]>::parse_terminated(&content)?;
                FieldValue::Dims(dims.into_iter().collect(), span)
            }
        } else if input.peek(syn::token::Brace) {
            let content;
            syn::braced!(content in input);
            let limits = Punctuated::<Limit, Token![,]>::parse_terminated(&content)?;
            FieldValue::Limits(limits.into_iter().collect())
        } else if input.peek(syn::Lit) {
            FieldValue::Lit(input.parse()?)
        } else {
            FieldValue::Call(input.parse()?)
        };
        Ok(Field { key, value })
    }
}

impl Parse for BlockDef {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        input.call(Ident::parse_any)?; // `block`
        let name: Ident = input.parse()?;
        let mut params = Vec::new();
        if input.peek(syn::token::Paren) {
            let content;
            parenthesized!(content in input);
            params = Punctuated::<Ident, Token![,]>::parse_terminated(&content)?
                .into_iter()
                .collect();
        }
        let content;
        syn::braced!(content in input);
        let items = parse_layer_list(&content)?;
        if input.peek(Token![;]) {
            input.parse::<Token![;]>()?;
        }
        Ok(BlockDef {
            name,
            params,
            items,
        })
    }
}

/// `path` with each generic argument that names a block parameter replaced by its value
/// (`GatedLinear<n>` in `block gated(n) { ... }`).
fn substitute_generics(path: &syn::Path, map: &[(String, Value)]) -> syn::Path {
    let mut path = path.clone();
    for seg in &mut path.segments {
        let syn::PathArguments::AngleBracketed(a) = &mut seg.arguments else {
            continue;
        };
        for arg in &mut a.args {
            let value = bare_name(arg).and_then(|name| map.iter().find(|(k, _)| name == k));
            if let Some((_, Value::Int(n, loc))) = value {
                let mut lit = proc_macro2::Literal::u64_unsuffixed(*n);
                lit.set_span(loc.start);
                *arg = syn::GenericArgument::Const(syn::parse_quote!(#lit));
            }
        }
    }
    path
}

/// The generic arguments of a path segment (`64, n` of `GatedLinear<64, n>`).
fn generic_args(args: &syn::PathArguments) -> impl Iterator<Item = &syn::GenericArgument> {
    let list = match args {
        syn::PathArguments::AngleBracketed(a) => Some(a.args.iter()),
        _ => None,
    };
    list.into_iter().flatten()
}

/// A generic argument that is a bare name (`n`), which may be a block parameter.
fn bare_name(arg: &syn::GenericArgument) -> Option<&Ident> {
    match arg {
        syn::GenericArgument::Type(syn::Type::Path(p)) => p.path.get_ident(),
        _ => None,
    }
}

/// A user type rather than a layer name: a path (`a::B`), generic arguments (`B<64>`), or a
/// CamelCase name not followed by `(` (PyTorch spellings such as `Conv2d(..)` stay calls and
/// get their hint).
fn starts_custom(input: ParseStream) -> bool {
    let fork = input.fork();
    let Ok(word) = fork.call(Ident::parse_any) else {
        return false;
    };
    if fork.peek(Token![::]) || (fork.peek(Token![<]) && !fork.peek(Token![<=])) {
        return true;
    }
    word.to_string()
        .starts_with(|c: char| c.is_ascii_uppercase())
        && !fork.peek(syn::token::Paren)
        && !fork.peek(syn::token::Brace)
}

impl Parse for CustomItem {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let start = input.span();
        let path: syn::Path = input.parse()?;
        let mut end = match path.segments.last().map(|s| &s.arguments) {
            Some(syn::PathArguments::AngleBracketed(a)) => a.gt_token.span,
            _ => path.segments.last().map_or(start, |s| s.ident.span()),
        };
        let mut out = None;
        if input.peek(Token![->]) {
            input.parse::<Token![->]>()?;
            let v: Value = input.parse()?;
            end = v.loc().end;
            out = Some(v);
        }
        Ok(CustomItem {
            path,
            out,
            loc: Loc::new(start, end),
        })
    }
}

impl Parse for Item {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if starts_custom(input) {
            return input.parse().map(Item::Custom);
        }
        let fork = input.fork();
        let word: Option<Ident> = fork.call(Ident::parse_any).ok();
        let braced_next = fork.peek(syn::token::Brace);
        match word {
            Some(kw) if kw == "residual" && braced_next => {
                input.call(Ident::parse_any)?;
                let content;
                let brace = syn::braced!(content in input);
                let main = parse_layer_list(&content)?;
                let mut end = brace.span.close();
                let mut shortcut = None;
                let fork = input.fork();
                if fork.call(Ident::parse_any).is_ok_and(|i| i == "shortcut")
                    && fork.peek(syn::token::Brace)
                {
                    input.call(Ident::parse_any)?;
                    let content;
                    let brace = syn::braced!(content in input);
                    end = brace.span.close();
                    shortcut = Some(parse_layer_list(&content)?);
                }
                let loc = Loc::new(kw.span(), end);
                Ok(Item::Residual {
                    kw,
                    main,
                    shortcut,
                    loc,
                })
            }
            Some(kw) if kw == "concat" && braced_next => {
                input.call(Ident::parse_any)?;
                let content;
                let brace = syn::braced!(content in input);
                let mut branches = Vec::new();
                while !content.is_empty() {
                    let inner;
                    bracketed!(inner in content);
                    branches.push(parse_layer_list(&inner)?);
                    if !content.is_empty() {
                        content.parse::<Token![,]>()?;
                    }
                }
                let loc = Loc::new(kw.span(), brace.span.close());
                Ok(Item::Concat { kw, branches, loc })
            }
            _ => input.parse().map(Item::Call),
        }
    }
}

impl Parse for LayerCall {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let name: Ident = input.call(Ident::parse_any)?;
        let mut loc = Loc::of(name.span());
        let mut args = Vec::new();
        if input.peek(syn::token::Paren) {
            let content;
            let paren = parenthesized!(content in input);
            loc = Loc::new(name.span(), paren.span.close());
            let parsed = Punctuated::<Arg, Token![,]>::parse_terminated(&content)?;
            args = parsed.into_iter().collect();
        }
        Ok(LayerCall { name, args, loc })
    }
}

impl Parse for Arg {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if (input.peek(Ident) || input.peek(Token![type]))
            && input.peek2(Token![=])
            && !input.peek2(Token![==])
        {
            let key: Ident = input.call(Ident::parse_any)?;
            input.parse::<Token![=]>()?;
            return Ok(Arg::Named(key, input.parse()?));
        }
        let first: Value = input.parse()?;
        if input.peek(Token![->]) {
            input.parse::<Token![->]>()?;
            return Ok(Arg::Arrow(first, input.parse()?));
        }
        Ok(Arg::Positional(first))
    }
}

impl Parse for Value {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let start = input.span();
        let negative = if input.peek(Token![-]) {
            input.parse::<Token![-]>()?;
            true
        } else {
            false
        };
        let sign = if negative { -1.0 } else { 1.0 };
        if input.peek(syn::LitInt) {
            let lit: syn::LitInt = input.parse()?;
            if negative {
                let v: f64 = lit.base10_parse::<f64>()?;
                return Ok(Value::Float(-v, Loc::new(start, lit.span())));
            }
            return Ok(Value::Int(lit.base10_parse()?, Loc::of(lit.span())));
        }
        if input.peek(syn::LitFloat) {
            let lit: syn::LitFloat = input.parse()?;
            return Ok(Value::Float(
                sign * lit.base10_parse::<f64>()?,
                Loc::new(start, lit.span()),
            ));
        }
        if negative {
            return Err(input.error("expected a number after `-`"));
        }
        if input.peek(syn::token::Bracket) {
            let content;
            let bracket = bracketed!(content in input);
            let items = Punctuated::<Value, Token![,]>::parse_terminated(&content)?;
            let loc = Loc::new(bracket.span.open(), bracket.span.close());
            return Ok(Value::List(items.into_iter().collect(), loc));
        }
        if input.peek(Token![_]) {
            let u: Token![_] = input.parse()?;
            return Ok(Value::Ident(Ident::new("_", u.span)));
        }
        if input.peek(syn::LitBool) {
            let b: syn::LitBool = input.parse()?;
            let word = if b.value { "true" } else { "false" };
            return Ok(Value::Ident(Ident::new(word, b.span)));
        }
        if input.peek(Ident) {
            let name: Ident = input.call(Ident::parse_any)?;
            if input.peek(syn::token::Paren) {
                let content;
                let paren = parenthesized!(content in input);
                let args = Punctuated::<Arg, Token![,]>::parse_terminated(&content)?;
                let loc = Loc::new(name.span(), paren.span.close());
                return Ok(Value::Call(name, args.into_iter().collect(), loc));
            }
            return Ok(Value::Ident(name));
        }
        Err(syn::Error::new(
            input.span(),
            "expected a number, a name or a call like `normal(0.01)`",
        ))
    }
}

/// `dense(32), relu, ...`: like `Punctuated::parse_terminated`, but a missing comma names the
/// layers on either side instead of a bare "expected `,`".
fn parse_layer_list(input: ParseStream) -> syn::Result<Vec<Item>> {
    let mut calls: Vec<Item> = Vec::new();
    while !input.is_empty() {
        let call: Item = input.parse()?;
        if !input.is_empty() && !input.peek(Token![,]) {
            let msg = if input.peek(Ident) {
                let next: Ident = input.fork().call(syn::ext::IdentExt::parse_any)?;
                format!(
                    "missing `,` between the layers `{}` and `{next}`",
                    call.name()
                )
            } else {
                format!("expected `,` or `]` after the layer `{}`", call.name())
            };
            return Err(input.error(msg));
        }
        calls.push(call);
        if !input.is_empty() {
            input.parse::<Token![,]>()?;
        }
    }
    Ok(calls)
}

/// Where an argument is.
pub fn arg_loc(arg: &Arg) -> Loc {
    match arg {
        Arg::Positional(v) => v.loc(),
        Arg::Arrow(a, b) => Loc::new(a.loc().start, b.loc().end),
        Arg::Named(k, v) => Loc::new(k.span(), v.loc().end),
    }
}
