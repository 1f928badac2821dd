//! Sliding-window geometry shared by convolution and pooling, in one or two dimensions: a
//! kernel, stride and padding each given as one number or `[height, width]`, padding also as
//! `same`, `narrow` (`valid`), `wide` (`full`) or, in one dimension, `causal`. Per dimension
//! `out = floor((n + 2p - k) / s) + 1` (PyTorch's rule); causal padding pads `k - 1` on the
//! left only, so `out = n` for stride 1. A 1-D window works on `[C, L]` as a 2-D window of
//! height 1 on `[C, 1, L]`, which is how the runtime runs it.

use crate::args::count;
use crate::diag::Ctxt;
use crate::parse::Value;

/// A size per dimension: `(height, width)`; `(1, n)` in one dimension.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Pair(pub usize, pub usize);

impl std::fmt::Display for Pair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0 == self.1 {
            write!(f, "{}", self.0)
        } else {
            write!(f, "[{}, {}]", self.0, self.1)
        }
    }
}

impl Pair {
    /// As written: the width alone for a 1-D layer.
    pub fn show(self, one_d: bool) -> String {
        if one_d {
            self.1.to_string()
        } else {
            self.to_string()
        }
    }
}

/// `n`, or `[h, w]` in two dimensions: each at least `min`. One dimension takes a number only.
pub fn pair(v: &Value, what: &str, min: u64, one_d: bool, cx: &mut Ctxt) -> Option<Pair> {
    match v {
        Value::List(items, loc) if !one_d => match items.as_slice() {
            [h, w] => Some(Pair(count(h, what, min, cx)?, count(w, what, min, cx)?)),
            _ => {
                cx.error_spanned_by(loc, format!("{what} takes one number or `[height, width]`"));
                None
            }
        },
        Value::List(_, loc) => {
            cx.error_spanned_by(loc, format!("{what} of a 1-D layer is one number"));
            None
        }
        _ => {
            let n = count(v, what, min, cx)?;
            // In one dimension the height is 1 (a kernel, a stride) or 0 (a padding).
            Some(if one_d {
                Pair(min.min(1) as usize, n)
            } else {
                Pair(n, n)
            })
        }
    }
}

/// Padding as declared.
#[derive(Clone, Copy, Debug)]
pub enum Pad {
    Explicit(Pair),
    Same,
    Narrow,
    Wide,
    /// `k - 1` on the left of a 1-D input only.
    Causal,
}

/// A padding value: numbers (or `[h, w]`), `same`, `narrow`/`valid`, `wide`/`full`, `causal`.
pub fn pad(v: &Value, what: &str, one_d: bool, cx: &mut Ctxt) -> Option<Pad> {
    match v {
        Value::Ident(i) if i == "same" => Some(Pad::Same),
        Value::Ident(i) if i == "narrow" || i == "valid" => Some(Pad::Narrow),
        Value::Ident(i) if i == "wide" || i == "full" => Some(Pad::Wide),
        Value::Ident(i) if i == "causal" && one_d => Some(Pad::Causal),
        Value::Ident(i) if i == "causal" => {
            cx.error_spanned_by(
                i,
                "`causal` padding is for 1-D layers (`conv1d`); pad a 2-D layer explicitly",
            );
            None
        }
        Value::Int(..) | Value::List(..) => pair(v, what, 0, one_d, cx).map(Pad::Explicit),
        other => {
            let causal = if one_d { ", `causal`" } else { "" };
            cx.error_spanned_by(
                other.loc(),
                format!(
                    "{what} must be a number, `same`, `narrow` or `wide`{causal}, got {}",
                    other.describe()
                ),
            );
            None
        }
    }
}

/// A window's geometry on a known input: kernel, stride, padding before each dimension and
/// the output size.
#[derive(Clone, Copy, Debug, Default)]
pub struct Geometry {
    pub kernel: Pair,
    pub stride: Pair,
    pub padding: Pair,
    pub out: Pair,
}

impl Geometry {
    /// `KH, KW, SH, SW, PH, PW, OH, OW` as the runtime kernels' const generics.
    pub fn lits(&self) -> [proc_macro2::Literal; 8] {
        let (k, s, p, o) = (self.kernel, self.stride, self.padding, self.out);
        [k.0, k.1, s.0, s.1, p.0, p.1, o.0, o.1].map(crate::tokens::lit)
    }
}

/// `floor((n + 2p - k) / s) + 1`, or `None` when the window does not fit the padded input.
pub fn out_size(n: usize, k: usize, s: usize, p: usize) -> Option<usize> {
    (n + 2 * p).checked_sub(k).map(|r| r / s + 1)
}

/// Why a window has no geometry on an input, for the caller's message.
pub enum NoFit {
    /// `same` with an even kernel or a stride other than 1 (message, where).
    Same(String),
    /// The kernel is larger than the padded input.
    TooLarge { padding: Pair },
}

/// The geometry of `kernel` dilated by `dilation`, `stride`, `pad` on an input of `size`
/// (height, width): the kernel spans `d (k - 1) + 1` inputs.
pub fn geometry(
    size: Pair,
    kernel: Pair,
    stride: Pair,
    pad: Pad,
    dilation: Pair,
) -> Result<Geometry, NoFit> {
    let span = Pair(
        dilation.0 * (kernel.0 - 1) + 1,
        dilation.1 * (kernel.1 - 1) + 1,
    );
    let padding = match pad {
        Pad::Explicit(p) => p,
        Pad::Narrow => Pair(0, 0),
        Pad::Wide => Pair(span.0 - 1, span.1 - 1),
        Pad::Causal => Pair(0, span.1 - 1),
        Pad::Same => {
            if kernel.0.is_multiple_of(2) || kernel.1.is_multiple_of(2) {
                return Err(NoFit::Same(format!("`same` padding needs an odd kernel, got {kernel}: the output cannot be centred; pad explicitly")));
            }
            if stride != Pair(1, 1) {
                return Err(NoFit::Same(format!("`same` padding keeps the size only with stride 1, got stride {stride}; pad explicitly")));
            }
            Pair((span.0 - 1) / 2, (span.1 - 1) / 2)
        }
    };
    let oh = out_size(size.0, span.0, stride.0, padding.0);
    // Causal: the left padding only, so the right edge adds no outputs.
    let ow = match pad {
        Pad::Causal => Some((size.1 - 1) / stride.1 + 1),
        _ => out_size(size.1, span.1, stride.1, padding.1),
    };
    match (oh, ow) {
        (Some(oh), Some(ow)) => Ok(Geometry {
            kernel,
            stride,
            padding,
            out: Pair(oh, ow),
        }),
        _ => Err(NoFit::TooLarge { padding }),
    }
}

/// The `[C, H, W]` (or, in one dimension, `[C, L]` as `C, 1, L`) of an input, or `None`.
pub fn maps(input: &[usize], one_d: bool) -> Option<(usize, Pair)> {
    match (input, one_d) {
        ([c, h, w], false) => Some((*c, Pair(*h, *w))),
        ([c, l], true) => Some((*c, Pair(1, *l))),
        _ => None,
    }
}
