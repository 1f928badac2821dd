//! `budget: { flash: 64 KiB, ram: 8 KiB, macs: 200_000 }`: limits on what the model costs
//! (`cost.rs`), checked while the macro expands, so an over-budget model is a compile error
//! naming the figure, the limit and the layers that cost most. Figures are for `f32`, or for
//! the int8 form with `precision: int8`.

use crate::cost::{bytes_text, count_text, Cost, LayerCost};
use crate::diag::Ctxt;
use crate::loc::Loc;
use crate::parse::Limit;
use crate::suggest::closest;

pub const EXAMPLE: &str = "budget: { flash: 64 KiB, ram: 8 KiB, macs: 200_000 }";
const KEYS: &[&str] = &["flash", "ram", "macs"];
/// Bytes of one value in the precision the budget is checked for.
const F32_BYTES: usize = 4;
/// How many of the costliest layers an over-budget error names.
const NAMED_LAYERS: usize = 3;

/// One limit, in bytes or multiply-accumulates, and where it was written.
pub struct Bound {
    pub value: u64,
    pub text: String,
    pub loc: Loc,
}

/// The limits a declaration sets.
#[derive(Default)]
pub struct Budget {
    /// Model bytes (the weights the embedded form keeps in read-only memory).
    pub flash: Option<Bound>,
    /// The embedded form's scratch bytes.
    pub ram: Option<Bound>,
    /// Multiply-accumulates per sample (per step for sequences).
    pub macs: Option<Bound>,
}

/// Reads the limits, recording unknown, repeated and malformed ones.
pub fn read(limits: &[Limit], key: &syn::Ident, cx: &mut Ctxt) -> Budget {
    let mut b = Budget::default();
    if limits.is_empty() {
        cx.error_spanned_by(
            key,
            format!("`budget` sets no limit; write e.g. `{EXAMPLE}`"),
        );
    }
    for l in limits {
        let name = l.key.to_string();
        let slot = match name.as_str() {
            "flash" => &mut b.flash,
            "ram" => &mut b.ram,
            "macs" => &mut b.macs,
            _ => {
                let hint = closest(&name, KEYS)
                    .map(|s| format!(" (did you mean `{s}`?)"))
                    .unwrap_or_default();
                cx.error_spanned_by(&l.key, format!("unknown budget `{name}`{hint}; a budget limits `flash` (model bytes), `ram` (scratch bytes) and `macs` (multiply-accumulates per sample)"));
                continue;
            }
        };
        if slot.is_some() {
            cx.error_spanned_by(&l.key, format!("the budget sets `{name}` twice"));
            continue;
        }
        *slot = bound(l, name == "macs", cx);
    }
    b
}

/// Bytes per unit (`KiB`) or, for `macs`, a count's multiplier (`M`).
fn multiplier(unit: &str, count: bool) -> Option<f64> {
    let m = match (count, unit) {
        (false, "B" | "bytes") => 1.0,
        (false, "KiB") => 1024.0,
        (false, "MiB") => 1024.0 * 1024.0,
        (false, "KB" | "kB") => 1e3,
        (false, "MB") => 1e6,
        (true, "K" | "k") => 1e3,
        (true, "M") => 1e6,
        (true, "G") => 1e9,
        _ => return None,
    };
    Some(m)
}

fn bound(l: &Limit, count: bool, cx: &mut Ctxt) -> Option<Bound> {
    let amount = match &l.amount {
        syn::Lit::Int(i) => i.base10_parse::<f64>().ok(),
        syn::Lit::Float(f) => f.base10_parse::<f64>().ok(),
        _ => None,
    };
    let units = if count {
        "a count, optionally with `K`, `M` or `G` (e.g. `macs: 200_000` or `macs: 1.5 M`)"
    } else {
        "a number of bytes with `KiB`, `MiB`, `KB`, `MB` or `bytes` (e.g. `flash: 64 KiB`)"
    };
    let Some(amount) = amount.filter(|a| a.is_finite() && *a > 0.0) else {
        cx.error_spanned_by(&l.amount, format!("a budget limit is {units}"));
        return None;
    };
    let m = match &l.unit {
        None => 1.0,
        Some(u) => match multiplier(&u.to_string(), count) {
            Some(m) => m,
            None => {
                cx.error_spanned_by(
                    u,
                    format!("`{u}` is no unit here; a `{}` limit is {units}", l.key),
                );
                return None;
            }
        },
    };
    Some(Bound {
        value: (amount * m).floor().min(u64::MAX as f64) as u64,
        text: l.source(),
        loc: l.loc(),
    })
}

