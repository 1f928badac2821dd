//! 2-D pooling per channel, PyTorch semantics: [`MaxPool2d`] (`nn.MaxPool2d`: padding acts as
//! `-inf`, the gradient goes to the arg-max, the first maximum wins on ties, NaN propagates),
//! [`AvgPool2d`] (`nn.AvgPool2d` with its defaults `count_include_pad=True`,
//! `ceil_mode=False`: every window divides by `KH KW`), and [`GlobalAvgPool`]
//! (`AdaptiveAvgPool2d(1)` then flatten: `[C, H, W] -> [C]`).
//!
//! Shapes: a sample is `[C, H, W]`, its output `[C, OH, OW]` with
//! `OH = floor((H - KH + 2 PH) / SH) + 1` (likewise `OW`) and, as PyTorch requires, padding
//! at most half the kernel; both checked at compile time. No parameters.

use super::batch_parts::{run_parts, Disjoint};
use super::{GradVisitor, Layer};
use crate::float::Float;
use crate::param::ParamKind;
use crate::train_ctx::TrainCtx;
use crate::Result;

/// Input elements of a batch from which max pooling is split over the worker pool.
const PARALLEL_MIN_ELEMS: usize = 1 << 16;

/// Shape of one sample for the 2x2 / stride-2 max-pooling kernels.
#[derive(Clone, Copy)]
struct PairDims {
    c: usize,
    h: usize,
    w: usize,
    oh: usize,
    ow: usize,
}

/// The larger of two candidates with its index: the second wins only when strictly greater
/// or the first NaN, so ties and NaNs resolve as the row-major scan does.
#[inline(always)]
fn pick<T: Float>(a: T, ia: u32, b: T, ib: u32) -> (T, u32) {
    let take = (b > a) | (b.is_nan() & !a.is_nan());
    (if take { b } else { a }, if take { ib } else { ia })
}

crate::activation::multiversion! {
    /// 2x2 / stride-2 max pooling of one sample `[c, h, w]` into `[c, oh, ow]`, with the
    /// arg-max indices (a tree of independent comparisons per output, which vectorises).
    fn max_pairs_idx<T: Float>(xs: &[T], ys: &mut [T], idx: &mut [u32], d: PairDims) {
        for c in 0..d.c {
            for oh in 0..d.oh {
                let base = c * d.h * d.w + 2 * oh * d.w;
                let (r0, r1) = (&xs[base..base + d.w], &xs[base + d.w..base + 2 * d.w]);
                let o = c * d.oh * d.ow + oh * d.ow;
                let (yr, ir) = (&mut ys[o..o + d.ow], &mut idx[o..o + d.ow]);
                for ((ow, y), at) in yr.iter_mut().enumerate().zip(ir.iter_mut()) {
                    let i = (base + 2 * ow) as u32;
                    let wi = d.w as u32;
                    let (m0, i0) = pick(r0[2 * ow], i, r0[2 * ow + 1], i + 1);
                    let (m1, i1) = pick(r1[2 * ow], i + wi, r1[2 * ow + 1], i + wi + 1);
                    (*y, *at) = pick(m0, i0, m1, i1);
                }
            }
        }
    }
}

crate::activation::multiversion! {
    /// [`max_pairs_idx`] without the indices (inference).
    fn max_pairs<T: Float>(xs: &[T], ys: &mut [T], d: PairDims) {
        for c in 0..d.c {
            for oh in 0..d.oh {
                let base = c * d.h * d.w + 2 * oh * d.w;
                let (r0, r1) = (&xs[base..base + d.w], &xs[base + d.w..base + 2 * d.w]);
                let o = c * d.oh * d.ow + oh * d.ow;
                for (ow, y) in ys[o..o + d.ow].iter_mut().enumerate() {
                    let (m0, _) = pick(r0[2 * ow], 0, r0[2 * ow + 1], 1);
                    let (m1, _) = pick(r1[2 * ow], 0, r1[2 * ow + 1], 1);
                    (*y, _) = pick(m0, 0, m1, 1);
                }
            }
        }
    }
}

/// The input range `[lo, hi)` a window starting at `o s - p` covers, clipped to `[0, n)`.
#[inline(always)]
fn window(o: usize, s: usize, p: usize, k: usize, n: usize) -> (usize, usize) {
    let start = o * s;
    let lo = start.saturating_sub(p);
    let hi = (start + k).saturating_sub(p).min(n);
    (lo, hi)
}

