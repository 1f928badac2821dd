//! Composite layers, so blocks declared in `network!` (residual blocks, parallel branches,
//! sequences inside them) are themselves layers:
//! - [`Chain`]: two layers in sequence (longer sequences nest: `Chain<A, Chain<B, C>>`);
//!   children are named `prefix.0`, `prefix.1`, ... in order.
//! - [`Residual`]: `f(main(x) + shortcut(x))` (the residual block of He et al., 2016),
//!   children `prefix.main.*`, `prefix.shortcut.*`.
//! - [`Concat`]: two branches on the same input, outputs concatenated on channels (each
//!   sample's outputs `[a | b]`), for Inception and dense blocks; children `prefix.0.*`, `prefix.1.*`.
//! - [`Identity`]: `y = x`, the identity shortcut or branch.

use crate::train_ctx::TrainCtx;
use core::marker::PhantomData;

use super::scratch_pool::{kept_or_lent, with_buffer, with_buffers};
use super::{ensure_len, GradVisitor, Layer};
use crate::activation::Activation;
use crate::float::Float;
use crate::param::ParamKind;
use crate::Result;

/// The index-based visitors of a composite with two children `$a` then `$b`: the second
/// child's tensors are numbered after the first's.
macro_rules! pair_visitors {
    ($a:ident, $b:ident) => {
        fn param_count(&self) -> usize {
            self.$a.param_count() + self.$b.param_count()
        }
        fn visit_params(&self, f: &mut dyn FnMut(usize, ParamKind, &[T])) {
            let n = self.$a.param_count();
            self.$a.visit_params(f);
            self.$b.visit_params(&mut |i, k, v| f(n + i, k, v));
        }
        fn visit_params_mut(&mut self, f: &mut dyn FnMut(usize, ParamKind, &mut [T])) {
            let n = self.$a.param_count();
            self.$a.visit_params_mut(f);
            self.$b.visit_params_mut(&mut |i, k, v| f(n + i, k, v));
        }
        fn visit_with_grads(&mut self, g: &Self, f: &mut GradVisitor<'_, T>) {
            let n = self.$a.param_count();
            self.$a.visit_with_grads(&g.$a, f);
            self.$b
                .visit_with_grads(&g.$b, &mut |i, k, v, gr| f(n + i, k, v, gr));
        }
        fn visit_buffers_mut(&mut self, f: &mut dyn FnMut(usize, &mut [T])) {
            let mut n = 0;
            self.$a.visit_buffers_mut(&mut |i, v| {
                n = n.max(i + 1);
                f(i, v)
            });
            self.$b.visit_buffers_mut(&mut |i, v| f(n + i, v));
        }
        fn visit_buffers(&self, f: &mut dyn FnMut(usize, &[T])) {
            let mut n = 0;
            self.$a.visit_buffers(&mut |i, v| {
                n = n.max(i + 1);
                f(i, v)
            });
            self.$b.visit_buffers(&mut |i, v| f(n + i, v));
        }
    };
}

/// `y = x` over `F` scalars per sample.
#[derive(Debug, Clone, Default)]
pub struct Identity<T, const F: usize>(PhantomData<T>);

impl<T, const F: usize> Identity<T, F> {
    /// The identity on `F` values; it has no parameters.
    pub fn new() -> Self {
        Identity(PhantomData)
    }
}

impl<T: Float, const F: usize> Layer<T> for Identity<T, F> {
    const IN: usize = F;
    const OUT: usize = F;
    const IS_IDENTITY: bool = true;
    type Cache = ();
    fn param_names(&self) -> &'static [&'static str] {
        &[]
    }
    fn zeros_like(&self) -> Self {
        Identity(PhantomData)
    }
    fn backward_reads_input(&self) -> bool {
        false
    }
    fn backward_reads_output(&self) -> bool {
        false
    }
    fn forward(&self, x: &[T], y: &mut [T], _b: usize, _c: &mut ()) {
        y.copy_from_slice(x);
    }
    fn forward_train(
        &mut self,
        x: &[T],
        y: &mut [T],
        _b: usize,
        _c: &mut (),
        _r: &mut TrainCtx,
    ) -> Result<()> {
        y.copy_from_slice(x);
        Ok(())
    }
    fn backward(
        &self,
        _x: &[T],
        _y: &[T],
        dy: &mut [T],
        dx: Option<&mut [T]>,
        _b: usize,
        _c: &mut (),
        _g: &mut Self,
    ) {
        if let Some(dx) = dx {
            dx.copy_from_slice(dy);
        }
    }
    fn visit_params(&self, _f: &mut dyn FnMut(usize, ParamKind, &[T])) {}
    fn visit_params_mut(&mut self, _f: &mut dyn FnMut(usize, ParamKind, &mut [T])) {}
    fn visit_with_grads(&mut self, _g: &Self, _f: &mut GradVisitor<'_, T>) {}
}