/// The rule: every figure within its limit, else one error at the limit.
pub fn within(b: &Budget, cost: &Cost, key: &syn::Ident, cx: &mut Ctxt) {
    if let Some(layer) = &cost.custom {
        cx.error_spanned_by(key, format!("a budget cannot be checked for this network: `{layer}` is a custom layer, whose tensors and products the macro cannot see"));
        return;
    }
    let (elem, precision) = if cost.int8 {
        (1, "int8")
    } else {
        (F32_BYTES, "f32")
    };
    if let Some(lim) = &b.flash {
        let share = |l: &LayerCost| {
            if cost.int8 {
                l.int8_bytes as u64
            } else {
                (l.values * F32_BYTES) as u64
            }
        };
        let need = cost.layers.iter().map(share).sum();
        let costliest = costliest(cost, share, bytes_text, need);
        over(lim, need, cx, || {
            format!("the model's weights take {} in {precision} ({} values), over the `flash` budget of {}; the layers that cost most: {costliest}", bytes_text(need), count_text(cost.values as u64), lim.text)
        });
    }
    if let Some(lim) = &b.ram {
        let need = cost.scratch_bytes(elem);
        // The two buffers are the widest layer's (the first of that width).
        let widest = cost.layers.iter().position(|l| l.width == cost.widest);
        let share = |l: &LayerCost| {
            let is_widest = widest.is_some_and(|i| std::ptr::eq(l, &cost.layers[i]));
            let buffers = if is_widest {
                2 * l.width * cost.rows
            } else {
                0
            };
            let state = if cost.int8 {
                l.int8_state
            } else {
                l.state * elem
            };
            (buffers * elem + state) as u64
        };
        let costliest = costliest(cost, share, bytes_text, need);
        let mut states = String::new();
        if cost.layout.work > 0 {
            let work = count_text(cost.layout.work as u64);
            states += &format!(", a work area of {work} values for the composites' branches");
        }
        if cost.layers.iter().any(|l| l.state > 0) {
            states += " and the recurrent states";
        }
        over(lim, need, cx, || {
            format!("the embedded form's scratch takes {} in {precision} (two buffers of {} values for the widest output{states}), over the `ram` budget of {}; the layers that cost most: {costliest}", bytes_text(need), count_text(cost.widest as u64), lim.text)
        });
    }
    if let Some(lim) = &b.macs {
        let costliest = costliest(cost, |l| l.macs, count_text, cost.macs);
        over(lim, cost.macs, cx, || {
            format!("one sample takes {} multiply-accumulates, over the `macs` budget of {}; the layers that cost most: {costliest}", count_text(cost.macs), lim.text)
        });
    }
}

fn over(lim: &Bound, need: u64, cx: &mut Ctxt, msg: impl FnOnce() -> String) {
    if need > lim.value {
        cx.error_spanned_by(lim.loc, msg());
    }
}