/// Compile-time shape rule shared by the pools.
const fn check_shape(
    c: usize,
    (h, w): (usize, usize),
    (kh, kw): (usize, usize),
    (sh, sw): (usize, usize),
    (ph, pw): (usize, usize),
    (oh, ow): (usize, usize),
) {
    assert!(c > 0 && h > 0 && w > 0, "pool2d: empty shape");
    assert!(
        kh > 0 && kw > 0 && sh > 0 && sw > 0,
        "pool2d: kernel and stride must be positive"
    );
    assert!(
        ph <= kh / 2 && pw <= kw / 2,
        "pool2d: padding must be at most half the kernel"
    );
    assert!(
        h + 2 * ph >= kh && w + 2 * pw >= kw,
        "pool2d: kernel larger than the padded input"
    );
    assert!(
        oh == (h + 2 * ph - kh) / sh + 1 && ow == (w + 2 * pw - kw) / sw + 1,
        "pool2d: OH/OW disagree with floor((n - k + 2p) / s) + 1"
    );
    assert!(
        c * h * w <= u32::MAX as usize,
        "pool2d: sample too large for u32 indices"
    );
}

macro_rules! no_params {
    () => {
        fn param_names(&self) -> &'static [&'static str] {
            &[]
        }
        fn visit_params(&self, _f: &mut dyn FnMut(usize, ParamKind, &[T])) {}
        fn visit_params_mut(&mut self, _f: &mut dyn FnMut(usize, ParamKind, &mut [T])) {}
        fn visit_with_grads(&mut self, _grads: &Self, _f: &mut GradVisitor<'_, T>) {}
    };
}

/// Max pooling over `KH x KW` windows with stride `(SH, SW)` and padding `(PH, PW)`.
#[derive(Debug, Clone, Copy, Default)]
pub struct MaxPool2d<
    T,
    const C: usize,
    const H: usize,
    const W: usize,
    const KH: usize,
    const KW: usize,
    const SH: usize,
    const SW: usize,
    const PH: usize,
    const PW: usize,
    const OH: usize,
    const OW: usize,
>(core::marker::PhantomData<T>);

/// The arg-max of every output (an index into its sample, `c H W + h W + w`) from the last
/// training forward.
#[derive(Debug, Default, Clone)]
pub struct MaxPool2dCache {
    idx: Vec<u32>,
}