/// `b(a(x))`.
#[derive(Debug, Clone)]
pub struct Chain<T, A, B> {
    /// The first layer, reading the chain's input.
    pub a: A,
    /// The second layer, reading `a`'s output.
    pub b: B,
    _t: PhantomData<T>,
}

/// The intermediate activation, plus the children's caches (its gradient is lent by the
/// thread's scratch pool for the backward pass only).
#[derive(Debug, Default)]
pub struct ChainCache<T, CA, CB> {
    mid: Vec<T>,
    a: CA,
    b: CB,
}

impl<T: Float, A: Layer<T>, B: Layer<T>> Chain<T, A, B> {
    const AGREE: () = assert!(
        A::OUT == B::IN,
        "chained layers must agree on the width between them"
    );

    /// `a` then `b`; it is a compile-time error if `a`'s output width is not `b`'s input width.
    pub fn new(a: A, b: B) -> Self {
        #[allow(clippy::let_unit_value)]
        let () = Self::AGREE;
        Chain {
            a,
            b,
            _t: PhantomData,
        }
    }
}

impl<T: Float, A: Layer<T>, B: Layer<T>> Layer<T> for Chain<T, A, B> {
    const IN: usize = A::IN;
    const OUT: usize = B::OUT;
    type Cache = ChainCache<T, A::Cache, B::Cache>;

    fn cache_bytes(c: &Self::Cache) -> usize {
        crate::layers::vec_bytes(&c.mid) + A::cache_bytes(&c.a) + B::cache_bytes(&c.b)
    }

    fn set_steps(c: &mut Self::Cache, steps: usize) {
        A::set_steps(&mut c.a, steps);
        B::set_steps(&mut c.b, steps);
    }

    fn set_lengths(c: &mut Self::Cache, lengths: &[usize]) {
        A::set_lengths(&mut c.a, lengths);
        B::set_lengths(&mut c.b, lengths);
    }

    fn reset_state(c: &mut Self::Cache) {
        A::reset_state(&mut c.a);
        B::reset_state(&mut c.b);
    }

    fn param_names(&self) -> &'static [&'static str] {
        &[]
    }

    pair_visitors!(a, b);
    fn zeros_like(&self) -> Self {
        Chain::new(self.a.zeros_like(), self.b.zeros_like())
    }

    fn backward_reads_input(&self) -> bool {
        self.a.backward_reads_input()
    }

    fn backward_reads_output(&self) -> bool {
        self.b.backward_reads_output()
    }

    fn forward(&self, x: &[T], y: &mut [T], batch: usize, c: &mut Self::Cache) {
        ensure_len(&mut c.mid, batch * A::OUT);
        self.a.forward(x, &mut c.mid, batch, &mut c.a);
        self.b.forward(&c.mid, y, batch, &mut c.b);
    }

    fn forward_train(
        &mut self,
        x: &[T],
        y: &mut [T],
        batch: usize,
        c: &mut Self::Cache,
        rng: &mut TrainCtx,
    ) -> Result<()> {
        // The intermediate is kept for backward only when one of the two reads it.
        let keep = self.a.backward_reads_output() || self.b.backward_reads_input();
        let (a, b) = (&mut self.a, &mut self.b);
        kept_or_lent(keep, &mut c.mid, batch * A::OUT, |mid| {
            a.forward_train(x, mid, batch, &mut c.a, rng)?;
            b.forward_train(mid, y, batch, &mut c.b, rng)
        })
    }

    fn backward(
        &self,
        x: &[T],
        y: &[T],
        dy: &mut [T],
        dx: Option<&mut [T]>,
        batch: usize,
        c: &mut Self::Cache,
        g: &mut Self,
    ) {
        with_buffer(batch * A::OUT, |dmid| {
            self.b
                .backward(&c.mid, y, dy, Some(&mut *dmid), batch, &mut c.b, &mut g.b);
            self.a
                .backward(x, &c.mid, dmid, dx, batch, &mut c.a, &mut g.a);
        });
    }
}

