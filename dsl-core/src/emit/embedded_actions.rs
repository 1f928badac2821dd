//! The embedded layout's actions as calls on slices: of one step's buffers (`forward`,
//! `step`), or of step `__t` of a whole sequence (`forward_seq`), where each buffer holds
//! one row per step.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::embedded_layout::{Action, Buf, Leaf, Region};
use crate::embedded_op::Op;
use crate::tokens::{lit, rt};

/// Where regions sit.
#[derive(Clone, Copy)]
pub enum At {
    /// In one step's buffers.
    Step,
    /// In step `__t`'s row of sequence buffers.
    Seq(Strides),
}

/// Values from one step's row to the next, per buffer, in a whole-sequence forward.
#[derive(Clone, Copy)]
pub struct Strides {
    pub x: usize,
    pub y: usize,
    /// `a` and `b`.
    pub ab: usize,
    pub work: usize,
    /// Whether the output rows are the scratch's `ys` (a reduction over time: the caller's
    /// `y` gets the last) rather than the caller's `y`.
    pub ys: bool,
}

impl At {
    /// Values from one step's row of `buf` to the next (`None` for one step's buffers).
    pub fn stride(self, buf: Buf) -> Option<usize> {
        let At::Seq(s) = self else {
            return None;
        };
        Some(match buf {
            Buf::X => s.x,
            Buf::Y => s.y,
            Buf::A | Buf::B => s.ab,
            Buf::W => s.work,
        })
    }

    /// The first value of `r` (`off`, or `__t * stride + off`).
    fn start(self, r: Region) -> TokenStream {
        let off = lit(r.off);
        match self.stride(r.buf) {
            Some(stride) => {
                let stride = lit(stride);
                quote!(__t * #stride + #off)
            }
            None => quote!(#off),
        }
    }

    /// The buffer of `r` as an expression.
    pub fn base(self, buf: Buf) -> TokenStream {
        match buf {
            Buf::X => quote!(x),
            Buf::Y if matches!(self, At::Seq(Strides { ys: true, .. })) => quote!(s.ys),
            Buf::Y => quote!(y),
            Buf::A => quote!(s.a),
            Buf::B => quote!(s.b),
            Buf::W => quote!(s.work),
        }
    }
}

/// One action of the layout as a call on slices of the scratch.
pub fn action(a: &Action, layers: &[Leaf], at: At) -> TokenStream {
    let layer = |i: usize| {
        let f = format_ident!("{}", layers[i].field);
        quote!(self.#f)
    };
    match a {
        Action::Run { leaf, src, dst } => {
            bind(&[*src], *dst, at, |x, y| match &layers[*leaf].embedded.op {
                Op::Map(call) => call(&layer(*leaf), &x[0], &y),
                Op::Step { call, .. } => {
                    let st = format_ident!("{}", layers[*leaf].state_field());
                    call(&layer(*leaf), &x[0], &y, &quote!(s.#st))
                }
                _ => unreachable!("kiln bug: a step of a layer that is no map or step"),
            })
        }
        Action::InPlace { leaf, at: r } => {
            bind(&[], *r, at, |_, y| match &layers[*leaf].embedded.op {
                Op::InPlace(apply) => apply(&y),
                _ => unreachable!("kiln bug: an in-place action of a layer that is not in place"),
            })
        }
        Action::Copy { src, dst } => bind(&[*src], *dst, at, |x, y| {
            let x = &x[0];
            quote!((#y).copy_from_slice(#x);)
        }),
        Action::Join { a, b, dst, act } => bind(&[*a, *b], *dst, at, |x, y| {
            let rt = rt();
            let (a, b) = (&x[0], &x[1]);
            let act = crate::kind::act_tokens(*act);
            quote! {
                let __join = #y;
                #rt::fixed::add(#a, #b, __join);
                #act.forward(__join);
            }
        }),
    }
}

/// `f(reads, write)` with the regions as slice expressions: regions of the work area that a
/// write into it would alias come from `fixed::split_work`, the rest are plain slices.
fn bind(
    reads: &[Region],
    write: Region,
    at: At,
    f: impl FnOnce(Vec<TokenStream>, TokenStream) -> TokenStream,
) -> TokenStream {
    if write.buf != Buf::W {
        let xs = reads.iter().map(|r| slice(*r, false, at)).collect();
        let call = f(xs, slice(write, true, at));
        return quote!({ #call });
    }
    let rt = rt();
    let in_work: Vec<&Region> = reads.iter().filter(|r| r.buf == Buf::W).collect();
    let names: Vec<_> = (0..in_work.len())
        .map(|i| format_ident!("__r{i}"))
        .collect();
    let spans = in_work.iter().map(|r| {
        let (o, n) = (at.start(**r), lit(r.len));
        quote!((#o, #n))
    });
    let mut k = 0;
    let xs = reads
        .iter()
        .map(|r| {
            if r.buf == Buf::W {
                k += 1;
                let n = &names[k - 1];
                quote!(#n)
            } else {
                slice(*r, false, at)
            }
        })
        .collect();
    let (wo, wn) = (at.start(write), lit(write.len));
    let call = f(xs, quote!(__w));
    quote!({
        let ([#(#names),*], __w) = #rt::fixed::split_work(&mut s.work, [#(#spans),*], (#wo, #wn));
        #call
    })
}

/// A region as a slice expression (`&s.a[..16]`, `&mut s.work[32..48]`, `&x[..]`,
/// `&s.a[__t * 16 + 0..][..8]`).
fn slice(r: Region, write: bool, at: At) -> TokenStream {
    let base = at.base(r.buf);
    let range = match (at, r.off) {
        (At::Step, 0) => {
            let end = lit(r.len);
            quote!([..#end])
        }
        (At::Step, _) => {
            let (off, end) = (lit(r.off), lit(r.off + r.len));
            quote!([#off..#end])
        }
        (At::Seq(_), _) => {
            let (start, len) = (at.start(r), lit(r.len));
            quote!([#start..][..#len])
        }
    };
    if write {
        quote!(&mut #base #range)
    } else {
        quote!(&#base #range)
    }
}