impl<
        T: Float,
        const C: usize,
        const H: usize,
        const W: usize,
        const KH: usize,
        const KW: usize,
        const SH: usize,
        const SW: usize,
        const PH: usize,
        const PW: usize,
        const OH: usize,
        const OW: usize,
    > MaxPool2d<T, C, H, W, KH, KW, SH, SW, PH, PW, OH, OW>
{
    const SHAPE: () = check_shape(C, (H, W), (KH, KW), (SH, SW), (PH, PW), (OH, OW));

    /// The pooling layer of the shape its parameters give; it has no learnable parameters,
    /// and inconsistent sizes (e.g. `OH` not matching `H`, `KH`, `SH` and `PH`) fail to
    /// compile.
    pub fn new() -> Self {
        #[allow(clippy::let_unit_value)]
        let () = Self::SHAPE;
        MaxPool2d(core::marker::PhantomData)
    }

    /// 2x2 windows with stride 2 and no padding: the common case, as a tree of independent
    /// comparisons per output (rather than a chain), which the compiler vectorises.
    const PAIRS: bool = KH == 2 && KW == 2 && SH == 2 && SW == 2 && PH == 0 && PW == 0;

    /// Max of each window of one sample; arg-max indices written when asked.
    #[inline]
    fn pool(xs: &[T], ys: &mut [T], idx: Option<&mut [u32]>) {
        if Self::PAIRS {
            Self::pool_pairs(xs, ys, idx);
        } else {
            Self::pool_windows(xs, ys, idx);
        }
    }

    /// [`Self::pool`] for [`Self::PAIRS`]. The right (or lower) candidate wins only when
    /// strictly greater or the first NaN, so ties and NaNs resolve as the row-major scan does.
    fn pool_pairs(xs: &[T], ys: &mut [T], idx: Option<&mut [u32]>) {
        let dims = PairDims {
            c: C,
            h: H,
            w: W,
            oh: OH,
            ow: OW,
        };
        match idx {
            Some(idx) => max_pairs_idx(xs, ys, idx, dims),
            None => max_pairs(xs, ys, dims),
        }
    }

    /// [`Self::pool`] for any window, scanning each in row-major order.
    fn pool_windows(xs: &[T], ys: &mut [T], mut idx: Option<&mut [u32]>) {
        for c in 0..C {
            let plane = &xs[c * H * W..(c + 1) * H * W];
            let out = &mut ys[c * OH * OW..(c + 1) * OH * OW];
            for oh in 0..OH {
                let (h0, h1) = window(oh, SH, PH, KH, H);
                for ow in 0..OW {
                    let (w0, w1) = window(ow, SW, PW, KW, W);
                    // Padding is -inf: the max of the window's valid part, which is never empty
                    // since PH <= KH / 2.
                    let mut best = plane[h0 * W + w0];
                    let mut at = h0 * W + w0;
                    for ih in h0..h1 {
                        let row = &plane[ih * W + w0..ih * W + w1];
                        for (j, &v) in row.iter().enumerate() {
                            // Without short-circuits, so this compiles to selects: on random
                            // data a branch on the comparison mispredicts half the time.
                            #[allow(clippy::nonminimal_bool)]
                            let take = (v > best) | (v.is_nan() & !best.is_nan());
                            best = if take { v } else { best };
                            at = if take { ih * W + w0 + j } else { at };
                        }
                    }
                    out[oh * OW + ow] = best;
                    if let Some(idx) = idx.as_deref_mut() {
                        idx[c * OH * OW + oh * OW + ow] = (c * H * W + at) as u32;
                    }
                }
            }
        }
    }
}

impl<
        T: Float,
        const C: usize,
        const H: usize,
        const W: usize,
        const KH: usize,
        const KW: usize,
        const SH: usize,
        const SW: usize,
        const PH: usize,
        const PW: usize,
        const OH: usize,
        const OW: usize,
    > Layer<T> for MaxPool2d<T, C, H, W, KH, KW, SH, SW, PH, PW, OH, OW>
{
    const IN: usize = C * H * W;
    const OUT: usize = C * OH * OW;
    type Cache = MaxPool2dCache;

    fn cache_bytes(c: &Self::Cache) -> usize {
        crate::layers::vec_bytes(&c.idx)
    }

    no_params!();

    fn zeros_like(&self) -> Self {
        Self::new()
    }

    fn forward(&self, x: &[T], y: &mut [T], batch: usize, _cache: &mut Self::Cache) {
        for (xs, ys) in x
            .chunks_exact(C * H * W)
            .zip(y.chunks_exact_mut(C * OH * OW))
            .take(batch)
        {
            Self::pool(xs, ys, None);
        }
    }

    fn forward_train(
        &mut self,
        x: &[T],
        y: &mut [T],
        batch: usize,
        cache: &mut Self::Cache,
        _rng: &mut TrainCtx,
    ) -> Result<()> {
        let (sin, out) = (C * H * W, C * OH * OW);
        cache.idx.resize(batch * out, 0);
        // Large batches are split over the worker pool; small ones are not worth a wake-up.
        let parts = if batch * sin >= PARALLEL_MIN_ELEMS {
            crate::gemm::max_threads().min(batch)
        } else {
            1
        };
        let (y, idx) = (
            Disjoint::new(&mut y[..batch * out]),
            Disjoint::new(&mut cache.idx[..]),
        );
        run_parts(batch, parts, &|_, r| {
            // SAFETY: the parts' sample ranges are disjoint.
            let (ys, is) = unsafe {
                (
                    y.range(r.start * out..r.end * out),
                    idx.range(r.start * out..r.end * out),
                )
            };
            for ((xs, ys), is) in x[r.start * sin..r.end * sin]
                .chunks_exact(sin)
                .zip(ys.chunks_exact_mut(out))
                .zip(is.chunks_exact_mut(out))
            {
                Self::pool(xs, ys, Some(is));
            }
        });
        Ok(())
    }

    fn backward(
        &self,
        _x: &[T],
        _y: &[T],
        dy: &mut [T],
        dx: Option<&mut [T]>,
        batch: usize,
        cache: &mut Self::Cache,
        _grads: &mut Self,
    ) {
        let Some(dx) = dx else { return };
        let out = C * OH * OW;
        for ((dxs, dys), is) in dx
            .chunks_exact_mut(C * H * W)
            .zip(dy.chunks_exact(out))
            .zip(cache.idx.chunks_exact(out))
            .take(batch)
        {
            dxs.fill(T::ZERO);
            for (&g, &i) in dys.iter().zip(is) {
                dxs[i as usize] += g;
            }
        }
    }
}