/// `act(main(x) + shortcut(x))`; the two branches must produce the same shape.
#[derive(Debug, Clone)]
pub struct Residual<T, M, S> {
    /// The branch that learns the change to the input (e.g. two convolutions).
    pub main: M,
    /// The branch added to it unchanged: usually [`Identity`], or a projection when the
    /// shape changes.
    pub shortcut: S,
    /// Applied to the sum of the two branches.
    pub act: Activation,
    _t: PhantomData<T>,
}

/// Both branches' outputs (their backward needs them; an identity shortcut's is the input
/// itself) and the sum before the activation when the activation needs it. Gradient scratch
/// is lent by the thread's scratch pool for the backward pass only.
#[derive(Debug, Default)]
pub struct ResidualCache<T, CM, CS> {
    main_out: Vec<T>,
    short_out: Vec<T>,
    z: Vec<T>,
    m: CM,
    s: CS,
}

impl<T: Float, M: Layer<T>, S: Layer<T>> Residual<T, M, S> {
    const AGREE: () = assert!(
        M::IN == S::IN && M::OUT == S::OUT,
        "the main branch and the shortcut of a residual block must agree in shape"
    );

    /// `act(main(x) + shortcut(x))`; it is a compile-time error if the branches' input or
    /// output widths differ.
    pub fn new(main: M, shortcut: S, act: Activation) -> Self {
        #[allow(clippy::let_unit_value)]
        let () = Self::AGREE;
        Residual {
            main,
            shortcut,
            act,
            _t: PhantomData,
        }
    }

    /// `y = main(x) + shortcut(x)` from the branches' outputs; an identity shortcut's
    /// output is `x` itself.
    fn sum_branches(x: &[T], y: &mut [T], main_out: &[T], short_out: &[T]) {
        let short = if S::IS_IDENTITY { x } else { short_out };
        crate::fixed::add(main_out, short, y);
    }
}

impl<T: Float, M: Layer<T>, S: Layer<T>> Layer<T> for Residual<T, M, S> {
    const IN: usize = M::IN;
    const OUT: usize = M::OUT;
    type Cache = ResidualCache<T, M::Cache, S::Cache>;

    fn cache_bytes(c: &Self::Cache) -> usize {
        crate::layers::vec_bytes(&c.main_out)
            + crate::layers::vec_bytes(&c.short_out)
            + crate::layers::vec_bytes(&c.z)
            + M::cache_bytes(&c.m)
            + S::cache_bytes(&c.s)
    }

    fn set_steps(c: &mut Self::Cache, steps: usize) {
        M::set_steps(&mut c.m, steps);
        S::set_steps(&mut c.s, steps);
    }

    fn set_lengths(c: &mut Self::Cache, lengths: &[usize]) {
        M::set_lengths(&mut c.m, lengths);
        S::set_lengths(&mut c.s, lengths);
    }

    fn reset_state(c: &mut Self::Cache) {
        M::reset_state(&mut c.m);
        S::reset_state(&mut c.s);
    }