/// `` `layers.0` [64] -> [256] 64.0 KiB (79%), .. ``: the layers with the largest shares.
fn costliest(
    cost: &Cost,
    share: impl Fn(&LayerCost) -> u64,
    text: fn(u64) -> String,
    total: u64,
) -> String {
    let mut ranked: Vec<(&LayerCost, u64)> = cost
        .layers
        .iter()
        .map(|l| (l, share(l)))
        .filter(|(_, s)| *s > 0)
        .collect();
    ranked.sort_by_key(|r| std::cmp::Reverse(r.1));
    let named: Vec<String> = ranked
        .iter()
        .take(NAMED_LAYERS)
        .map(|(l, s)| {
            let pct = 100.0 * *s as f64 / total.max(1) as f64;
            format!("`{}` {} {} ({pct:.0}%)", l.name, l.shapes, text(*s))
        })
        .collect();
    if named.is_empty() {
        "none (only the input's buffers)".into()
    } else {
        named.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use crate::tests::errors_of;
    use quote::quote;

    fn errors(budget: proc_macro2::TokenStream) -> Vec<String> {
        errors_of(&crate::expand(quote! {
            struct N {
                input: [64],
                layers: [dense(256), relu, dense(10)],
                loss: none,
                budget: #budget,
            }
        }))
    }

    #[test]
    fn a_model_within_its_budget_compiles() {
        // 64*256 + 256 + 256*10 + 10 = 19,210 values = 76,840 bytes; scratch 2 * 256 * 4;
        // 64*256 + 256*10 = 18,944 multiply-accumulates.
        let e = errors(quote!({ flash: 76_840 bytes, ram: 2 KiB, macs: 18_944 }));
        assert!(e.is_empty(), "{e:?}");
    }

    #[test]
    fn each_figure_over_its_limit_is_one_error_naming_figure_limit_and_layers() {
        let e = errors(quote!({ flash: 64 KiB, ram: 2047 bytes, macs: 0.018 M }));
        assert_eq!(e.len(), 3, "{e:?}");
        assert!(
            e[0].starts_with("the model's weights take 75.0 KiB in f32 (19,210 values), over the `flash` budget of 64 KiB; the layers that cost most: `layers.0` [64] -> [256] 65.0 KiB (87%), `layers.2` [256] -> [10] 10.0 KiB (13%)"),
            "{}", e[0]
        );
        assert!(
            e[1].contains("takes 2.0 KiB in f32 (two buffers of 256 values for the widest output)")
                && e[1].contains("over the `ram` budget of 2047 bytes")
                && e[1].contains("`layers.0` [64] -> [256] 2.0 KiB (100%)"),
            "{}",
            e[1]
        );
        assert!(
            e[2].starts_with("one sample takes 18,944 multiply-accumulates, over the `macs` budget of 0.018 M; the layers that cost most: `layers.0` [64] -> [256] 16,384 (86%), `layers.2` [256] -> [10] 2,560 (14%)"),
            "{}", e[2]
        );
    }

    #[test]
    fn unknown_repeated_and_malformed_limits_are_reported_at_their_tokens() {
        let e = errors(quote!({ flsh: 1 KiB, ram: 8 KB, ram: 1 KiB, macs: 10 KiB, flash: 0 }));
        assert_eq!(e.len(), 4, "{e:?}");
        assert!(
            e[0].starts_with("unknown budget `flsh` (did you mean `flash`?)"),
            "{}",
            e[0]
        );
        assert_eq!(e[1], "the budget sets `ram` twice");
        assert!(
            e[2].starts_with("`KiB` is no unit here; a `macs` limit is a count"),
            "{}",
            e[2]
        );
        assert!(
            e[3].starts_with("a budget limit is a number of bytes"),
            "{}",
            e[3]
        );
        assert_eq!(
            errors(quote!({})),
            [format!(
                "`budget` sets no limit; write e.g. `{}`",
                super::EXAMPLE
            )]
        );
        let e = errors(quote!(64));
        assert!(e[0].starts_with("`budget` takes limits in braces"), "{e:?}");
    }

    #[test]
    fn recurrent_state_counts_toward_ram() {
        // LSTM 8 -> 16: state h and c (32 values) beside two buffers of 16.
        let out = crate::expand(quote! {
            struct S { input: [seq, 8], layers: [lstm(16)], loss: none, budget: { ram: 255 bytes } }
        });
        let e = errors_of(&out);
        assert!(
            e.len() == 1 && e[0].contains("takes 256 bytes in f32 (two buffers of 16 values for the widest output and the recurrent states)") && e[0].contains("`layers.0` [8] -> [16] 256 bytes (100%)"),
            "{e:?}"
        );
    }
}