/// Average pooling over `KH x KW` windows with stride `(SH, SW)` and zero padding `(PH, PW)`
/// counted in the divisor (PyTorch's `count_include_pad=True`).
#[derive(Debug, Clone, Copy, Default)]
pub struct AvgPool2d<
    T,
    const C: usize,
    const H: usize,
    const W: usize,
    const KH: usize,
    const KW: usize,
    const SH: usize,
    const SW: usize,
    const PH: usize,
    const PW: usize,
    const OH: usize,
    const OW: usize,
>(core::marker::PhantomData<T>);

impl<
        T: Float,
        const C: usize,
        const H: usize,
        const W: usize,
        const KH: usize,
        const KW: usize,
        const SH: usize,
        const SW: usize,
        const PH: usize,
        const PW: usize,
        const OH: usize,
        const OW: usize,
    > AvgPool2d<T, C, H, W, KH, KW, SH, SW, PH, PW, OH, OW>
{
    const SHAPE: () = check_shape(C, (H, W), (KH, KW), (SH, SW), (PH, PW), (OH, OW));

    /// The pooling layer of the shape its parameters give; it has no learnable parameters,
    /// and inconsistent sizes (e.g. `OH` not matching `H`, `KH`, `SH` and `PH`) fail to
    /// compile.
    pub fn new() -> Self {
        #[allow(clippy::let_unit_value)]
        let () = Self::SHAPE;
        AvgPool2d(core::marker::PhantomData)
    }
}