    fn param_names(&self) -> &'static [&'static str] {
        &[]
    }

    pair_visitors!(main, shortcut);
    fn zeros_like(&self) -> Self {
        Residual::new(self.main.zeros_like(), self.shortcut.zeros_like(), self.act)
    }

    fn backward_reads_input(&self) -> bool {
        self.main.backward_reads_input()
            || (!S::IS_IDENTITY && self.shortcut.backward_reads_input())
    }

    fn backward_reads_output(&self) -> bool {
        self.act.needs_output()
    }

    fn forward(&self, x: &[T], y: &mut [T], batch: usize, c: &mut Self::Cache) {
        ensure_len(&mut c.main_out, batch * M::OUT);
        self.main.forward(x, &mut c.main_out, batch, &mut c.m);
        if !S::IS_IDENTITY {
            ensure_len(&mut c.short_out, batch * M::OUT);
            self.shortcut.forward(x, &mut c.short_out, batch, &mut c.s);
        }
        Self::sum_branches(x, y, &c.main_out, &c.short_out);
        self.act.forward(y);
    }

    fn forward_train(
        &mut self,
        x: &[T],
        y: &mut [T],
        batch: usize,
        c: &mut Self::Cache,
        rng: &mut TrainCtx,
    ) -> Result<()> {
        // Each branch's output is kept for backward only when that branch reads it.
        let keep_main = self.main.backward_reads_output();
        let keep_short = !S::IS_IDENTITY && self.shortcut.backward_reads_output();
        let short_len = if S::IS_IDENTITY { 0 } else { batch * M::OUT };
        let (main, shortcut) = (&mut self.main, &mut self.shortcut);
        let ResidualCache {
            main_out,
            short_out,
            m,
            s,
            ..
        } = c;
        kept_or_lent(keep_main, main_out, batch * M::OUT, |main_out| {
            main.forward_train(x, main_out, batch, m, rng)?;
            kept_or_lent(keep_short, short_out, short_len, |short_out| {
                if !S::IS_IDENTITY {
                    shortcut.forward_train(x, short_out, batch, s, rng)?;
                }
                Self::sum_branches(x, y, main_out, short_out);
                Ok(())
            })
        })?;
        if self.act.needs_input() {
            ensure_len(&mut c.z, y.len());
            c.z.copy_from_slice(y);
        }
        self.act.forward(y);
        Ok(())
    }

    fn backward(
        &self,
        x: &[T],
        y: &[T],
        dy: &mut [T],
        dx: Option<&mut [T]>,
        batch: usize,
        c: &mut Self::Cache,
        g: &mut Self,
    ) {
        self.act.backward(&c.z, y, dy);
        // The main branch may overwrite `dy`: the shortcut gets a copy, unless it is an
        // identity with no input gradient to give.
        let short_len = if S::IS_IDENTITY && dx.is_none() {
            0
        } else {
            dy.len()
        };
        let dx_short_len = match dx {
            Some(_) if !S::IS_IDENTITY => batch * M::IN,
            _ => 0,
        };
        with_buffers([short_len, dx_short_len], |[d_short, dx_short]| {
            d_short.copy_from_slice(&dy[..short_len]);
            let mut dx = dx;
            self.main.backward(
                x,
                &c.main_out,
                dy,
                dx.as_deref_mut(),
                batch,
                &mut c.m,
                &mut g.main,
            );
            if S::IS_IDENTITY {
                if let Some(dx) = dx {
                    add_onto(dx, d_short);
                }
                return;
            }
            let want_dx = dx.is_some();
            self.shortcut.backward(
                x,
                &c.short_out,
                d_short,
                want_dx.then_some(&mut *dx_short),
                batch,
                &mut c.s,
                &mut g.shortcut,
            );
            if let Some(dx) = dx {
                add_onto(dx, dx_short);
            }
        });
    }
}

/// `dst += src`, element by element.
fn add_onto<T: Float>(dst: &mut [T], src: &[T]) {
    for (o, &v) in dst.iter_mut().zip(src) {
        *o += v;
    }
}

/// Branches `a` and `b` on the same input; each sample's output is `[a(x) | b(x)]`, which for
/// `[C, H, W]` maps is concatenation on channels. More branches nest: `Concat<A, Concat<B, C>>`.
#[derive(Debug, Clone)]
pub struct Concat<T, A, B> {
    /// The first branch; its output comes first in each sample.
    pub a: A,
    /// The second branch; its output follows `a`'s.
    pub b: B,
    _t: PhantomData<T>,
}

/// Each branch's output and the child caches (the gradients are lent by the thread's
/// scratch pool for the backward pass only).
#[derive(Debug, Default)]
pub struct ConcatCache<T, CA, CB> {
    ya: Vec<T>,
    yb: Vec<T>,
    a: CA,
    b: CB,
}

