//! The `dsl` target: `kiln_dsl::expand`, the front end of `network!`, which must turn any
//! tokens into code or `compile_error!`s without panicking. The first input byte picks the
//! mode: below 0x09 (a control character no declaration starts with), the rest of the input
//! drives [`declaration`], a grammar-aware generator of valid-looking declarations; any other
//! first byte makes the whole input the declaration's text (lossy UTF-8), so the driver's byte
//! mutations of the seed declarations in `corpus/dsl/` act as token-level mutants.
//!
//! The generator writes one of four families (MLP, CNN, sequence, token model) from the real
//! vocabulary, tracking shapes so that most declarations check; at a rate the input chooses it
//! slips as users do: PyTorch keywords and class names, typos, zero, huge, negative and
//! fractional numbers, wrong block arities, missing, repeated and unknown fields.

use std::str::FromStr;

use arbitrary::Unstructured;
use proc_macro2::{TokenStream, TokenTree};

/// First bytes below this select the generator; any other is the first byte of a text.
pub const GENERATED_BELOW: u8 = 0x09;

/// The target: the declaration (generated or as written) lexed and expanded. A text that does
/// not lex is skipped (rustc would reject it before the macro runs). An expansion is never
/// empty: it is code, or at least one `compile_error!` (a parse error, if nothing else).
pub fn dsl(data: &[u8]) {
    let text = match data.split_first() {
        Some((&mode, rest)) if mode < GENERATED_BELOW => declaration(&mut Unstructured::new(rest)),
        _ => String::from_utf8_lossy(data).into_owned(),
    };
    let Some(out) = expand_text(&text) else {
        return;
    };
    assert!(
        !out.is_empty(),
        "the expansion of {text:?} is empty: neither code nor errors"
    );
}

/// `text` lexed as Rust tokens and expanded; `None` if it does not lex.
pub fn expand_text(text: &str) -> Option<TokenStream> {
    let tokens = TokenStream::from_str(text).ok()?;
    Some(kiln_dsl::expand(tokens))
}

/// How many `compile_error!` invocations an expansion holds (nested groups included).
pub fn compile_errors(tokens: &TokenStream) -> usize {
    let toks: Vec<TokenTree> = tokens.clone().into_iter().collect();
    toks.iter()
        .enumerate()
        .map(|(i, t)| match t {
            TokenTree::Ident(id) if id == "compile_error" => usize::from(
                matches!(toks.get(i + 1), Some(TokenTree::Punct(p)) if p.as_char() == '!'),
            ),
            TokenTree::Group(g) => compile_errors(&g.stream()),
            _ => 0,
        })
        .sum()
}

/// A declaration (the body of `network! { ... }`) drawn from `u`: optional blocks, then
/// `pub struct Name { input, layers, output?, loss, embedded? }`. An exhausted `u` draws the
/// first choice everywhere, which is the plain valid one, so short inputs give short valid
/// declarations and generation always ends.
pub fn declaration(u: &mut Unstructured) -> String {
    Gen::new(u).declaration()
}

/// Nesting of `residual`/`concat` inside each other, at most.
const MAX_DEPTH: u32 = 3;

/// Layers written per declaration, at most (blocks and nested lists included).
const MAX_LAYERS: u32 = 48;

/// Numbers users mistype: zero, one, the largest u64 and one past it, 2^63 and 2^62 (which
/// overflow when doubled or quadrupled), 2^32, 2^16, negatives, fractions, exponents, names,
/// `_`, booleans, other bases and suffixed literals.
const ODD_NUMBERS: &[&str] = &[
    "0",
    "1",
    "18446744073709551615",
    "18446744073709551616",
    "9223372036854775808",
    "4611686018427387904",
    "4294967296",
    "65536",
    "-1",
    "-3",
    "2.5",
    "1e3",
    "0.0",
    "n",
    "_",
    "true",
    "0x10",
    "7u8",
    "1_000",
];

/// kiln names with the PyTorch (or Keras) spelling users write for them.
const FOREIGN: &[(&str, &str)] = &[
    ("dense", "Linear"),
    ("conv2d", "Conv2d"),
    ("max_pool2d", "MaxPool2d"),
    ("avg_pool2d", "AveragePooling2D"),
    ("global_avg_pool", "AdaptiveAvgPool2d"),
    ("batch_norm", "BatchNorm1d"),
    ("batch_norm2d", "BatchNorm2d"),
    ("layer_norm", "LayerNorm"),
    ("dropout", "Dropout"),
    ("relu", "ReLU"),
    ("leaky_relu", "LeakyReLU"),
    ("lstm", "LSTM"),
    ("gru", "GRU"),
    ("embedding", "Embedding"),
    ("flatten", "Flatten"),
];

/// Words that are no kiln layer at all.
const NOT_LAYERS: &[&str] = &[
    "softmax",
    "log_softmax",
    "sequential",
    "conv1d",
    "attention",
    "reshape",
];

