//! A call checked against its registry entry before the kind reads it: `key = value` options
//! the kind does not take (PyTorch's keywords among them, with the rewrite that works), and
//! names that are no layer (PyTorch's class names, typos, `softmax`). One error per mistake:
//! a call with a wrong keyword is not read further, so no "missing argument" follows.

use crate::diag::Ctxt;
use crate::loc::Loc;
use crate::parse::{arg_loc, Arg, BlockDef, LayerCall};
use crate::registry::{self, Entry};
use crate::suggest::closest;

/// Whether every `key = value` of `call` is an option of `entry`; records one error otherwise.
pub fn check(entry: &Entry, call: &LayerCall, cx: &mut Ctxt) -> bool {
    let unknown: Vec<(&syn::Ident, &Arg)> = call
        .args
        .iter()
        .filter_map(|a| match a {
            Arg::Named(k, _) if !entry.options.iter().any(|o| k == o) => Some((k, a)),
            _ => None,
        })
        .collect();
    let Some((first, _)) = unknown.first() else {
        return true;
    };
    let mut loc = Loc::of(first.span());
    let message = match rewrite(entry, call) {
        Some(fixed) => {
            loc.end = arg_loc(unknown[unknown.len() - 1].1).end;
            let keys: Vec<String> = unknown.iter().map(|(k, _)| format!("`{k}`")).collect();
            format!(
                "{} {} not {} of `{}`: {}; write `{fixed}`",
                keys.join(" and "),
                if keys.len() == 1 { "is" } else { "are" },
                if keys.len() == 1 {
                    "an option"
                } else {
                    "options"
                },
                entry.name,
                positional_note(entry)
            )
        }
        None => unknown_option(entry, first, cx),
    };
    cx.error_spanned_by(loc, message);
    false
}

/// What the positional parameters are, for the rewrite message.
fn positional_note(entry: &Entry) -> String {
    let names: Vec<&str> = entry.params.iter().map(|p| p.name).collect();
    match names.len() {
        0 => "it takes no positional arguments".to_string(),
        _ => format!("kiln takes {} by position", names.join(", ")),
    }
}

/// The message for one option that no rewrite explains.
fn unknown_option(entry: &Entry, key: &syn::Ident, _cx: &mut Ctxt) -> String {
    let k = key.to_string();
    if let Some((_, why)) = entry.torch_only.iter().find(|(t, _)| *t == k) {
        return format!("`{k}` is PyTorch's; {why}");
    }
    let hint = match closest(&k, entry.options) {
        Some(s) => format!(" (did you mean `{s}`?)"),
        None => String::new(),
    };
    let accepted = if entry.options.is_empty() {
        "no `key = value` options".to_string()
    } else {
        let o: Vec<String> = entry
            .options
            .iter()
            .map(|o| format!("`{o} = ...`"))
            .collect();
        o.join(", ")
    };
    format!(
        "unknown option `{k}` for `{}`{hint}; it takes {accepted}, as in {}",
        entry.name, entry.usage
    )
}

/// The call with keywords that name positional parameters (kiln's names or PyTorch's, such as
/// `out_channels`, `kernel_size`, `p`) moved into position, if every unknown keyword is one.
fn rewrite(entry: &Entry, call: &LayerCall) -> Option<String> {
    let mut slots: Vec<Option<String>> = vec![None; entry.params.len()];
    let mut positional = 0;
    let mut rest = Vec::new();
    let mut moved = false;
    for a in &call.args {
        match a {
            Arg::Positional(v) => {
                *slots.get_mut(positional)? = Some(v.source());
                positional += 1;
            }
            Arg::Arrow(i, o) => {
                *slots.get_mut(positional)? = Some(format!("{} -> {}", i.source(), o.source()));
                positional += 1;
            }
            Arg::Named(k, v) => {
                let slot = entry
                    .params
                    .iter()
                    .position(|p| k == p.name || p.pytorch.iter().any(|t| k == t));
                match slot {
                    Some(i) if !entry.options.iter().any(|o| k == o) => {
                        if slots[i].replace(v.source()).is_some() {
                            return None;
                        }
                        moved = true;
                    }
                    _ if entry.options.iter().any(|o| k == o) => {
                        rest.push(format!("{k} = {}", v.source()))
                    }
                    _ => return None,
                }
            }
        }
    }
    if !moved {
        return None;
    }
    // Positions must be filled from the first; a gap ends them (later ones become options).
    let mut args = Vec::new();
    let mut gap = false;
    for (p, slot) in entry.params.iter().zip(slots) {
        match slot {
            Some(v) if !gap => args.push(v),
            Some(v) if entry.options.contains(&p.name) => rest.push(format!("{} = {v}", p.name)),
            Some(_) => return None,
            None => gap = true,
        }
    }
    args.extend(rest);
    Some(format!("{}({})", entry.name, args.join(", ")))
}

/// Whether a bare CamelCase name is PyTorch's (or another framework's) spelling of a kiln
/// layer or a known non-layer (`ReLU`, `Sequential`) rather than a user's type.
pub fn means_builtin(name: &str) -> bool {
    registry::lookup_spelling(name).is_some()
        || registry::NOT_LAYERS
            .iter()
            .any(|(n, _)| crate::suggest::folded(n) == crate::suggest::folded(name))
}

/// A name that is no layer kind and no block: what it probably means.
pub fn unknown_layer(call: &LayerCall, blocks: &[BlockDef], cx: &mut Ctxt) {
    let name = call.name.to_string();
    if let Some((_, why)) = registry::NOT_LAYERS
        .iter()
        .find(|(n, _)| crate::suggest::folded(n) == crate::suggest::folded(&name))
    {
        cx.error_spanned_by(&call.name, format!("`{name}`: {why}"));
        return;
    }
    if let Some(e) = registry::lookup_spelling(&name) {
        let fixed = rewrite(e, call).unwrap_or_else(|| call_with_name(call, e.name));
        cx.error_spanned_by(
            &call.name,
            format!("unknown layer `{name}` (did you mean `{}`, kiln's name for PyTorch's `nn.{}`?); write `{fixed}`", e.name, e.pytorch),
        );
        return;
    }
    let mut candidates: Vec<&str> = registry::names();
    let block_names: Vec<String> = blocks.iter().map(|b| b.name.to_string()).collect();
    candidates.extend(block_names.iter().map(String::as_str));
    let hint = closest(&name, &candidates)
        .map(|s| format!(" (did you mean `{s}`?)"))
        .unwrap_or_default();
    cx.error_spanned_by(
        &call.name,
        format!(
            "unknown layer `{name}`{hint}; expected {}",
            registry::known_list()
        ),
    );
}

/// `call` as written, under another name.
fn call_with_name(call: &LayerCall, name: &str) -> String {
    if call.args.is_empty() {
        return name.to_string();
    }
    let args: Vec<String> = call
        .args
        .iter()
        .map(|a| match a {
            Arg::Positional(v) => v.source(),
            Arg::Arrow(i, o) => format!("{} -> {}", i.source(), o.source()),
            Arg::Named(k, v) => format!("{k} = {}", v.source()),
        })
        .collect();
    format!("{name}({})", args.join(", "))
}
