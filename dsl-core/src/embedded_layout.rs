//! Where every value of the embedded forward lives: the layers as a straight list of actions
//! over regions of the scratch. Top-level layers ping-pong between the scratch's buffers `a`
//! and `b`; the layers inside a composite (`residual`, `concat`, a block) use regions of its
//! `work` area, allocated as a stack, so a residual keeps its input while its branches run.
//! The emitter turns the actions into calls; `cost.rs` reads the work area's size.

use crate::activation::ActSpec;
use crate::embedded_op::{EmbeddedLayer, Op};
use crate::layers::compose::{parts, Parts};
use crate::tensors::{TensorDecl, Tensors};
use crate::tree::Node;

/// A buffer of the embedded forward: its input, the scratch's `a`, `b` and `work`, its output.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Buf {
    X,
    A,
    B,
    W,
    Y,
}

/// `len` values of `buf` from `off`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Region {
    pub buf: Buf,
    pub off: usize,
    pub len: usize,
}

impl Region {
    fn whole(buf: Buf, len: usize) -> Region {
        Region { buf, off: 0, len }
    }
}

/// A layer with tensors or an op of its own, wherever it sits in the declaration.
pub struct Leaf<'a> {
    pub node: &'a Node,
    /// The embedded struct's field: `layer3`, or `layer3_main_0` inside a composite.
    pub field: String,
    /// The PyTorch name prefix: `layers.3`, `layers.3.main.0`.
    pub prefix: String,
    /// How it runs embedded.
    pub embedded: EmbeddedLayer,
}

impl Leaf<'_> {
    /// The scratch field of its recurrent state: `s3`, `s3_main_0`.
    pub fn state_field(&self) -> String {
        format!("s{}", self.field.trim_start_matches("layer"))
    }

    /// The values of its recurrent state in the scratch (0 for other layers).
    pub fn state_len(&self) -> usize {
        match self.embedded.op {
            Op::Step { state_len, .. } | Op::Whole { state_len, .. } => state_len,
            _ => 0,
        }
    }

    /// Whether it is the top-level layer `prefix` or inside it.
    pub fn within(&self, prefix: &str) -> bool {
        self.prefix
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
    }

    /// The leaf's tensors named under its prefix.
    pub fn tensors(&self) -> Vec<TensorDecl> {
        let mut out = Vec::new();
        let n = self.node;
        n.kind.tensors(
            &n.input,
            &n.output,
            &self.prefix,
            &mut Tensors { out: &mut out },
        );
        out
    }
}

/// One step of the forward pass.
pub enum Action<'a> {
    /// Leaf `leaf` (an index into `Layout::leaves`) reads `src` and writes `dst`.
    Run {
        leaf: usize,
        src: Region,
        dst: Region,
    },
    /// Leaf `leaf` changes `at` in place (a stand-alone activation).
    InPlace {
        leaf: usize,
        at: Region,
    },
    Copy {
        src: Region,
        dst: Region,
    },
    /// `dst = act(a + b)`: a residual block's join.
    Join {
        a: Region,
        b: Region,
        dst: Region,
        act: Option<&'a ActSpec>,
    },
}

/// The whole forward pass, or the layers that have no embedded form.
pub struct Layout<'a> {
    pub leaves: Vec<Leaf<'a>>,
    pub actions: Vec<Action<'a>>,
    /// Values of the `work` area (0 without composites).
    pub work: usize,
    /// Leaves without an embedded form, in order.
    pub unsupported: Vec<&'a Node>,
    /// Whether a layer needs the whole sequence (`Op::Whole`): the network then runs layer by
    /// layer over a fixed-length sequence.
    pub whole: bool,
}

/// The layout of `nodes` (a network's layers) from an input of `n_in` values per step to
/// `n_out`, with `a` and `b` of `widest` values.
pub fn layout(nodes: &[Node], n_in: usize, n_out: usize, widest: usize) -> Layout<'_> {
    let mut p = Planner {
        out: Layout {
            leaves: Vec::new(),
            actions: Vec::new(),
            work: 0,
            unsupported: Vec::new(),
            whole: false,
        },
        top: 0,
    };
    let temps = [Region::whole(Buf::A, widest), Region::whole(Buf::B, widest)];
    let (src, dst) = (Region::whole(Buf::X, n_in), Region::whole(Buf::Y, n_out));
    let names = Names {
        field: "layer".into(),
        prefix: "layers".into(),
        top: true,
    };
    p.list(nodes, &names, src, dst, temps);
    p.out
}

/// How the layers of one list are named: `layer3_main_0` / `layers.3.main.0`.
struct Names {
    field: String,
    prefix: String,
    /// The network's own list: fields `layer{i}`.
    top: bool,
}

impl Names {
    fn of(&self, n: &Node) -> (String, String) {
        let sep = if self.top { "" } else { "_" };
        (
            format!("{}{sep}{}", self.field, n.index),
            format!("{}.{}", self.prefix, n.index),
        )
    }