/// What flows between layers as far as the generator tracks it; only there to make most
/// declarations valid (after a slip it may be wrong, which is fine).
#[derive(Clone, Copy, Debug, PartialEq)]
enum Flow {
    /// `[n]` per sample (per step in a sequence network).
    Flat(u64),
    /// `[c, h, w]` feature maps.
    Maps(u64, u64, u64),
}

/// The families of network the generator writes.
#[derive(Clone, Copy, PartialEq)]
enum Family {
    Mlp,
    Cnn,
    Seq,
    Tokens,
}

/// The block bodies the generator declares; each fits one kind of flow.
#[derive(Clone, Copy, PartialEq)]
enum Template {
    /// `(n) { dense(n), act }`.
    DenseAct,
    /// `(n, p) { dense(n), act, dropout(p) }`.
    DenseDrop,
    /// `() { layer_norm, act }`.
    Norm,
    /// `(c) { conv2d(c, 3, padding = 1), batch_norm2d, act }`.
    ConvUnit,
    /// `(c, s) { residual { ... } shortcut { conv2d(c, 1, s), batch_norm2d }, relu }`.
    Basic,
    /// `(a, b) { concat { [conv2d(a, 1), relu], [conv2d(b, 3, padding = 1), relu], [pool] } }`.
    Inception,
    /// `() { relu, self() }`: a block that uses itself (always an error). One use per level:
    /// with two the expansion doubles at each of the 17 levels before the depth error.
    Recursive,
}

/// A declared block.
struct Block {
    name: String,
    template: Template,
}

/// Decisions drawn from the input.
struct Gen<'a, 'b> {
    u: &'a mut Unstructured<'b>,
    /// Percent of decisions that take a slip instead of the valid choice.
    chaos: u64,
    blocks: Vec<Block>,
    /// Layers written so far.
    layers: u32,
    /// Whether a layer that may have no embedded form (a composite of a sequence network, a
    /// block use, ...) was written.
    host_only: bool,
}

impl<'a, 'b> Gen<'a, 'b> {
    fn new(u: &'a mut Unstructured<'b>) -> Self {
        let mut g = Gen {
            u,
            chaos: 0,
            blocks: Vec::new(),
            layers: 0,
            host_only: false,
        };
        g.chaos = [0, 0, 2, 5, 15, 40][g.pick(6)];
        g
    }

    // --- draws -------------------------------------------------------------------------

    /// An index in `0..n` (0 once the input is spent).
    fn pick(&mut self, n: usize) -> usize {
        self.u.choose_index(n).unwrap_or(0)
    }