impl<T: Float, A: Layer<T>, B: Layer<T>> Concat<T, A, B> {
    const AGREE: () = assert!(
        A::IN == B::IN,
        "concatenated branches must take the same input"
    );

    /// Both branches on the same input; it is a compile-time error if their input widths
    /// differ.
    pub fn new(a: A, b: B) -> Self {
        #[allow(clippy::let_unit_value)]
        let () = Self::AGREE;
        Concat {
            a,
            b,
            _t: PhantomData,
        }
    }

    fn join(y: &mut [T], ya: &[T], yb: &[T]) {
        for ((row, ra), rb) in y
            .chunks_exact_mut(A::OUT + B::OUT)
            .zip(ya.chunks_exact(A::OUT))
            .zip(yb.chunks_exact(B::OUT))
        {
            row[..A::OUT].copy_from_slice(ra);
            row[A::OUT..].copy_from_slice(rb);
        }
    }
}

impl<T: Float, A: Layer<T>, B: Layer<T>> Layer<T> for Concat<T, A, B> {
    const IN: usize = A::IN;
    const OUT: usize = A::OUT + B::OUT;
    type Cache = ConcatCache<T, A::Cache, B::Cache>;

    fn cache_bytes(c: &Self::Cache) -> usize {
        crate::layers::vec_bytes(&c.ya)
            + crate::layers::vec_bytes(&c.yb)
            + A::cache_bytes(&c.a)
            + B::cache_bytes(&c.b)
    }

    fn set_steps(c: &mut Self::Cache, steps: usize) {
        A::set_steps(&mut c.a, steps);
        B::set_steps(&mut c.b, steps);
    }

    fn set_lengths(c: &mut Self::Cache, lengths: &[usize]) {
        A::set_lengths(&mut c.a, lengths);
        B::set_lengths(&mut c.b, lengths);
    }

    fn reset_state(c: &mut Self::Cache) {
        A::reset_state(&mut c.a);
        B::reset_state(&mut c.b);
    }