impl<
        T: Float,
        const C: usize,
        const H: usize,
        const W: usize,
        const KH: usize,
        const KW: usize,
        const SH: usize,
        const SW: usize,
        const PH: usize,
        const PW: usize,
        const OH: usize,
        const OW: usize,
    > Layer<T> for AvgPool2d<T, C, H, W, KH, KW, SH, SW, PH, PW, OH, OW>
{
    const IN: usize = C * H * W;
    const OUT: usize = C * OH * OW;
    type Cache = ();

    no_params!();

    fn zeros_like(&self) -> Self {
        Self::new()
    }

    fn forward(&self, x: &[T], y: &mut [T], batch: usize, _cache: &mut ()) {
        // With ceil_mode=False every window lies inside the padded input, so the divisor
        // (padding included) is always KH KW.
        let inv = T::ONE / T::from_usize(KH * KW);
        for (xs, ys) in x
            .chunks_exact(C * H * W)
            .zip(y.chunks_exact_mut(C * OH * OW))
            .take(batch)
        {
            for (plane, out) in xs.chunks_exact(H * W).zip(ys.chunks_exact_mut(OH * OW)) {
                for oh in 0..OH {
                    let (h0, h1) = window(oh, SH, PH, KH, H);
                    for ow in 0..OW {
                        let (w0, w1) = window(ow, SW, PW, KW, W);
                        let mut acc = T::ZERO;
                        for ih in h0..h1 {
                            for &v in &plane[ih * W + w0..ih * W + w1] {
                                acc += v;
                            }
                        }
                        out[oh * OW + ow] = acc * inv;
                    }
                }
            }
        }
    }

    fn forward_train(
        &mut self,
        x: &[T],
        y: &mut [T],
        batch: usize,
        cache: &mut (),
        _rng: &mut TrainCtx,
    ) -> Result<()> {
        self.forward(x, y, batch, cache);
        Ok(())
    }

    fn backward(
        &self,
        _x: &[T],
        _y: &[T],
        dy: &mut [T],
        dx: Option<&mut [T]>,
        batch: usize,
        _cache: &mut (),
        _grads: &mut Self,
    ) {
        let Some(dx) = dx else { return };
        let inv = T::ONE / T::from_usize(KH * KW);
        for (dxs, dys) in dx
            .chunks_exact_mut(C * H * W)
            .zip(dy.chunks_exact(C * OH * OW))
            .take(batch)
        {
            dxs.fill(T::ZERO);
            for (plane, d) in dxs.chunks_exact_mut(H * W).zip(dys.chunks_exact(OH * OW)) {
                for oh in 0..OH {
                    let (h0, h1) = window(oh, SH, PH, KH, H);
                    for ow in 0..OW {
                        let (w0, w1) = window(ow, SW, PW, KW, W);
                        let g = d[oh * OW + ow] * inv;
                        for ih in h0..h1 {
                            for v in &mut plane[ih * W + w0..ih * W + w1] {
                                *v += g;
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Global average pooling `[C, H, W] -> [C]`: the mean of each channel's map
/// (`nn.AdaptiveAvgPool2d(1)` followed by `flatten`).
#[derive(Debug, Clone, Copy, Default)]
pub struct GlobalAvgPool<T, const C: usize, const H: usize, const W: usize>(
    core::marker::PhantomData<T>,
);

impl<T: Float, const C: usize, const H: usize, const W: usize> GlobalAvgPool<T, C, H, W> {
    const SHAPE: () = assert!(C > 0 && H > 0 && W > 0, "global average pool: empty shape");

    /// The pooling layer over `C` maps of `H x W`; it has no learnable parameters, and an
    /// empty shape fails to compile.
    pub fn new() -> Self {
        #[allow(clippy::let_unit_value)]
        let () = Self::SHAPE;
        GlobalAvgPool(core::marker::PhantomData)
    }
}

impl<T: Float, const C: usize, const H: usize, const W: usize> Layer<T>
    for GlobalAvgPool<T, C, H, W>
{
    const IN: usize = C * H * W;
    const OUT: usize = C;
    type Cache = ();

    no_params!();

    fn zeros_like(&self) -> Self {
        Self::new()
    }

    fn forward(&self, x: &[T], y: &mut [T], batch: usize, _cache: &mut ()) {
        let inv = T::ONE / T::from_usize(H * W);
        for (plane, o) in x.chunks_exact(H * W).zip(y.iter_mut()).take(batch * C) {
            *o = plane.iter().copied().sum::<T>() * inv;
        }
    }

    fn forward_train(
        &mut self,
        x: &[T],
        y: &mut [T],
        batch: usize,
        cache: &mut (),
        _rng: &mut TrainCtx,
    ) -> Result<()> {
        self.forward(x, y, batch, cache);
        Ok(())
    }

    fn backward(
        &self,
        _x: &[T],
        _y: &[T],
        dy: &mut [T],
        dx: Option<&mut [T]>,
        batch: usize,
        _cache: &mut (),
        _grads: &mut Self,
    ) {
        let Some(dx) = dx else { return };
        let inv = T::ONE / T::from_usize(H * W);
        for (plane, &g) in dx.chunks_exact_mut(H * W).zip(dy.iter()).take(batch * C) {
            plane.fill(g * inv);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::conv_reference as r;
    use super::super::testutil::check_layer;
    use super::*;

    fn assert_close(got: &[f64], want: &[f64], tol: f64) {
        assert_eq!(got.len(), want.len());
        for (i, (a, b)) in got.iter().zip(want).enumerate() {
            assert!((a - b).abs() <= tol, "index {i}: {a} vs {b}");
        }
    }

    /// Distinct values (a permutation scaled), so max-pool windows have no ties and finite
    /// differences of 1e-6 never change an arg-max.
    fn distinct(n: usize) -> Vec<f64> {
        (0..n)
            .map(|i| ((i * 37 + 11) % n) as f64 * 0.1 - 1.0)
            .collect()
    }

    /// Forward then backward (dy given) of a parameter-free layer.
    fn run<L: Layer<f64>>(mut l: L, x: &[f64], dy: &[f64], batch: usize) -> (Vec<f64>, Vec<f64>) {
        let mut y = vec![0.0; batch * L::OUT];
        let mut cache = L::Cache::default();
        l.forward_train(
            x,
            &mut y,
            batch,
            &mut cache,
            &mut crate::train_ctx::TrainCtx::new(0),
        )
        .unwrap();
        let mut e = vec![0.0; y.len()];
        l.forward(x, &mut e, batch, &mut L::Cache::default());
        let bits = |v: &[f64]| v.iter().map(|a| a.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&e), bits(&y), "eval forward equals train forward");
        let mut dy = dy.to_vec();
        let mut dx = vec![f64::NAN; x.len()];
        let mut g = l.zeros_like();
        l.backward(x, &y, &mut dy, Some(&mut dx), batch, &mut cache, &mut g);
        (y, dx)
    }

    #[test]
    fn max_pool_hand_computed() {
        // 1x3x3, 2x2 window, stride 1.
        let x = [1.0, 5.0, 2.0, 4.0, 3.0, 9.0, 7.0, 8.0, 6.0];
        let (y, dx) = run(
            MaxPool2d::<f64, 1, 3, 3, 2, 2, 1, 1, 0, 0, 2, 2>::new(),
            &x,
            &[1.0, 2.0, 3.0, 4.0],
            1,
        );
        assert_eq!(y, [5.0, 9.0, 8.0, 9.0]);
        // 9 is the max of two windows: its gradients add.
        assert_eq!(dx, [0.0, 1.0, 0.0, 0.0, 0.0, 6.0, 0.0, 3.0, 0.0]);
        // Padding 1, stride 2 on negative values: padding is -inf, not 0.
        let x = [-1.0, -2.0, -3.0, -4.0, -5.0, -6.0, -7.0, -8.0, -9.0];
        let (y, _) = run(
            MaxPool2d::<f64, 1, 3, 3, 2, 2, 2, 2, 1, 1, 2, 2>::new(),
            &x,
            &[0.0; 4],
            1,
        );
        assert_eq!(y, [-1.0, -2.0, -4.0, -5.0]);
        // Ties: the first maximum (in row-major window order) takes the gradient.
        let x = [1.0, 1.0, 1.0, 1.0];
        let (y, dx) = run(
            MaxPool2d::<f64, 1, 2, 2, 2, 2, 1, 1, 0, 0, 1, 1>::new(),
            &x,
            &[1.0],
            1,
        );
        assert_eq!((y, dx), (vec![1.0], vec![1.0, 0.0, 0.0, 0.0]));
    }

    #[test]
    fn avg_pool_hand_computed() {
        let x = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0];
        let (y, dx) = run(
            AvgPool2d::<f64, 1, 3, 3, 2, 2, 1, 1, 0, 0, 2, 2>::new(),
            &x,
            &[4.0, 8.0, 0.0, 4.0],
            1,
        );
        assert_eq!(y, [3.0, 4.0, 6.0, 7.0]);
        assert_eq!(dx, [1.0, 3.0, 2.0, 1.0, 4.0, 3.0, 0.0, 1.0, 1.0]);
        // Padding 1 counts in the divisor: the corner window holds only x[0] of 4 cells.
        let (y, _) = run(
            AvgPool2d::<f64, 1, 3, 3, 2, 2, 2, 2, 1, 1, 2, 2>::new(),
            &x,
            &[0.0; 4],
            1,
        );
        assert_eq!(
            y,
            [
                0.25,
                (2.0 + 3.0) / 4.0,
                (4.0 + 7.0) / 4.0,
                (5.0 + 6.0 + 8.0 + 9.0) / 4.0
            ]
        );
    }

    #[test]
    fn global_avg_pool_hand_computed() {
        // Two samples, two channels of 2x2.
        let x = [
            1.0, 2.0, 3.0, 4.0, -1.0, -1.0, 1.0, 5.0, 0.0, 0.0, 0.0, 8.0, 2.0, 2.0, 2.0, 2.0,
        ];
        let (y, dx) = run(
            GlobalAvgPool::<f64, 2, 2, 2>::new(),
            &x,
            &[4.0, 8.0, -4.0, 0.0],
            2,
        );
        assert_eq!(y, [2.5, 1.0, 2.0, 2.0]);
        let mut want = vec![1.0; 4];
        want.extend([2.0; 4]);
        want.extend([-1.0; 4]);
        want.extend([0.0; 4]);
        assert_eq!(dx, want);
    }

    #[test]
    fn backward_matches_finite_differences() {
        let errs = [
            // Multi-channel, stride 2, padding 1 and 2, non-square windows and strides.
            check_layer(
                &mut MaxPool2d::<f64, 2, 5, 4, 3, 3, 2, 2, 1, 1, 3, 2>::new(),
                &distinct(2 * 2 * 20),
                2,
                0,
            ),
            check_layer(
                &mut MaxPool2d::<f64, 2, 6, 5, 4, 2, 2, 1, 2, 1, 4, 6>::new(),
                &distinct(2 * 2 * 30),
                2,
                0,
            ),
            check_layer(
                &mut AvgPool2d::<f64, 2, 5, 4, 3, 3, 2, 2, 1, 1, 3, 2>::new(),
                &distinct(2 * 2 * 20),
                2,
                0,
            ),
            check_layer(
                &mut AvgPool2d::<f64, 2, 6, 5, 4, 2, 2, 1, 2, 1, 4, 6>::new(),
                &distinct(2 * 2 * 30),
                2,
                0,
            ),
            check_layer(
                &mut AvgPool2d::<f64, 3, 4, 4, 2, 2, 2, 2, 0, 0, 2, 2>::new(),
                &distinct(2 * 3 * 16),
                2,
                0,
            ),
            check_layer(
                &mut GlobalAvgPool::<f64, 3, 3, 2>::new(),
                &distinct(2 * 3 * 6),
                2,
                0,
            ),
        ];
        for (i, e) in errs.iter().enumerate() {
            assert!(*e < 1e-6, "case {i}: {e}");
        }
    }

    #[test]
    fn pytorch_parity() {
        type Max = MaxPool2d<f64, 3, 7, 6, 3, 3, 2, 2, 1, 1, 4, 3>;
        type Avg2 = AvgPool2d<f64, 3, 7, 6, 2, 2, 2, 2, 0, 0, 3, 3>;
        type Avg3 = AvgPool2d<f64, 3, 7, 6, 3, 3, 2, 2, 1, 1, 4, 3>;
        let (y, dx) = run(Max::new(), &r::X, &r::MAXPOOL_3_2_1_G, 2);
        assert_close(&y, &r::MAXPOOL_3_2_1_Y, 1e-12);
        assert_close(&dx, &r::MAXPOOL_3_2_1_DX, 1e-12);
        let (y, dx) = run(Avg2::new(), &r::X, &r::AVGPOOL_2_2_G, 2);
        assert_close(&y, &r::AVGPOOL_2_2_Y, 1e-12);
        assert_close(&dx, &r::AVGPOOL_2_2_DX, 1e-12);
        let (y, dx) = run(Avg3::new(), &r::X, &r::AVGPOOL_3_2_1_G, 2);
        assert_close(&y, &r::AVGPOOL_3_2_1_Y, 1e-12);
        assert_close(&dx, &r::AVGPOOL_3_2_1_DX, 1e-12);
    }

    #[test]
    fn max_pool_propagates_nan() {
        let x = [1.0, f64::NAN, 3.0, 2.0];
        let (y, _) = run(
            MaxPool2d::<f64, 1, 2, 2, 2, 2, 1, 1, 0, 0, 1, 1>::new(),
            &x,
            &[1.0],
            1,
        );
        assert!(y[0].is_nan());
    }

    #[test]
    fn max_pool_pairs_match_the_window_scan() {
        // Odd H and W (the last row and column are dropped), ties and NaNs.
        type P = MaxPool2d<f64, 2, 5, 7, 2, 2, 2, 2, 0, 0, 2, 3>;
        const { assert!(P::PAIRS) };
        let mut x: Vec<f64> = (0..70).map(|i| ((i * 7 + 3) % 5) as f64).collect();
        x[8] = f64::NAN;
        x[22] = f64::NAN;
        x[23] = f64::NAN;
        let (mut y0, mut y1) = (vec![0.0; 12], vec![0.0; 12]);
        let (mut i0, mut i1) = (vec![0u32; 12], vec![0u32; 12]);
        P::pool_pairs(&x, &mut y0, Some(&mut i0));
        P::pool_windows(&x, &mut y1, Some(&mut i1));
        assert_eq!(i0, i1);
        for (a, b) in y0.iter().zip(&y1) {
            assert!(a == b || (a.is_nan() && b.is_nan()), "{a} vs {b}");
        }
        assert!(y0.iter().any(|v| v.is_nan()));
    }
}