    /// A number in `lo..=hi` (`lo` once the input is spent).
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        self.u.int_in_range(lo..=hi).unwrap_or(lo)
    }

    /// Whether to slip here (never once the input is spent).
    fn slip(&mut self) -> bool {
        self.chaos > 0 && self.range(0, 99) >= 100 - self.chaos
    }

    /// One of `choices`.
    fn one_of<T: Copy>(&mut self, choices: &[T]) -> T {
        choices[self.pick(choices.len())]
    }

    /// Whether another layer fits in the size bound.
    fn room(&mut self) -> bool {
        self.layers += 1;
        self.layers <= MAX_LAYERS
    }

    // --- words and numbers -------------------------------------------------------------

    /// The count `v` as written, or a mistyped number.
    fn num(&mut self, v: u64) -> String {
        if self.slip() {
            self.one_of(ODD_NUMBERS).to_string()
        } else {
            v.to_string()
        }
    }

    /// A layer width: small mostly, sometimes in the hundreds.
    fn width(&mut self) -> u64 {
        match self.pick(4) {
            0..=2 => self.range(1, 70),
            _ => self.range(70, 300),
        }
    }

    /// A probability in [0, 1) (dropout, label smoothing), or one out of range.
    fn rate(&mut self) -> String {
        if self.slip() {
            return self
                .one_of(&["1.0", "2.0", "-0.1", "1", "p", "0.5.0"])
                .into();
        }
        self.one_of(&["0.5", "0.2", "0.1", "0.25", "0.0", "0.9"])
            .into()
    }

    /// The kiln name `real`, or how a user might misspell it.
    fn name(&mut self, real: &str) -> String {
        if !self.slip() {
            return real.into();
        }
        match self.pick(3) {
            0 => match FOREIGN.iter().find(|(k, _)| *k == real) {
                Some((_, torch)) => torch.to_string(),
                None => self.typo(real),
            },
            1 => self.typo(real),
            _ => self.one_of(NOT_LAYERS).into(),
        }
    }

    /// `word` with one character dropped, doubled or swapped with the next.
    fn typo(&mut self, word: &str) -> String {
        let mut c: Vec<char> = word.chars().collect();
        let i = self.pick(c.len().max(1)).min(c.len().saturating_sub(1));
        match self.pick(3) {
            0 if c.len() > 1 => drop(c.remove(i)),
            1 if !c.is_empty() => c.insert(i, c[i]),
            _ if i + 1 < c.len() => c.swap(i, i + 1),
            _ => c.push('x'),
        }
        let s: String = c.into_iter().collect();
        if s.starts_with(|ch: char| ch.is_ascii_digit()) {
            format!("x{s}")
        } else {
            s
        }
    }

    /// `dropout(p)`, or PyTorch's `dropout(p = ...)`.
    fn dropout(&mut self) -> String {
        let name = self.name("dropout");
        let key = if self.slip() { "p = " } else { "" };
        format!("{name}({key}{})", self.rate())
    }

    /// `init = ...` values, valid and not.
    fn init(&mut self) -> String {
        if self.slip() {
            return self
                .one_of(&[
                    "he",
                    "normal(0.0, -1.0)",
                    "uniform(1, 2, 3)",
                    "42",
                    "[1]",
                    "kaiming_normal(nan)",
                ])
                .into();
        }
        self.one_of(&[
            "xavier_uniform",
            "kaiming_normal",
            "normal(0.01)",
            "uniform(-0.1, 0.1)",
            "zeros",
            "constant(0.5)",
            "orthogonal(1.0)",
            "xavier_normal(2.0)",
            "kaiming_uniform(0.2)",
        ])
        .into()
    }

    /// An activation, with or without arguments.
    fn activation(&mut self) -> String {
        let (name, args) = self.one_of(&[
            ("relu", ""),
            ("tanh", ""),
            ("sigmoid", ""),
            ("leaky_relu", "(0.2)"),
            ("leaky_relu", ""),
            ("elu", ""),
            ("elu", "(1.0)"),
            ("gelu", ""),
            ("swish", ""),
            ("identity", ""),
            ("softplus", ""),
            ("hard_tanh", ""),
            ("gelu_tanh", ""),
            ("silu", ""),
            ("hardsigmoid", ""),
            ("logistic", ""),
        ]);
        let name = self.name(name);
        if self.slip() {
            let bad = self.one_of(&[
                "(inplace = true)",
                "(negative_slope = 0.1)",
                "(-1)",
                "(1, 2)",
                "()",
            ]);
            return format!("{name}{bad}");
        }
        format!("{name}{args}")
    }

    /// `name` bare or with one of its `key = value` options.
    fn with_options(&mut self, name: &str, options: &[&str]) -> String {
        let name = self.name(name);
        match self.pick(options.len() + 2) {
            i if i < options.len() => format!("{name}({})", options[i]),
            _ if self.slip() => format!("{name}(num_features = 8)"),
            _ => name,
        }
    }

    // --- the declaration ---------------------------------------------------------------

    fn declaration(&mut self) -> String {
        let family = self.one_of(&[Family::Mlp, Family::Cnn, Family::Seq, Family::Tokens]);
        let mut text = String::new();
        for _ in 0..self.pick(3) {
            text += &self.block(family);
        }
        let (input, seq) = self.input_field(family);
        let (layers, out) = self.layer_field(family, input, seq);
        let mut fields = vec![
            format!("input: {}", self.input_text(family, input, seq)),
            format!("layers: [{layers}]"),
        ];
        if self.pick(2) == 1 {
            fields.push(format!("output: {}", self.dims(out, seq)));
        }
        fields.push(format!("loss: {}", self.loss(out)));
        if self.pick(6) == 5 {
            let on = !self.host_only || self.slip();
            fields.push(format!("embedded: {on}"));
        }
        if self.pick(5) == 4 {
            fields.push(self.budget());
        }
        if self.pick(6) == 5 {
            self.precision(&mut fields);
        }
        self.garble_fields(&mut fields);
        if self.pick(3) == 0 {
            text += "/// A generated network.\n";
        }
        let name = self.one_of(&["Net", "Mlp", "Cnn", "CharLm", "Tagger", "Digits", "Tiny"]);
        let vis = if self.pick(4) == 3 { "" } else { "pub " };
        let body = self.join_dropping_a_comma(&fields, ",\n    ");
        text += &format!("{vis}struct {name} {{\n    {body}\n}}\n");
        text
    }

    /// `precision: int8` (now and then `f32` or a slip), mostly with a real int8 file (the
    /// digits MLP's or the streaming LSTM filter's, which most generated networks do not match).
    fn precision(&mut self, fields: &mut Vec<String>) {
        let p = self.one_of(&["int8", "int8", "f32", "int4", "int8(2)"]);
        fields.push(format!("precision: {p}"));
        if self.pick(4) > 0 {
            let file = self.one_of(&[
                "../tests/fixtures/digits_mlp.int8.safetensors",
                "../examples/lstm-stream/filter.int8.safetensors",
            ]);
            fields.push(format!("weights: \"{file}\""));
        }
    }

    /// `budget: { .. }` with limits small and large, in every unit, now and then a slip.
    fn budget(&mut self) -> String {
        let mut limits = Vec::new();
        for key in ["flash", "ram", "macs"] {
            if self.pick(3) == 0 {
                continue;
            }
            let amount = self.one_of(&["1", "512", "8", "64", "1.5", "200_000", "0", "1e30"]);
            let unit = if key == "macs" {
                self.one_of(&["", "", "K", "M", "KiB"])
            } else {
                self.one_of(&["", "KiB", "MiB", "KB", "bytes", "M"])
            };
            let key = if self.slip() { "flsh" } else { key };
            limits.push(format!("{key}: {amount} {unit}"));
        }
        format!("budget: {{ {} }}", limits.join(", "))
    }

    /// Fields dropped, repeated, misspelt or invented.
    fn garble_fields(&mut self, fields: &mut Vec<String>) {
        if !self.slip() {
            return;
        }
        let i = self.pick(fields.len());
        match self.pick(5) {
            0 => drop(fields.remove(i)),
            1 => fields.push(fields[i].clone()),
            2 => fields[i] = fields[i].replacen(':', "s:", 1),
            3 => fields.push(
                self.one_of(&[
                    "optimizer: adam",
                    "weights: 3",
                    "embedded: yes",
                    "batch: 32",
                    "loss: [10]",
                ])
                .into(),
            ),
            _ => fields.swap(0, i),
        }
    }

    /// The input's flow and whether it is a sequence.
    fn input_field(&mut self, family: Family) -> (Flow, bool) {
        match family {
            Family::Mlp => (Flow::Flat(self.range(1, 70)), false),
            Family::Cnn => {
                let c = self.one_of(&[1, 3, 1, 4, 2]);
                let h = self.range(4, 32);
                let w = if self.pick(4) == 3 {
                    self.range(4, 32)
                } else {
                    h
                };
                (Flow::Maps(c, h, w), false)
            }
            Family::Seq => (Flow::Flat(self.range(1, 70)), true),
            Family::Tokens => (Flow::Flat(1), self.pick(4) != 3),
        }
    }

    /// `input: [...]` as written, with the usual slips (a batch dimension, `-1`, channels
    /// last, `sequence` for `seq`, nothing at all).
    fn input_text(&mut self, _family: Family, input: Flow, seq: bool) -> String {
        if self.slip() {
            let inner = self.dims(input, seq);
            let inner = &inner[1..inner.len() - 1];
            return match self.pick(5) {
                0 => format!("[batch, {inner}]"),
                1 => format!("[-1, {inner}]"),
                2 => "[]".into(),
                3 => format!("[{}]", inner.replacen("seq", "sequence", 1)),
                _ => match input {
                    Flow::Maps(c, h, w) => format!("[{h}, {w}, {c}]"),
                    Flow::Flat(n) => format!("[{n}, {n}]"),
                },
            };
        }
        self.dims(input, seq)
    }

    /// `[n]`, `[c, h, w]`, `[seq, n]` or `[seq(k), n]`.
    fn dims(&mut self, flow: Flow, seq: bool) -> String {
        let body = match flow {
            Flow::Flat(n) => self.num(n),
            Flow::Maps(c, h, w) => format!("{}, {}, {}", self.num(c), self.num(h), self.num(w)),
        };
        match (seq, self.pick(3)) {
            (false, _) => format!("[{body}]"),
            (true, 2) => format!("[seq({}), {body}]", self.num(8)),
            (true, _) => format!("[seq, {body}]"),
        }
    }

    /// `layers: [...]`'s contents for the family, and the flow they end with.
    fn layer_field(&mut self, family: Family, input: Flow, seq: bool) -> (String, Flow) {
        let mut layers = Vec::new();
        let mut flow = input;
        match family {
            Family::Cnn => {
                flow = self.chain(&mut layers, flow, false, 0, 6);
                let (t, f) = self.flatten_maps(flow);
                layers.push(t);
                flow = self.chain(&mut layers, f, false, 0, 3);
            }
            Family::Tokens => {
                let (t, n) = self.token_layer();
                layers.push(t);
                flow = self.chain(&mut layers, Flow::Flat(n), seq, 0, 4);
            }
            Family::Mlp | Family::Seq => flow = self.chain(&mut layers, flow, seq, 0, 5),
        }
        if let Flow::Flat(n) = flow {
            let classes = if family == Family::Tokens {
                self.range(2, 70)
            } else {
                self.range(1, 20)
            };
            layers.push(self.dense(n, classes));
            flow = Flow::Flat(classes);
        }
        let mut text = self.join_dropping_a_comma(&layers, ", ");
        if self.pick(3) == 0 {
            text.push(',');
        }
        (text, flow)
    }

    /// `items` joined by `sep` (a comma, then spacing), one comma missing as a slip.
    fn join_dropping_a_comma(&mut self, items: &[String], sep: &str) -> String {
        let missing = if self.slip() {
            self.pick(items.len())
        } else {
            usize::MAX
        };
        let mut text = String::new();
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                text += if i == missing { &sep[1..] } else { sep };
            }
            text += item;
        }
        text
    }

    /// Up to `max` layers appended from `flow`; the flow after them.
    fn chain(
        &mut self,
        out: &mut Vec<String>,
        mut flow: Flow,
        seq: bool,
        depth: u32,
        max: u64,
    ) -> Flow {
        for _ in 0..self.range(1, max) {
            if !self.room() {
                break;
            }
            let (text, next) = match flow {
                Flow::Flat(n) if seq && depth == 0 => self.seq_layer(n),
                Flow::Flat(n) => self.flat_layer(n, seq, depth),
                Flow::Maps(c, h, w) => self.maps_layer(c, h, w, depth),
            };
            out.push(text);
            flow = next;
        }
        flow
    }

    // --- layers on flat inputs ---------------------------------------------------------

    /// One layer on `[n]`.
    fn flat_layer(&mut self, n: u64, seq: bool, depth: u32) -> (String, Flow) {
        let same = Flow::Flat(n);
        match self.pick(12) {
            0 | 1 => {
                let m = self.width();
                (self.dense(n, m), Flow::Flat(m))
            }
            2 | 3 => (self.activation(), same),
            4 => (self.dropout(), same),
            5 if !seq => (
                self.with_options("batch_norm", &["momentum = 0.1", "eps = 1e-5"]),
                same,
            ),
            6 => (self.with_options("layer_norm", &["eps = 1e-5"]), same),
            7 => (
                self.with_options("prelu", &["per_feature", "init = 0.25"]),
                same,
            ),
            8 => self.maxout(),
            9 if depth < MAX_DEPTH => self.flat_residual(n, seq, depth),
            10 if depth < MAX_DEPTH => self.flat_concat(n, seq, depth),
            11 => self.block_use(same),
            _ => (self.activation(), same),
        }
    }

    /// `dense` from `n` to `m` in one of its forms.
    fn dense(&mut self, n: u64, m: u64) -> String {
        let name = self.name("dense");
        if self.slip() {
            return match self.pick(2) {
                0 => format!("{name}(out_features = {m})"),
                _ => format!("{name}(in_features = {n}, out_features = {m})"),
            };
        }
        let args = match self.pick(6) {
            0..=2 => self.num(m),
            3 => format!("{} -> {}", self.num(n), self.num(m)),
            4 => format!("{}, bias = false", self.num(m)),
            _ => format!("{}, init = {}", self.num(m), self.init()),
        };
        format!("{name}({args})")
    }

    /// `maxout(m, pieces = k)`.
    fn maxout(&mut self) -> (String, Flow) {
        let m = self.width();
        let pieces = if self.slip() {
            String::new()
        } else {
            let k = self.range(2, 4);
            format!(", pieces = {}", self.num(k))
        };
        (format!("maxout({}{pieces})", self.num(m)), Flow::Flat(m))
    }

    /// `residual { ... }`, with a `dense` shortcut when the main branch changes the width.
    fn flat_residual(&mut self, n: u64, seq: bool, depth: u32) -> (String, Flow) {
        // In a sequence network a branch may hold a stacked or bidirectional recurrent layer,
        // which has no embedded form yet.
        self.host_only |= seq;
        let mut main = Vec::new();
        let out = self.chain(&mut main, Flow::Flat(n), seq, depth + 1, 3);
        let m = match out {
            Flow::Flat(m) => m,
            Flow::Maps(..) => n,
        };
        let shortcut = if m != n || self.pick(4) == 0 {
            format!(" shortcut {{ {} }}", self.dense(n, m))
        } else {
            String::new()
        };
        (format!("residual {{ {} }}{shortcut}", main.join(", ")), out)
    }

    /// `concat { [...], [...] }` of flat branches: their widths add up.
    fn flat_concat(&mut self, n: u64, seq: bool, depth: u32) -> (String, Flow) {
        self.host_only |= seq;
        let mut branches = Vec::new();
        let mut total = 0;
        for _ in 0..self.range(2, 3) {
            let mut b = Vec::new();
            if let Flow::Flat(m) = self.chain(&mut b, Flow::Flat(n), seq, depth + 1, 2) {
                total += m;
            }
            branches.push(format!("[{}]", b.join(", ")));
        }
        (
            format!("concat {{ {} }}", branches.join(", ")),
            Flow::Flat(total),
        )
    }

    // --- layers on feature maps --------------------------------------------------------

    /// One layer on `[c, h, w]`.
    fn maps_layer(&mut self, c: u64, h: u64, w: u64, depth: u32) -> (String, Flow) {
        let same = Flow::Maps(c, h, w);
        match self.pick(10) {
            0 | 1 => self.conv(c, h, w),
            2 => (self.activation(), same),
            3 => self.pool(c, h, w),
            4 => (
                self.with_options("batch_norm2d", &["momentum = 0.1", "eps = 1e-5"]),
                same,
            ),
            5 => (self.dropout(), same),
            6 if depth < MAX_DEPTH => self.maps_residual(c, h, w),
            7 if depth < MAX_DEPTH => self.maps_concat(c, h, w),
            8 => self.block_use(same),
            _ => self.conv(c, h, w),
        }
    }

    /// `conv2d` in one of its forms, with a kernel that fits the input.
    fn conv(&mut self, c: u64, h: u64, w: u64) -> (String, Flow) {
        let name = self.name("conv2d");
        let o = self.range(1, 64);
        let mut k = self.range(1, h.min(w).min(7));
        let form = self.pick(9);
        let (mut s, mut p) = (1, 0);
        if matches!(form, 1 | 4 | 6) {
            s = self.range(1, 2);
            p = self.range(0, k / 2);
        }
        if form == 5 && k.is_multiple_of(2) {
            k -= 1;
        }
        if form == 5 {
            p = (k - 1) / 2;
        }
        let (oh, ow) = ((h + 2 * p - k) / s + 1, (w + 2 * p - k) / s + 1);
        let (on, kn) = (self.num(o), self.num(k));
        let args = match form {
            0 | 7 | 8 if self.slip() => format!("out_channels = {on}, kernel_size = {kn}"),
            0 => format!("{on}, {kn}"),
            1 => format!("{on}, {kn}, {}, {}", self.num(s), self.num(p)),
            2 => format!("{on}, {kn}, padding = {}", self.num(p)),
            3 => format!("{on}, {kn}, stride = {}", self.num(s)),
            4 => format!(
                "{} -> {on}, {kn}, {}, {}",
                self.num(c),
                self.num(s),
                self.num(p)
            ),
            5 => format!("{on}, {kn}, padding = same"),
            6 => format!("{on}, {kn}, {}, {}, bias = false", self.num(s), self.num(p)),
            7 => format!(
                "{on}, {kn}, shape = [{on}, {}, {}]",
                self.num(oh),
                self.num(ow)
            ),
            _ => format!("{on}, {kn}, init = {}", self.init()),
        };
        (format!("{name}({args})"), Flow::Maps(o, oh, ow))
    }

    /// `max_pool2d`/`avg_pool2d` with a window that fits, padding at most half of it.
    fn pool(&mut self, c: u64, h: u64, w: u64) -> (String, Flow) {
        let side = h.min(w);
        if side < 2 {
            return (self.activation(), Flow::Maps(c, h, w));
        }
        let name = self.one_of(&["max_pool2d", "avg_pool2d"]);
        let name = self.name(name);
        let k = self.range(2, side.min(4));
        let (text, s, p) = match self.pick(4) {
            0 | 1 => (format!("{name}({})", self.num(k)), k, 0),
            2 => {
                let (s, p) = (self.range(1, k), self.range(0, k / 2));
                (
                    format!("{name}({}, {}, {})", self.num(k), self.num(s), self.num(p)),
                    s,
                    p,
                )
            }
            _ if self.slip() => (format!("{name}(kernel_size = {k})"), k, 0),
            _ => {
                let s = self.range(1, k);
                (
                    format!("{name}({}, stride = {})", self.num(k), self.num(s)),
                    s,
                    0,
                )
            }
        };
        let size = |n: u64| (n + 2 * p - k) / s + 1;
        (text, Flow::Maps(c, size(h), size(w)))
    }

    /// A ResNet basic block: two 3x3 convolutions, with a 1x1 convolution as the shortcut when
    /// the channels or the stride change.
    fn maps_residual(&mut self, c: u64, h: u64, w: u64) -> (String, Flow) {
        let o = if self.pick(2) == 0 {
            c
        } else {
            self.range(1, 64)
        };
        let s = self.range(1, 2);
        let act = self.activation();
        let main = format!(
            "{}, batch_norm2d, {act}, conv2d({}, 3, padding = 1)",
            self.conv_text(o, 3, s, 1),
            self.num(o)
        );
        let shortcut = if o != c || s != 1 {
            format!(
                " shortcut {{ {}, batch_norm2d }}",
                self.conv_text(o, 1, s, 0)
            )
        } else {
            String::new()
        };
        let size = |n: u64| (n - 1) / s + 1;
        (
            format!("residual {{ {main} }}{shortcut}"),
            Flow::Maps(o, size(h), size(w)),
        )
    }

    /// `conv2d(o, k, s, p)`.
    fn conv_text(&mut self, o: u64, k: u64, s: u64, p: u64) -> String {
        format!(
            "conv2d({}, {}, {}, {})",
            self.num(o),
            self.num(k),
            self.num(s),
            self.num(p)
        )
    }

    /// An Inception-style `concat`: branches that keep height and width, channels added up.
    fn maps_concat(&mut self, c: u64, h: u64, w: u64) -> (String, Flow) {
        let mut branches = Vec::new();
        let mut channels = 0;
        for _ in 0..self.range(2, 4) {
            let o = self.range(1, 32);
            let (text, out) = match self.pick(5) {
                0 => (format!("conv2d({}, 1)", self.num(o)), o),
                1 => (
                    format!(
                        "conv2d({}, 3, padding = 1), {}",
                        self.num(o),
                        self.activation()
                    ),
                    o,
                ),
                2 => (format!("conv2d({}, 5, padding = 2)", self.num(o)), o),
                3 => (
                    format!("max_pool2d(3, 1, 1), conv2d({}, 1)", self.num(o)),
                    o,
                ),
                _ => (format!("batch_norm2d, {}", self.activation()), c),
            };
            channels += out;
            branches.push(format!("[{text}]"));
        }
        (
            format!("concat {{ {} }}", branches.join(", ")),
            Flow::Maps(channels, h, w),
        )
    }

    /// From feature maps to a flat vector: `flatten`, `flatten(n)` or `global_avg_pool`.
    fn flatten_maps(&mut self, flow: Flow) -> (String, Flow) {
        let Flow::Maps(c, h, w) = flow else {
            return (self.activation(), flow);
        };
        match self.pick(3) {
            0 => (self.name("flatten"), Flow::Flat(c * h * w)),
            1 => (
                format!("flatten({})", self.num(c * h * w)),
                Flow::Flat(c * h * w),
            ),
            _ => (self.name("global_avg_pool"), Flow::Flat(c)),
        }
    }

    // --- sequences and tokens ----------------------------------------------------------

    /// One top-level layer of a sequence network on `[seq, n]`.
    fn seq_layer(&mut self, n: u64) -> (String, Flow) {
        match self.pick(4) {
            0 | 1 => self.recurrent(n),
            _ => self.flat_layer(n, true, 1),
        }
    }

    /// `lstm`, `gru`, `rnn` or `bidirectional` in one of their forms.
    fn recurrent(&mut self, n: u64) -> (String, Flow) {
        let h = self.width();
        let hn = self.num(h);
        let text = match self.pick(10) {
            0 => format!("{}({hn})", self.name("lstm")),
            1 => format!("lstm({} -> {hn})", self.num(n)),
            2 => format!("lstm({hn}, forget_bias = 1.0)"),
            3 => format!("{}({hn})", self.name("gru")),
            4 => format!("gru({hn}, form = {})", self.one_of(&["notes", "pytorch"])),
            5 => format!("rnn({hn})"),
            6 => format!("rnn({hn}, {})", self.one_of(&["relu", "tanh"])),
            8 => {
                let cell = self.one_of(&["lstm", "gru", "rnn"]);
                let levels = self.range(2, 3);
                let drop = if self.pick(2) == 0 {
                    ", dropout = 0.1"
                } else {
                    ""
                };
                format!("{cell}({hn}, layers = {}{drop})", self.num(levels))
            }
            7 if self.slip() => self
                .one_of(&[
                    "lstm(hidden_size = 8)",
                    "lstm(8, batch_first = true)",
                    "gru(8, form = weird)",
                    "rnn(8, sigmoid)",
                ])
                .into(),
            _ => {
                // Embedded over `[seq(k), n]` (forward_seq), an error over `[seq, n]`.
                let b = self.width();
                let second = if self.slip() {
                    "dense"
                } else {
                    self.one_of(&["lstm", "gru", "rnn"])
                };
                let first = self.one_of(&["lstm", "gru"]);
                return (
                    format!("bidirectional({first}({hn}), {second}({}))", self.num(b)),
                    Flow::Flat(h + b),
                );
            }
        };
        (text, Flow::Flat(h))
    }

    /// The first layer of a token model: `embedding(v, d)` or `one_hot(v)`; its width.
    fn token_layer(&mut self) -> (String, u64) {
        let v = self.range(2, 70);
        if self.pick(2) == 0 {
            let d = self.width();
            let init = if self.pick(4) == 0 {
                format!(", init = {}", self.init())
            } else {
                String::new()
            };
            (
                format!(
                    "{}({}, {}{init})",
                    self.name("embedding"),
                    self.num(v),
                    self.num(d)
                ),
                d,
            )
        } else {
            (format!("one_hot({})", self.num(v)), v)
        }
    }

    // --- blocks ------------------------------------------------------------------------

    /// A `block` declaration that suits the family (or, as a slip, one that uses itself).
    fn block(&mut self, family: Family) -> String {
        let template = if self.slip() {
            Template::Recursive
        } else if family == Family::Cnn {
            self.one_of(&[Template::ConvUnit, Template::Basic, Template::Inception])
        } else {
            self.one_of(&[Template::DenseAct, Template::DenseDrop, Template::Norm])
        };
        let base = self.one_of(&["unit", "stage", "basic", "mix", "head", "inception"]);
        let name = if self.slip() && !self.blocks.is_empty() {
            self.blocks[0].name.clone()
        } else {
            format!("{base}{}", self.blocks.len())
        };
        let act = self.activation();
        let (params, body) = match template {
            Template::DenseAct => ("(n)", format!("dense(n), {act}")),
            Template::DenseDrop => ("(n, p)", format!("dense(n), {act}, dropout(p)")),
            Template::Norm => ("()", format!("layer_norm, {act}")),
            Template::ConvUnit => ("(c)", format!("conv2d(c, 3, padding = 1), batch_norm2d, {act}")),
            Template::Basic => ("(c, s)", format!("residual {{ conv2d(c, 3, s, 1), batch_norm2d, {act}, conv2d(c, 3, padding = 1), batch_norm2d }} shortcut {{ conv2d(c, 1, s), batch_norm2d }}, relu")),
            Template::Inception => ("(a, b)", "concat { [conv2d(a, 1), relu], [conv2d(b, 3, padding = 1), relu], [max_pool2d(3, 1, 1)] }".into()),
            Template::Recursive => ("()", format!("relu, {name}()")),
        };
        self.blocks.push(Block {
            name: name.clone(),
            template,
        });
        format!("block {name}{params} {{ {body} }}\n")
    }

    /// A use of a declared block that fits `flow`, or an activation when none does.
    fn block_use(&mut self, flow: Flow) -> (String, Flow) {
        let fits = |t: Template| match flow {
            Flow::Flat(_) => matches!(
                t,
                Template::DenseAct | Template::DenseDrop | Template::Norm | Template::Recursive
            ),
            Flow::Maps(..) => matches!(
                t,
                Template::ConvUnit | Template::Basic | Template::Inception | Template::Recursive
            ),
        };
        let candidates: Vec<usize> = (0..self.blocks.len())
            .filter(|&i| fits(self.blocks[i].template))
            .collect();
        if candidates.is_empty() {
            return (self.activation(), flow);
        }
        let b = candidates[self.pick(candidates.len())];
        let (name, template) = (self.blocks[b].name.clone(), self.blocks[b].template);
        // A block's body may hold a layer with no embedded form.
        self.host_only = true;
        let m = self.range(1, 64);
        let (mut args, out) = match (template, flow) {
            (Template::DenseAct, _) => (vec![self.num(m)], Flow::Flat(m)),
            (Template::DenseDrop, _) => (vec![self.num(m), self.rate()], Flow::Flat(m)),
            (Template::ConvUnit, Flow::Maps(_, h, w)) => (vec![self.num(m)], Flow::Maps(m, h, w)),
            (Template::Basic, Flow::Maps(_, h, w)) => {
                let s = self.range(1, 2);
                let size = |n: u64| (n - 1) / s + 1;
                (
                    vec![self.num(m), self.num(s)],
                    Flow::Maps(m, size(h), size(w)),
                )
            }
            (Template::Inception, Flow::Maps(c, h, w)) => {
                let k = self.range(1, 64);
                (vec![self.num(m), self.num(k)], Flow::Maps(m + k + c, h, w))
            }
            _ => (Vec::new(), flow),
        };
        if self.slip() {
            match self.pick(3) {
                0 => drop(args.pop()),
                1 => args.push("7".into()),
                _ => args = args.iter().map(|a| format!("c = {a}")).collect(),
            }
        }
        if args.is_empty() && self.pick(2) == 0 {
            return (name, out);
        }
        (format!("{name}({})", args.join(", ")), out)
    }

    // --- the loss ----------------------------------------------------------------------

    /// A loss that suits the output (softmax cross-entropy needs 2 classes or more).
    fn loss(&mut self, out: Flow) -> String {
        if self.slip() {
            return self
                .one_of(&[
                    "nll",
                    "CrossEntropyLoss",
                    "softmax_cross_entropy(label_smoothing = 1.5)",
                    "softmax_cross_entropy(label_smoothing = 0.1, label_smoothing_others = 0.1)",
                    "mse(half = maybe)",
                    "mse(reduction = sum)",
                    "[10]",
                    "\"mse\"",
                ])
                .into();
        }
        let classes = matches!(out, Flow::Flat(n) if n >= 2);
        match self.pick(8) {
            0 | 1 if classes => "softmax_cross_entropy".into(),
            2 if classes => format!(
                "softmax_cross_entropy(label_smoothing = {})",
                self.one_of(&["0.1", "0.0", "0.05"])
            ),
            3 if classes => "cross_entropy(label_smoothing_others = 0.1)".into(),
            4 => self
                .one_of(&["mse", "mse(half = true)", "mae", "l1"])
                .into(),
            5 => "bce_with_logits".into(),
            6 => "none".into(),
            _ => "mse".into(),
        }
    }
}
