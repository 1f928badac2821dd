//! `flatten` or `flatten(400)`: `[C, H, W] -> [C*H*W]`, as PyTorch's `nn.Flatten`. Samples
//! are stored row-major, so flattening moves no data: it changes only the shape the next layer
//! sees, and emits nothing. An annotation is checked against the actual size.

use crate::args::{count, Args};
use crate::diag::Ctxt;
use crate::kind::Prev;
use crate::parse::{Arg, LayerCall};
use crate::shape::Shape;

/// The annotation, if any (errors recorded).
pub fn check_args(call: &LayerCall, cx: &mut Ctxt) -> Option<Option<(usize, crate::loc::Loc)>> {
    let mut args = Args::new(call);
    let declared = match args.positional(0) {
        Some(Arg::Positional(v)) => {
            Some(count(v, "the size of `flatten`", 1, cx).map(|n| (n, v.loc())))
        }
        Some(other) => {
            cx.error_spanned_by(
                crate::parse::arg_loc(other),
                "`flatten` takes its output size only, e.g. `flatten(400)`",
            );
            None
        }
        None => Some(None),
    };
    args.finish(
        cx,
        "`flatten`",
        "an optional output size, e.g. `flatten(400)`",
    );
    declared
}

/// The flattened shape, checked against an annotation.
pub fn output_shape(call: &LayerCall, input: &Shape, prev: &Prev, cx: &mut Ctxt) -> Option<Shape> {
    let declared = check_args(call, cx)?;
    let n = input.numel();
    if let Some((d, loc)) = declared {
        if d != n {
            cx.error_spanned_by(
                loc,
                format!("`flatten({d})` does not match {}, which produces {input}: {n} values; write `flatten({n})`", prev.what),
            );
            return None;
        }
    }
    Some(Shape::flat(n))
}