    fn param_names(&self) -> &'static [&'static str] {
        &[]
    }

    pair_visitors!(a, b);
    fn zeros_like(&self) -> Self {
        Concat::new(self.a.zeros_like(), self.b.zeros_like())
    }

    fn backward_reads_input(&self) -> bool {
        self.a.backward_reads_input() || self.b.backward_reads_input()
    }

    fn backward_reads_output(&self) -> bool {
        false
    }

    fn forward(&self, x: &[T], y: &mut [T], batch: usize, c: &mut Self::Cache) {
        ensure_len(&mut c.ya, batch * A::OUT);
        ensure_len(&mut c.yb, batch * B::OUT);
        self.a.forward(x, &mut c.ya, batch, &mut c.a);
        self.b.forward(x, &mut c.yb, batch, &mut c.b);
        Self::join(y, &c.ya, &c.yb);
    }

    fn forward_train(
        &mut self,
        x: &[T],
        y: &mut [T],
        batch: usize,
        c: &mut Self::Cache,
        rng: &mut TrainCtx,
    ) -> Result<()> {
        // Each branch's output is kept for backward only when that branch reads it.
        let (keep_a, keep_b) = (
            self.a.backward_reads_output(),
            self.b.backward_reads_output(),
        );
        let (a, b) = (&mut self.a, &mut self.b);
        let ConcatCache {
            ya,
            yb,
            a: ca,
            b: cb,
        } = c;
        kept_or_lent(keep_a, ya, batch * A::OUT, |ya| {
            a.forward_train(x, ya, batch, ca, rng)?;
            kept_or_lent(keep_b, yb, batch * B::OUT, |yb| {
                b.forward_train(x, yb, batch, cb, rng)?;
                Self::join(y, ya, yb);
                Ok(())
            })
        })
    }

    fn backward(
        &self,
        x: &[T],
        _y: &[T],
        dy: &mut [T],
        dx: Option<&mut [T]>,
        batch: usize,
        c: &mut Self::Cache,
        g: &mut Self,
    ) {
        let dxb_len = if dx.is_some() { batch * A::IN } else { 0 };
        with_buffers(
            [batch * A::OUT, batch * B::OUT, dxb_len],
            |[dya, dyb, dxb]| {
                for ((row, ra), rb) in dy
                    .chunks_exact(A::OUT + B::OUT)
                    .zip(dya.chunks_exact_mut(A::OUT))
                    .zip(dyb.chunks_exact_mut(B::OUT))
                {
                    ra.copy_from_slice(&row[..A::OUT]);
                    rb.copy_from_slice(&row[A::OUT..]);
                }
                let mut dx = dx;
                let want_dx = dx.is_some();
                self.a
                    .backward(x, &c.ya, dya, dx.as_deref_mut(), batch, &mut c.a, &mut g.a);
                self.b.backward(
                    x,
                    &c.yb,
                    dyb,
                    want_dx.then_some(&mut *dxb),
                    batch,
                    &mut c.b,
                    &mut g.b,
                );
                if let Some(dx) = dx {
                    add_onto(dx, dxb);
                }
            },
        );
    }

    // Branch `a` is `prefix.0`, branch `b` is `prefix.1` (a nested concat numbers its own two
    // branches below that); a branch that is a chain names its layers `prefix.k.0`, ...
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{check_layer, probe_input};
    use super::super::{Act, BatchNorm, BatchNorm2d, Conv2d, Dense};
    use super::*;
    use crate::init::Init;

    fn dense<const I: usize, const O: usize>(act: Activation, seed: u64) -> Dense<f64, I, O> {
        Dense::new(
            true,
            act,
            Init::XavierUniform { gain: 1.0 },
            &mut crate::rng::seeded(seed),
        )
        .unwrap()
    }

    #[test]
    fn chain_matches_its_parts_and_finite_differences() {
        let mut c = Chain::new(
            dense::<3, 4>(Activation::Tanh, 1),
            Chain::new(
                BatchNorm::<f64, 4>::new(0.1, 1e-5).unwrap(),
                dense::<4, 2>(Activation::Sigmoid, 2),
            ),
        );
        let x = probe_input(3 * 5);
        let err = check_layer(&mut c, &x, 5, 0);
        assert!(err < 1e-6, "{err}");
        // Children in order, numbered on (the macro names them).
        assert_eq!(
            visit_order(&c),
            [(0, 12), (1, 4), (2, 4), (3, 4), (4, 8), (5, 2)]
        );
        assert_eq!(c.param_count(), 6);
    }

    #[test]
    fn residual_adds_the_shortcut_and_matches_finite_differences() {
        let mut r = Residual::new(
            Chain::new(
                dense::<3, 4>(Activation::Tanh, 1),
                dense::<4, 3>(Activation::Identity, 2),
            ),
            Identity::<f64, 3>::new(),
            Activation::Tanh,
        );
        let x = probe_input(3 * 4);
        let mut y = vec![0.0; 12];
        let mut plain = vec![0.0; 12];
        r.forward(&x, &mut y, 4, &mut Default::default());
        r.main.forward(&x, &mut plain, 4, &mut Default::default());
        for i in 0..12 {
            assert!((y[i] - (plain[i] + x[i]).tanh()).abs() < 1e-12);
        }
        assert!(check_layer(&mut r, &x, 4, 0) < 1e-6);
        let mut projected = Residual::new(
            dense::<3, 2>(Activation::Relu, 3),
            dense::<3, 2>(Activation::Identity, 4),
            Activation::Relu,
        );
        assert!(check_layer(&mut projected, &x, 4, 0) < 1e-6);
        // Main branch, then shortcut.
        assert_eq!(visit_order(&projected), [(0, 6), (1, 2), (2, 6), (3, 2)]);
    }

    /// A `K`x`K` convolution with padding `P` on `[CI, 4, 4]` maps, stride `S`, output `O`x`O`.
    fn conv<
        const CI: usize,
        const CO: usize,
        const K: usize,
        const S: usize,
        const P: usize,
        const O: usize,
    >(
        seed: u64,
    ) -> Conv2d<f64, CI, 4, 4, CO, K, K, S, S, P, P, O, O, 1, 1, 1> {
        let init = Init::XavierUniform { gain: 1.0 };
        Conv2d::new(
            false,
            Activation::Identity,
            init,
            &mut crate::rng::seeded(seed),
        )
        .unwrap()
    }

    fn bn<const C: usize, const HW: usize>() -> BatchNorm2d<f64, C, HW> {
        BatchNorm2d::new(0.1, 1e-5).unwrap()
    }

    #[test]
    fn resnet_blocks_keep_only_what_backward_reads_and_match_finite_differences() {
        // conv, batch norm, relu, conv, batch norm around an identity shortcut, then relu.
        let mut block = Chain::new(
            Residual::new(
                Chain::new(
                    conv::<2, 2, 3, 1, 1, 4>(1),
                    Chain::new(
                        bn::<2, 16>(),
                        Chain::new(
                            Act::<f64, 32>::new(Activation::Relu),
                            Chain::new(conv::<2, 2, 3, 1, 1, 4>(2), bn::<2, 16>()),
                        ),
                    ),
                ),
                Identity::<f64, 32>::new(),
                Activation::Identity,
            ),
            Act::<f64, 32>::new(Activation::Relu),
        );
        let x = probe_input(32 * 3);
        assert!(check_layer(&mut block, &x, 3, 0) < 1e-6);
        let mut c = <_ as Default>::default();
        block
            .forward_train(
                &x,
                &mut [0.0; 96],
                3,
                &mut c,
                &mut crate::train_ctx::TrainCtx::new(0),
            )
            .unwrap();
        let main = &c.a.m;
        let kept = [
            main.mid.len(),
            main.b.mid.len(),
            main.b.b.mid.len(),
            main.b.b.b.mid.len(),
        ];
        // The convolutions' outputs feed batch norms (which read their input), the relu's
        // output feeds a convolution; batch norm's output feeds the relu, which reads only its
        // own output, and the branch's output and the sum are read by nobody.
        assert_eq!(kept, [96, 0, 96, 96]);
        assert_eq!(
            (c.a.main_out.len(), c.a.short_out.len(), c.mid.len()),
            (0, 0, 0)
        );

        // Down-sampling: stride 2 and a 1x1 stride-2 convolution as the shortcut.
        let mut down = Residual::new(
            Chain::new(conv::<2, 3, 3, 2, 1, 2>(3), bn::<3, 4>()),
            conv::<2, 3, 1, 2, 0, 2>(4),
            Activation::Relu,
        );
        assert!(check_layer(&mut down, &x, 3, 0) < 1e-6);
    }

    #[test]
    fn concat_of_convolutions_matches_finite_differences() {
        let mut c = Concat::new(conv::<2, 1, 3, 1, 1, 4>(5), conv::<2, 2, 1, 1, 0, 4>(6));
        let x = probe_input(32 * 2);
        assert!(check_layer(&mut c, &x, 2, 0) < 1e-6);
    }

    #[test]
    fn concat_joins_per_sample_and_matches_finite_differences() {
        let mut c = Concat::new(
            dense::<3, 2>(Activation::Tanh, 1),
            Concat::new(
                Identity::<f64, 3>::new(),
                dense::<3, 1>(Activation::Sigmoid, 2),
            ),
        );
        let x = probe_input(3 * 2);
        let mut y = vec![0.0; 2 * 6];
        c.forward(&x, &mut y, 2, &mut Default::default());
        assert_eq!(
            &y[2..5],
            &x[0..3],
            "the identity branch sits after branch a in sample 0"
        );
        assert_eq!(&y[8..11], &x[3..6], "and in sample 1");
        assert!(check_layer(&mut c, &x, 2, 0) < 1e-6);
        // Branches in order; the identity has none.
        assert_eq!(visit_order(&c), [(0, 6), (1, 2), (2, 3), (3, 1)]);
    }

    /// (index, length) of every parameter tensor, in visit order.
    fn visit_order<L: Layer<f64>>(l: &L) -> Vec<(usize, usize)> {
        let mut v = Vec::new();
        l.visit_params(&mut |i, _, t| v.push((i, t.len())));
        v
    }
}