    fn nested(field: String, prefix: String, part: &str) -> Names {
        let (f, p) = if part.is_empty() {
            (field, prefix)
        } else {
            (format!("{field}_{part}"), format!("{prefix}.{part}"))
        };
        Names {
            field: f,
            prefix: p,
            top: false,
        }
    }
}

struct Planner<'a> {
    out: Layout<'a>,
    /// The first free value of the work area.
    top: usize,
}

impl<'a> Planner<'a> {
    fn alloc(&mut self, len: usize) -> Region {
        let r = Region {
            buf: Buf::W,
            off: self.top,
            len,
        };
        self.top += len;
        self.out.work = self.out.work.max(self.top);
        r
    }

    /// `nodes` from `src` to `dst`, intermediate outputs alternating between `temps`. `src`
    /// is never written (a residual still needs it).
    fn list(
        &mut self,
        nodes: &'a [Node],
        names: &Names,
        src: Region,
        dst: Region,
        temps: [Region; 2],
    ) {
        let mut cur = src;
        for (i, n) in nodes.iter().enumerate() {
            let last = i + 1 == nodes.len();
            let width = n.output.numel();
            let next = if last {
                dst
            } else if cur.buf == temps[0].buf && cur.off == temps[0].off {
                Region {
                    len: width,
                    ..temps[1]
                }
            } else {
                Region {
                    len: width,
                    ..temps[0]
                }
            };
            let (field, prefix) = names.of(n);
            if let Some(parts) = parts(n.kind.as_ref()) {
                self.composite(parts, field, prefix, cur, next);
                cur = next;
                continue;
            }
            let Some(e) = n.kind.embedded(&n.input, &n.output) else {
                self.out.unsupported.push(n);
                continue;
            };
            let leaf = self.out.leaves.len();
            match e.op {
                // Whole-sequence layers run on the scratch's own buffers, so only at the top.
                Op::Whole { .. } if !names.top => {
                    self.out.unsupported.push(n);
                    continue;
                }
                Op::Map(_) | Op::Step { .. } | Op::Whole { .. } => {
                    self.out.whole |= matches!(e.op, Op::Whole { .. });
                    self.out.actions.push(Action::Run {
                        leaf,
                        src: cur,
                        dst: next,
                    });
                    cur = next;
                }
                Op::InPlace(_) => {
                    if cur == src || last {
                        let to = Region {
                            len: cur.len,
                            ..next
                        };
                        self.out.actions.push(Action::Copy { src: cur, dst: to });
                        cur = to;
                    }
                    self.out.actions.push(Action::InPlace { leaf, at: cur });
                }
                Op::Pass => {
                    if last {
                        self.out.actions.push(Action::Copy { src: cur, dst });
                        cur = dst;
                    }
                }
            }
            self.out.leaves.push(Leaf {
                node: n,
                field,
                prefix,
                embedded: e,
            });
        }
        if nodes.is_empty() {
            self.out.actions.push(Action::Copy { src, dst });
        }
    }

    /// A composite from `src` to `dst`; its regions are freed after it.
    fn composite(
        &mut self,
        parts: Parts<'a>,
        field: String,
        prefix: String,
        src: Region,
        dst: Region,
    ) {
        let base = self.top;
        match parts {
            Parts::List(nodes) => {
                let names = Names::nested(field, prefix, "");
                let temps = self.temps(nodes);
                self.list(nodes, &names, src, dst, temps);
            }
            Parts::Residual {
                main,
                shortcut,
                act,
            } => {
                let m = self.alloc(dst.len);
                let names = Names::nested(field.clone(), prefix.clone(), "main");
                let temps = self.temps(main);
                self.list(main, &names, src, m, temps);
                let s = if shortcut.is_empty() {
                    src
                } else {
                    let s = self.alloc(dst.len);
                    let names = Names::nested(field, prefix, "shortcut");
                    let temps = self.temps(shortcut);
                    self.list(shortcut, &names, src, s, temps);
                    s
                };
                self.out.actions.push(Action::Join {
                    a: m,
                    b: s,
                    dst,
                    act,
                });
            }
            Parts::Concat(branches) => {
                let mut off = dst.off;
                for (k, nodes) in branches.into_iter().enumerate() {
                    let len = nodes.last().map_or(src.len, |n| n.output.numel());
                    let part = Region { off, len, ..dst };
                    let names = Names::nested(field.clone(), prefix.clone(), &k.to_string());
                    let temps = self.temps(nodes);
                    self.list(nodes, &names, src, part, temps);
                    off += len;
                }
            }
        }
        self.top = base;
    }

    /// Two regions wide enough for every intermediate output of `nodes` (all but the last).
    fn temps(&mut self, nodes: &[Node]) -> [Region; 2] {
        let inner = nodes.len().saturating_sub(1);
        let w = nodes[..inner]
            .iter()
            .map(|n| n.output.numel())
            .chain(nodes.first().map(|n| n.input.numel()))
            .max()
            .unwrap_or(0);
        [self.alloc(w), self.alloc(w)]
    }
}
