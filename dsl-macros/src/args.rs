//! Reading a call's arguments: positional values, `in -> out` annotations and `key = value`
//! options, with an error for anything a layer does not take.

use crate::ctxt::Ctxt;
use crate::parse::{arg_loc, Arg, LayerCall, Value};

/// Hands out a call's arguments and reports the ones nobody asked for.
pub struct Args<'a> {
    call: &'a LayerCall,
    used: Vec<bool>,
}

impl<'a> Args<'a> {
    pub fn new(call: &'a LayerCall) -> Self {
        Args {
            call,
            used: vec![false; call.args.len()],
        }
    }

    /// The `n`th positional argument (an `a -> b` counts as one).
    pub fn positional(&mut self, n: usize) -> Option<&'a Arg> {
        let mut seen = 0;
        for (i, a) in self.call.args.iter().enumerate() {
            if matches!(a, Arg::Named(..)) {
                continue;
            }
            if seen == n {
                self.used[i] = true;
                return Some(a);
            }
            seen += 1;
        }
        None
    }

    /// The value of `key = value`; a repeated key is an error.
    pub fn named(&mut self, key: &str, cx: &mut Ctxt) -> Option<&'a Value> {
        let mut found = None;
        for (i, a) in self.call.args.iter().enumerate() {
            if let Arg::Named(k, v) = a {
                if k == key {
                    if found.is_some() {
                        cx.error_spanned_by(k, format!("option `{key}` is given twice"));
                    } else {
                        found = Some(v);
                    }
                    self.used[i] = true;
                }
            }
        }
        found
    }

    /// Reports every argument that was not read, listing what the layer accepts.
    pub fn finish(self, cx: &mut Ctxt, what: &str, accepted: &str) {
        for (a, used) in self.call.args.iter().zip(self.used) {
            if used {
                continue;
            }
            let msg = match a {
                Arg::Named(k, _) => {
                    format!("unknown option `{k}` for {what}; it accepts {accepted}")
                }
                _ => format!("unexpected argument for {what}; it accepts {accepted}"),
            };
            cx.error_spanned_by(arg_loc(a), msg);
        }
    }
}

/// A whole number of at least `min`, or an error naming `what`.
pub fn count(v: &Value, what: &str, min: u64, cx: &mut Ctxt) -> Option<usize> {
    match v {
        Value::Int(n, loc) if *n >= min => usize::try_from(*n).ok().or_else(|| {
            cx.error_spanned_by(loc, format!("{what} {n} is too large"));
            None
        }),
        Value::Int(n, loc) => {
            cx.error_spanned_by(loc, format!("{what} must be at least {min}, got {n}"));
            None
        }
        other => {
            cx.error_spanned_by(
                other.loc(),
                format!("{what} must be a whole number, got {}", other.describe()),
            );
            None
        }
    }
}

/// A number satisfying `ok`, or an error naming `what` and the valid range.
pub fn number(
    v: &Value,
    what: &str,
    ok: impl Fn(f64) -> bool,
    range: &str,
    cx: &mut Ctxt,
) -> Option<f64> {
    match v.as_f64() {
        Some(x) if x.is_finite() && ok(x) => Some(x),
        Some(x) => {
            cx.error_spanned_by(v.loc(), format!("{what} must be {range}, got {x}"));
            None
        }
        None => {
            cx.error_spanned_by(
                v.loc(),
                format!("{what} must be a number, got {}", v.describe()),
            );
            None
        }
    }
}

/// `true` or `false`.
pub fn boolean(v: &Value, what: &str, cx: &mut Ctxt) -> Option<bool> {
    match v {
        Value::Ident(i) if i == "true" => Some(true),
        Value::Ident(i) if i == "false" => Some(false),
        other => {
            cx.error_spanned_by(
                other.loc(),
                format!("{what} must be `true` or `false`, got {}", other.describe()),
            );
            None
        }
    }
}
