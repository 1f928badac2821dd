//! Reading a call's arguments: positional values, `in -> out` annotations and `key = value`
//! options, with an error for anything a layer does not take.

use crate::diag::Ctxt;
use crate::parse::{arg_loc, Arg, LayerCall, Value};
use crate::suggest::closest;

/// Hands out a call's arguments and reports the ones nobody asked for.
pub struct Args<'a> {
    call: &'a LayerCall,
    used: Vec<bool>,
    /// The option names asked for, to suggest one for a misspelt key.
    known: Vec<&'static str>,
}

impl<'a> Args<'a> {
    pub fn new(call: &'a LayerCall) -> Self {
        Args {
            call,
            used: vec![false; call.args.len()],
            known: Vec::new(),
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
    pub fn named(&mut self, key: &'static str, cx: &mut Ctxt) -> Option<&'a Value> {
        self.known.push(key);
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
            match a {
                Arg::Named(k, _) => {
                    let hint = match closest(&k.to_string(), &self.known) {
                        Some(s) => format!(" (did you mean `{s}`?)"),
                        None => String::new(),
                    };
                    cx.error_spanned_by(
                        k,
                        format!("unknown option `{k}` for {what}{hint}; it accepts {accepted}"),
                    );
                }
                _ => cx.error_spanned_by(
                    arg_loc(a),
                    format!("unexpected argument for {what}; it accepts {accepted}"),
                ),
            }
        }
    }
}

/// A whole number of at least `min`, or an error naming `what`.
pub fn count(v: &Value, what: &str, min: u64, cx: &mut Ctxt) -> Option<usize> {
    match v {
        Value::Int(n, loc) if *n > crate::shape::MAX_COUNT => {
            cx.error_spanned_by(
                loc,
                format!(
                    "{what} {n} is too large; kiln takes counts up to {}",
                    crate::shape::MAX_COUNT
                ),
            );
            None
        }
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
        Some(_) => {
            cx.error_spanned_by(
                v.loc(),
                format!("{what} must be {range}, got {}", v.describe()),
            );
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
