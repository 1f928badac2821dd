//! 2-D convolution (cross-correlation, as PyTorch's `nn.Conv2d`), `y = f(W * x + b)`, with
//! the activation fused into the pass that finishes the output (use
//! [`Activation::Identity`] for none).
//!
//! Shapes: a sample is `[CI, H, W]`, its output `[CO, OH, OW]` with
//! `OH = floor((H - KH + 2 PH) / SH) + 1` (likewise `OW`), checked at compile time.
//! Weight `[CO, CI, KH, KW]` and bias `[CO]` as `nn.Conv2d.weight` / `.bias`.
//!
//! Forward, per chunk of samples: im2col gathers the receptive fields of the chunk side by
//! side into `cols [CI KH KW, chunk OH OW]` (zeros for padding), one GEMM `W cols` fills a
//! `[CO, chunk OH OW]` block, and one pass scatters it into the `[CO, OH, OW]` samples adding
//! the bias; the activation runs on the chunk while it is in cache. One wide product per chunk
//! packs the weight once and keeps both cores busy, where a product per sample did neither.
//!
//! Backward: `dz = f'(z) . dy`; `dW = dZ cols^T` over the chunk (the correlation of the
//! input with delta), `db = sum dZ`; `dcols = W^T dZ`, scattered back by col2im, is the full
//! correlation of delta with the 180-degree-rotated kernel. `cols` is recomputed in backward,
//! and the chunk buffers live in per-thread scratch shared by all conv layers, bounded by
//! [`COLS_BUDGET`].

use super::batch_parts::{run_parts, Disjoint};
use super::scratch_pool::with_buffers;
use super::{ensure_len, GradVisitor, Layer};
use crate::activation::Activation;
use crate::float::Float;
use crate::gemm::{gemm_unchecked, max_threads, Trans};
use crate::init::{conv_fans, fill_orthogonal, Init};
use crate::param::ParamKind;
use crate::rng::KilnRng;
use crate::train_ctx::TrainCtx;
use crate::Result;

/// A kernel `[CO, CI, KH, KW]` as PyTorch stores it.
pub type Kernel<T, const CI: usize, const CO: usize, const KH: usize, const KW: usize> =
    [[[[T; KW]; KH]; CI]; CO];

/// 2-D convolution from `[CI, H, W]` to `[CO, OH, OW]` with a `KH x KW` kernel, stride
/// `(SH, SW)`, zero padding `(PH, PW)`, an optional bias and a fused activation.
#[derive(Debug, Clone)]
pub struct Conv2d<
    T: Float,
    const CI: usize,
    const H: usize,
    const W: usize,
    const CO: usize,
    const KH: usize,
    const KW: usize,
    const SH: usize,
    const SW: usize,
    const PH: usize,
    const PW: usize,
    const OH: usize,
    const OW: usize,
    const G: usize = 1,
    const DH: usize = 1,
    const DW: usize = 1,
> {
    /// `[CO, CI / G, KH, KW]`, as `nn.Conv2d.weight` (`G` groups: each group of `CO / G`
    /// outputs sees its own `CI / G` inputs; `G = CI` is a depthwise convolution).
    pub weight: Box<[T]>,
    /// `[CO]`, absent for `bias = false`.
    pub bias: Option<Box<[T; CO]>>,
    /// The activation fused into the forward pass.
    pub act: Activation,
}

/// What backward needs beyond the layer's input and output: the pre-activation, kept only
/// for activations whose derivative needs it, and the weight and bias gradients of the
/// batch parts after the first. The im2col buffers are per-thread scratch.
#[derive(Debug, Default, Clone)]
pub struct Conv2dCache<T> {
    z: Vec<T>,
    partial: Vec<T>,
}

/// Output columns a chunk's GEMM aims for: wide enough that packing the weight and the
/// register tiles' edges cost little.
pub const TARGET_COLS: usize = 1024;
/// Elements of `cols` one chunk may use (8 MiB of f32), so the per-thread scratch stays far
/// below the activations of a training step.
pub const COLS_BUDGET: usize = 1 << 21;

/// The sum of `v` over eight interleaved partial sums, which vectorise where one running
/// sum cannot (floating-point addition is not reassociated).
#[inline]
fn lane_sum<T: Float>(v: &[T]) -> T {
    let mut acc = [T::ZERO; 8];
    let mut it = v.chunks_exact(8);
    for c in &mut it {
        for (a, &x) in acc.iter_mut().zip(c) {
            *a += x;
        }
    }
    let tail: T = it.remainder().iter().copied().sum();
    acc.iter().copied().sum::<T>() + tail
}

/// Output positions `o` in `[lo, hi)` (clipped to `out`) whose input index `o s + k - p`
/// lies in `[0, n)`, for kernel offset `k`.
#[inline]
pub(crate) fn valid_range(k: usize, p: usize, s: usize, n: usize, out: usize) -> (usize, usize) {
    let lo = if p > k { (p - k).div_ceil(s) } else { 0 };
    let hi = if n + p > k {
        ((n + p - k - 1) / s + 1).min(out)
    } else {
        0
    };
    (lo.min(hi), hi)
}

impl<
        T: Float,
        const CI: usize,
        const H: usize,
        const W: usize,
        const CO: usize,
        const KH: usize,
        const KW: usize,
        const SH: usize,
        const SW: usize,
        const PH: usize,
        const PW: usize,
        const OH: usize,
        const OW: usize,
        const G: usize,
        const DH: usize,
        const DW: usize,
    > Conv2d<T, CI, H, W, CO, KH, KW, SH, SW, PH, PW, OH, OW, G, DH, DW>
{
    /// A group's rows of `cols` (the GEMM's inner dimension).
    const K: usize = CI / G * KH * KW;
    /// Rows of `cols`, all groups.
    const K_ALL: usize = CI * KH * KW;
    /// Output channels per group.
    const CO_G: usize = CO / G;
    /// Output pixels per channel.
    const N: usize = OH * OW;
    /// The shape rule, checked when the layer is built (a compile error for bad constants).
    const SHAPE: () = {
        assert!(CI > 0 && CO > 0 && KH > 0 && KW > 0, "conv2d: empty shape");
        assert!(
            G > 0 && CI.is_multiple_of(G) && CO.is_multiple_of(G),
            "conv2d: groups must divide both channel counts"
        );
        assert!(SH > 0 && SW > 0, "conv2d: stride must be positive");
        assert!(DH > 0 && DW > 0, "conv2d: dilation must be positive");
        assert!(
            H + 2 * PH > (KH - 1) * DH && W + 2 * PW > (KW - 1) * DW,
            "conv2d: kernel larger than the padded input"
        );
        // Causal padding (`PW = KW - 1` on the left only): one output per input position
        // reached by the stride, none from the right padding.
        let causal = PW == (KW - 1) * DW && OW == (W - 1) / SW + 1;
        assert!(
            OH == (H + 2 * PH - (KH - 1) * DH - 1) / SH + 1
                && (OW == (W + 2 * PW - (KW - 1) * DW - 1) / SW + 1 || causal),
            "conv2d: OH/OW disagree with floor((n + 2p - d (k - 1) - 1) / s) + 1"
        );
    };

    /// A layer initialised by `init` (fan-in `CI KH KW`, fan-out `CO KH KW`, as PyTorch) with
    /// zero biases. Orthogonal init, as PyTorch's `orthogonal_`, orthogonalises the
    /// `[CO, CI KH KW]` matrix.
    pub fn new(bias: bool, act: Activation, init: Init, rng: &mut KilnRng) -> Result<Self> {
        let mut layer = Self::zeros(bias, act);
        let (fan_in, fan_out) = conv_fans(CO, CI / G, KH, KW);
        match init {
            Init::Orthogonal { gain } => {
                init.validate()?;
                fill_orthogonal(layer.weight_flat_mut(), CO, Self::K, gain, rng)?;
            }
            _ => init.fill(layer.weight_flat_mut(), fan_in, fan_out, rng)?,
        }
        Ok(layer)
    }

    fn zeros(bias: bool, act: Activation) -> Self {
        #[allow(clippy::let_unit_value)]
        let () = Self::SHAPE;
        let weight = vec![T::ZERO; CO * Self::K].into_boxed_slice();
        Conv2d {
            weight,
            bias: bias.then(super::boxed_vector),
            act,
        }
    }

    /// The weight as a row-major `[CO, CI / G KH KW]` matrix.
    pub fn weight_flat(&self) -> &[T] {
        &self.weight
    }

    /// The weight as a mutable row-major `[CO, CI / G KH KW]` matrix.
    pub fn weight_flat_mut(&mut self) -> &mut [T] {
        &mut self.weight
    }

    /// Gathers the receptive fields of one sample `x [CI, H, W]` into the `CI KH KW` rows of
    /// `OH OW` values at `cols[r ld..]` (`ld` is the chunk's row length).
    fn im2col(x: &[T], cols: &mut [T], ld: usize) {
        let n = Self::N;
        let mut r = 0;
        for plane in x.chunks_exact(H * W).take(CI) {
            for kh in 0..KH {
                let (oh_lo, oh_hi) = valid_range(kh * DH, PH, SH, H, OH);
                for kw in 0..KW {
                    let (ow_lo, ow_hi) = valid_range(kw * DW, PW, SW, W, OW);
                    let row = &mut cols[r * ld..r * ld + n];
                    r += 1;
                    row[..oh_lo * OW].fill(T::ZERO);
                    row[oh_hi * OW..].fill(T::ZERO);
                    for (oh, out) in row.chunks_exact_mut(OW).enumerate().take(oh_hi).skip(oh_lo) {
                        out[..ow_lo].fill(T::ZERO);
                        out[ow_hi..].fill(T::ZERO);
                        if ow_lo == ow_hi {
                            continue;
                        }
                        let ih = oh * SH + kh * DH - PH;
                        let src = &plane[ih * W + ow_lo * SW + kw * DW - PW..(ih + 1) * W];
                        let dst = &mut out[ow_lo..ow_hi];
                        if SW == 1 {
                            dst.copy_from_slice(&src[..dst.len()]);
                        } else {
                            for (d, s) in dst.iter_mut().zip(src.iter().step_by(SW)) {
                                *d = *s;
                            }
                        }
                    }
                }
            }
        }
    }

    /// Adds the `CI KH KW` rows of `OH OW` values at `dcols[r ld..]` back onto the input
    /// positions they were gathered from, `dx [CI, H, W]` (which the caller zeroes).
    fn col2im(dcols: &[T], dx: &mut [T], ld: usize) {
        let n = Self::N;
        let mut r = 0;
        for plane in dx.chunks_exact_mut(H * W).take(CI) {
            for kh in 0..KH {
                let (oh_lo, oh_hi) = valid_range(kh * DH, PH, SH, H, OH);
                for kw in 0..KW {
                    let (ow_lo, ow_hi) = valid_range(kw * DW, PW, SW, W, OW);
                    let row = &dcols[r * ld..r * ld + n];
                    r += 1;
                    if ow_lo == ow_hi {
                        continue;
                    }
                    for (oh, d) in row.chunks_exact(OW).enumerate().take(oh_hi).skip(oh_lo) {
                        let ih = oh * SH + kh * DH - PH;
                        let dst = &mut plane[ih * W + ow_lo * SW + kw * DW - PW..(ih + 1) * W];
                        let src = &d[ow_lo..ow_hi];
                        if SW == 1 {
                            for (a, &b) in dst[..src.len()].iter_mut().zip(src) {
                                *a += b;
                            }
                        } else {
                            for (a, &b) in dst.iter_mut().step_by(SW).zip(src) {
                                *a += b;
                            }
                        }
                    }
                }
            }
        }
    }

    /// Samples per chunk: enough for [`TARGET_COLS`] output columns, at most what
    /// [`COLS_BUDGET`] allows (at least one), and at most `batch`.
    fn chunk_len(batch: usize) -> usize {
        #[cfg(test)]
        if let Some((chunk, _)) = test_plan::get() {
            return chunk.clamp(1, batch.max(1));
        }
        let per_sample = Self::K_ALL * Self::N;
        TARGET_COLS
            .div_ceil(Self::N)
            .min(COLS_BUDGET / per_sample)
            .clamp(1, batch.max(1))
    }

    /// Chunk size and how many parts the batch is split into (one per thread, at most one
    /// per chunk; a single part lets the GEMM thread each wide product instead).
    fn plan(batch: usize) -> (usize, usize) {
        let chunk = Self::chunk_len(batch);
        #[cfg(test)]
        if let Some((_, parallel)) = test_plan::get() {
            return (chunk, if parallel { batch.div_ceil(chunk) } else { 1 });
        }
        (chunk, max_threads().min(batch.div_ceil(chunk)))
    }

    /// `z = W * x (+ b)` then the activation, over `batch` samples; `z` kept when asked.
    fn forward_into(&self, x: &[T], y: &mut [T], batch: usize, keep_z: Option<&mut Vec<T>>) {
        let (sin, sout) = (CI * H * W, CO * Self::N);
        if batch == 0 {
            return;
        }
        let (chunk, parts) = Self::plan(batch);
        let z = keep_z.map(|z| {
            ensure_len(z, batch * sout);
            Disjoint::new(&mut z[..])
        });
        let y = Disjoint::new(&mut y[..batch * sout]);
        run_parts(batch, parts, &|_, r| {
            // SAFETY: the parts' sample ranges are disjoint.
            let (ys, zs) = unsafe {
                (
                    y.range(r.start * sout..r.end * sout),
                    z.as_ref().map(|z| z.range(r.start * sout..r.end * sout)),
                )
            };
            self.forward_samples(&x[r.start * sin..r.end * sin], ys, zs, chunk);
        });
    }

    /// [`Self::forward_into`] for the samples of `x` on this thread, `chunk` at a time.
    fn forward_samples(&self, x: &[T], y: &mut [T], z: Option<&mut [T]>, chunk: usize) {
        let (k, n, sin, sout) = (Self::K, Self::N, CI * H * W, CO * Self::N);
        let (k_all, cog) = (Self::K_ALL, Self::CO_G);
        let count = y.len() / sout;
        let chunk = count.div_ceil(count.div_ceil(chunk));
        let w = self.weight_flat();
        let mut z = z.map(|z| z.chunks_mut(chunk * sout));
        with_buffers::<T, _, 2>([k_all * chunk * n, CO * chunk * n], |[cols, yt]| {
            for (xc, yc) in x.chunks(chunk * sin).zip(y.chunks_mut(chunk * sout)) {
                let ld = yc.len() / sout * n;
                for (j, xs) in xc.chunks_exact(sin).enumerate() {
                    Self::im2col(xs, &mut cols[j * n..], ld);
                }
                // Per group g: Yt_g [CO/G, chunk N] = W_g [CO/G, K] cols_g [K, chunk N].
                for g in 0..G {
                    gemm_unchecked(
                        Trans::No,
                        Trans::No,
                        cog,
                        ld,
                        k,
                        T::ONE,
                        &w[g * cog * k..],
                        k,
                        &cols[g * k * ld..],
                        ld,
                        T::ZERO,
                        &mut yt[g * cog * ld..],
                        ld,
                    );
                }
                for (j, ys) in yc.chunks_exact_mut(sout).enumerate() {
                    for (co, plane) in ys.chunks_exact_mut(n).enumerate() {
                        let src = &yt[co * ld + j * n..co * ld + j * n + n];
                        match &self.bias {
                            Some(b) => {
                                let bc = b[co];
                                for (o, &v) in plane.iter_mut().zip(src) {
                                    *o = v + bc;
                                }
                            }
                            None => plane.copy_from_slice(src),
                        }
                    }
                }
                if let Some(zc) = z.as_mut().and_then(|it| it.next()) {
                    zc.copy_from_slice(yc);
                }
                self.act.forward(yc);
            }
        });
    }

    /// Backward over the samples of `x` on this thread, `chunk` at a time: `dz` (already
    /// through the activation's derivative) gives `gw` and `gb` (overwritten) and `dx`.
    fn backward_samples(
        &self,
        x: &[T],
        dz: &[T],
        mut dx: Option<&mut [T]>,
        gw: &mut [T],
        mut gb: Option<&mut [T]>,
        chunk: usize,
    ) {
        let (k, n, sin, sout) = (Self::K, Self::N, CI * H * W, CO * Self::N);
        let (k_all, cog) = (Self::K_ALL, Self::CO_G);
        let count = dz.len() / sout;
        let chunk = count.div_ceil(count.div_ceil(chunk));
        let w = self.weight_flat();
        if let Some(gb) = &mut gb {
            gb.fill(T::ZERO);
        }
        let dcols_len = if dx.is_some() { k_all * chunk * n } else { 0 };
        let mut dx = dx.as_mut().map(|d| d.chunks_mut(chunk * sin));
        with_buffers::<T, _, 3>(
            [k_all * chunk * n, dcols_len, CO * chunk * n],
            |[cols, dcols, dzt]| {
                for (c, (xc, zc)) in x
                    .chunks(chunk * sin)
                    .zip(dz.chunks(chunk * sout))
                    .enumerate()
                {
                    let ld = zc.len() / sout * n;
                    // dZt [CO, chunk N] gathered from the samples, summing the bias gradient.
                    for (j, zs) in zc.chunks_exact(sout).enumerate() {
                        for (co, plane) in zs.chunks_exact(n).enumerate() {
                            dzt[co * ld + j * n..co * ld + j * n + n].copy_from_slice(plane);
                            if let Some(gb) = &mut gb {
                                gb[co] += lane_sum(plane);
                            }
                        }
                    }
                    for (j, xs) in xc.chunks_exact(sin).enumerate() {
                        Self::im2col(xs, &mut cols[j * n..], ld);
                    }
                    // Per group: dW_g [CO/G, K] (+)= dZt_g [CO/G, chunk N] cols_g^T [chunk N, K]
                    let beta = if c == 0 { T::ZERO } else { T::ONE };
                    for g in 0..G {
                        gemm_unchecked(
                            Trans::No,
                            Trans::Yes,
                            cog,
                            k,
                            ld,
                            T::ONE,
                            &dzt[g * cog * ld..],
                            ld,
                            &cols[g * k * ld..],
                            ld,
                            beta,
                            &mut gw[g * cog * k..],
                            k,
                        );
                    }
                    let Some(dxc) = dx.as_mut().and_then(|it| it.next()) else {
                        continue;
                    };
                    // Per group: dcols_g [K, chunk N] = W_g^T [K, CO/G] dZt_g [CO/G, chunk N],
                    // then col2im per sample.
                    for g in 0..G {
                        gemm_unchecked(
                            Trans::Yes,
                            Trans::No,
                            k,
                            ld,
                            cog,
                            T::ONE,
                            &w[g * cog * k..],
                            k,
                            &dzt[g * cog * ld..],
                            ld,
                            T::ZERO,
                            &mut dcols[g * k * ld..],
                            ld,
                        );
                    }
                    for (j, dxs) in dxc.chunks_exact_mut(sin).enumerate() {
                        dxs.fill(T::ZERO);
                        Self::col2im(&dcols[j * n..], dxs, ld);
                    }
                }
            },
        );
    }
}

impl<
        T: Float,
        const CI: usize,
        const H: usize,
        const W: usize,
        const CO: usize,
        const KH: usize,
        const KW: usize,
        const SH: usize,
        const SW: usize,
        const PH: usize,
        const PW: usize,
        const OH: usize,
        const OW: usize,
        const G: usize,
        const DH: usize,
        const DW: usize,
    > Layer<T> for Conv2d<T, CI, H, W, CO, KH, KW, SH, SW, PH, PW, OH, OW, G, DH, DW>
{
    const IN: usize = CI * H * W;
    const OUT: usize = CO * OH * OW;
    type Cache = Conv2dCache<T>;

    fn cache_bytes(c: &Self::Cache) -> usize {
        crate::layers::vec_bytes(&c.z) + crate::layers::vec_bytes(&c.partial)
    }

    fn param_names(&self) -> &'static [&'static str] {
        if self.bias.is_some() {
            &["weight", "bias"]
        } else {
            &["weight"]
        }
    }

    fn zeros_like(&self) -> Self {
        Self::zeros(self.bias.is_some(), self.act)
    }

    fn backward_reads_output(&self) -> bool {
        self.act.needs_output()
    }

    fn forward(&self, x: &[T], y: &mut [T], batch: usize, _cache: &mut Self::Cache) {
        self.forward_into(x, y, batch, None);
    }

    fn forward_pre_activation(
        &self,
        x: &[T],
        y: &mut [T],
        batch: usize,
        _cache: &mut Self::Cache,
        z: &mut Vec<T>,
    ) -> bool {
        let fused = self.act != Activation::Identity;
        self.forward_into(x, y, batch, fused.then_some(z));
        fused
    }

    fn forward_train(
        &mut self,
        x: &[T],
        y: &mut [T],
        batch: usize,
        cache: &mut Self::Cache,
        _rng: &mut TrainCtx,
    ) -> Result<()> {
        let keep = self.act.needs_input().then_some(&mut cache.z);
        self.forward_into(x, y, batch, keep);
        Ok(())
    }

    fn backward(
        &self,
        x: &[T],
        y: &[T],
        dy: &mut [T],
        dx: Option<&mut [T]>,
        batch: usize,
        cache: &mut Self::Cache,
        grads: &mut Self,
    ) {
        let (sin, sout, nw) = (CI * H * W, CO * Self::N, CO * Self::K);
        let nb = if grads.bias.is_some() { CO } else { 0 };
        let gw = &mut grads.weight[..];
        let mut gb = grads.bias.as_deref_mut();
        if batch == 0 {
            gw.fill(T::ZERO);
            if let Some(gb) = gb {
                gb.fill(T::ZERO);
            }
            return;
        }
        let (chunk, parts) = Self::plan(batch);
        // Parts after the first accumulate into their own slice of `partial`, summed below.
        ensure_len(&mut cache.partial, (parts - 1) * (nw + nb));
        let (z, partial) = (&cache.z[..], Disjoint::new(&mut cache.partial[..]));
        let dy = Disjoint::new(&mut dy[..batch * sout]);
        let dx = dx.map(|d| Disjoint::new(&mut d[..batch * sin]));
        let first = Disjoint::new(&mut gw[..]);
        let first_b = gb.as_deref_mut().map(|b| Disjoint::new(b));
        let ran = run_parts(batch, parts, &|p, r| {
            let (o, i) = (r.start * sout..r.end * sout, r.start * sin..r.end * sin);
            // SAFETY: the parts' sample ranges are disjoint, part 0 alone writes `grads` and
            // part p > 0 alone its slice p - 1 of `partial`.
            let (dys, dxs, (gw, gb)) = unsafe {
                let g = if p == 0 {
                    (first.range(0..nw), first_b.as_ref().map(|b| b.range(0..nb)))
                } else {
                    let s = partial.range((p - 1) * (nw + nb)..p * (nw + nb));
                    let (w, b) = s.split_at_mut(nw);
                    (w, (nb > 0).then_some(b))
                };
                (
                    dy.range(o.clone()),
                    dx.as_ref().map(|d| d.range(i.clone())),
                    g,
                )
            };
            // dz = f'(z) . dy, in place.
            let zs = if self.act.needs_input() {
                &z[o.clone()]
            } else {
                &[]
            };
            let ys = if self.act.needs_output() { &y[o] } else { &[] };
            self.act.backward(zs, ys, dys);
            self.backward_samples(&x[i], dys, dxs, gw, gb, chunk);
        });
        for s in cache.partial.chunks_exact(nw + nb).take(ran - 1) {
            for (g, &v) in gw.iter_mut().zip(&s[..nw]) {
                *g += v;
            }
            if let Some(gb) = &mut gb {
                for (g, &v) in gb.iter_mut().zip(&s[nw..]) {
                    *g += v;
                }
            }
        }
    }

    fn visit_params(&self, f: &mut dyn FnMut(usize, ParamKind, &[T])) {
        f(0, ParamKind::Weight, self.weight_flat());
        if let Some(b) = &self.bias {
            f(1, ParamKind::Bias, &b[..]);
        }
    }

    fn visit_params_mut(&mut self, f: &mut dyn FnMut(usize, ParamKind, &mut [T])) {
        f(0, ParamKind::Weight, self.weight_flat_mut());
        if let Some(b) = &mut self.bias {
            f(1, ParamKind::Bias, &mut b[..]);
        }
    }

    fn visit_with_grads(&mut self, grads: &Self, f: &mut GradVisitor<'_, T>) {
        let gw = grads.weight_flat();
        f(0, ParamKind::Weight, self.weight_flat_mut(), gw);
        if let (Some(b), Some(gb)) = (&mut self.bias, &grads.bias) {
            f(1, ParamKind::Bias, &mut b[..], &gb[..]);
        }
    }
}

/// Test hook: force the chunk size and whether chunks run as parallel parts.
#[cfg(test)]
mod test_plan {
    use core::cell::Cell;

    std::thread_local! {
        static PLAN: Cell<Option<(usize, bool)>> = const { Cell::new(None) };
    }

    pub fn get() -> Option<(usize, bool)> {
        PLAN.with(Cell::get)
    }

    pub fn set(plan: Option<(usize, bool)>) {
        PLAN.with(|p| p.set(plan));
    }
}

#[cfg(test)]
mod tests {
    use super::super::conv_reference as r;
    use super::super::testutil::{check_layer, probe_input};
    use super::*;

    /// A layer with deterministic, asymmetric weights and biases.
    #[allow(clippy::type_complexity)]
    fn layer<
        const CI: usize,
        const H: usize,
        const W: usize,
        const CO: usize,
        const KH: usize,
        const KW: usize,
        const SH: usize,
        const SW: usize,
        const PH: usize,
        const PW: usize,
        const OH: usize,
        const OW: usize,
    >(
        bias: bool,
        act: Activation,
    ) -> Conv2d<f64, CI, H, W, CO, KH, KW, SH, SW, PH, PW, OH, OW> {
        let mut l = Conv2d::zeros(bias, act);
        for (i, v) in l.weight_flat_mut().iter_mut().enumerate() {
            *v = ((i * 29 + 5) % 17) as f64 / 17.0 - 0.45;
        }
        if let Some(b) = &mut l.bias {
            for (i, v) in b.iter_mut().enumerate() {
                *v = 0.1 * i as f64 - 0.05;
            }
        }
        l
    }

    /// Direct (seven nested loops) convolution, the definition the fast path must match.
    #[allow(clippy::too_many_arguments)]
    fn naive(
        x: &[f64],
        w: &[f64],
        b: Option<&[f64]>,
        batch: usize,
        (ci, h, wd): (usize, usize, usize),
        (co, kh, kw): (usize, usize, usize),
        (sh, sw, ph, pw): (usize, usize, usize, usize),
        (oh, ow): (usize, usize),
    ) -> Vec<f64> {
        let mut y = vec![0.0; batch * co * oh * ow];
        for s in 0..batch {
            for o in 0..co {
                for i in 0..oh {
                    for j in 0..ow {
                        let mut acc = b.map_or(0.0, |b| b[o]);
                        for c in 0..ci {
                            for u in 0..kh {
                                for v in 0..kw {
                                    let (r, q) = (
                                        (i * sh + u) as isize - ph as isize,
                                        (j * sw + v) as isize - pw as isize,
                                    );
                                    if r >= 0 && q >= 0 && (r as usize) < h && (q as usize) < wd {
                                        acc += w[((o * ci + c) * kh + u) * kw + v]
                                            * x[((s * ci + c) * h + r as usize) * wd + q as usize];
                                    }
                                }
                            }
                        }
                        y[((s * co + o) * oh + i) * ow + j] = acc;
                    }
                }
            }
        }
        y
    }

    fn assert_close(got: &[f64], want: &[f64], tol: f64) {
        assert_eq!(got.len(), want.len());
        for (i, (a, b)) in got.iter().zip(want).enumerate() {
            assert!((a - b).abs() <= tol, "index {i}: {a} vs {b}");
        }
    }

    /// Forward against the naive definition, then backward against finite differences.
    fn check<
        const CI: usize,
        const H: usize,
        const W: usize,
        const CO: usize,
        const KH: usize,
        const KW: usize,
        const SH: usize,
        const SW: usize,
        const PH: usize,
        const PW: usize,
        const OH: usize,
        const OW: usize,
    >(
        bias: bool,
        act: Activation,
    ) {
        // The automatic plan, then one sample per chunk (serial and in parallel parts), then
        // uneven chunks of two over three samples.
        for plan in [None, Some((1, false)), Some((1, true)), Some((2, true))] {
            test_plan::set(plan);
            check_plan::<CI, H, W, CO, KH, KW, SH, SW, PH, PW, OH, OW>(bias, act, 3);
        }
        test_plan::set(None);
    }

    fn check_plan<
        const CI: usize,
        const H: usize,
        const W: usize,
        const CO: usize,
        const KH: usize,
        const KW: usize,
        const SH: usize,
        const SW: usize,
        const PH: usize,
        const PW: usize,
        const OH: usize,
        const OW: usize,
    >(
        bias: bool,
        act: Activation,
        batch: usize,
    ) {
        let mut l = layer::<CI, H, W, CO, KH, KW, SH, SW, PH, PW, OH, OW>(bias, act);
        let x = probe_input(batch * CI * H * W);
        let mut y = vec![0.0; batch * CO * OH * OW];
        l.forward(&x, &mut y, batch, &mut Conv2dCache::default());
        let want = naive(
            &x,
            l.weight_flat(),
            l.bias.as_ref().map(|b| &b[..]),
            batch,
            (CI, H, W),
            (CO, KH, KW),
            (SH, SW, PH, PW),
            (OH, OW),
        );
        let mut want_act = want.clone();
        act.forward(&mut want_act);
        assert_close(&y, &want_act, 1e-12);
        let err = check_layer(&mut l, &x, batch, 0);
        assert!(err < 1e-6, "finite differences: {err}");
    }

    #[test]
    fn forward_matches_hand_computation() {
        // 1x3x3 input, 2x2 kernel, no padding: 2x2 output.
        let mut l =
            Conv2d::<f64, 1, 3, 3, 1, 2, 2, 1, 1, 0, 0, 2, 2>::zeros(true, Activation::Identity);
        l.weight_flat_mut().copy_from_slice(&[1.0, 2.0, 3.0, 4.0]);
        l.bias.as_mut().unwrap()[0] = 0.5;
        let x = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0];
        let mut y = [0.0; 4];
        l.forward(&x, &mut y, 1, &mut Conv2dCache::default());
        // [1 2;4 5].[1 2;3 4] = 1+4+12+20 = 37, then 47, 67, 77; plus 0.5.
        assert_eq!(y, [37.5, 47.5, 67.5, 77.5]);
        // Padding 1, stride 2: 2x2 output whose corners see the zero border.
        let mut l =
            Conv2d::<f64, 1, 3, 3, 1, 2, 2, 2, 2, 1, 1, 2, 2>::zeros(false, Activation::Relu);
        l.weight_flat_mut().copy_from_slice(&[1.0, 2.0, 3.0, -4.0]);
        l.forward(&x, &mut y, 1, &mut Conv2dCache::default());
        // (0,0): -4*1; (0,1): 3*2 - 4*3 = -6; (1,0): 2*4 - 4*7 = -20; (1,1): 1*5+2*6+3*8-4*9 = 5
        assert_eq!(y, [0.0, 0.0, 0.0, 5.0]);
    }

    #[test]
    fn matches_naive_and_finite_differences() {
        // Narrow, multi-channel, tanh.
        check::<2, 5, 4, 3, 3, 3, 1, 1, 0, 0, 3, 2>(true, Activation::Tanh);
        // Stride 2, padding 1 ("same"-ish ResNet conv), no bias, identity.
        check::<3, 6, 5, 2, 3, 3, 2, 2, 1, 1, 3, 3>(false, Activation::Identity);
        // Padding 2, non-square kernel and stride, softplus (needs the pre-activation).
        check::<2, 5, 6, 2, 2, 3, 2, 1, 2, 1, 4, 6>(true, Activation::Softplus);
        // Wide conv (p = k - 1) with a stride that skips the last rows.
        check::<1, 4, 5, 2, 3, 2, 3, 2, 2, 1, 2, 3>(true, Activation::Sigmoid);
        // 1x1 fast path, and 1x1 with stride 2 (ResNet shortcut) through im2col.
        check::<3, 3, 4, 2, 1, 1, 1, 1, 0, 0, 3, 4>(true, Activation::Tanh);
        check::<3, 5, 4, 2, 1, 1, 2, 2, 0, 0, 3, 2>(false, Activation::Identity);
    }

    #[test]
    fn pytorch_parity() {
        let mut l =
            Conv2d::<f64, 3, 7, 6, 4, 3, 3, 2, 2, 1, 1, 4, 3>::zeros(true, Activation::Identity);
        l.weight_flat_mut().copy_from_slice(&r::CONV_WEIGHT);
        l.bias.as_mut().unwrap().copy_from_slice(&r::CONV_BIAS);
        let mut cache = Conv2dCache::default();
        let mut y = vec![0.0; r::CONV_Y.len()];
        l.forward_train(
            &r::X,
            &mut y,
            2,
            &mut cache,
            &mut crate::train_ctx::TrainCtx::new(0),
        )
        .unwrap();
        assert_close(&y, &r::CONV_Y, 1e-12);
        let mut dy = r::CONV_G.to_vec();
        let mut dx = vec![f64::NAN; r::X.len()];
        let mut g = l.zeros_like();
        l.backward(&r::X, &y, &mut dy, Some(&mut dx), 2, &mut cache, &mut g);
        assert_close(&dx, &r::CONV_DX, 1e-12);
        assert_close(g.weight_flat(), &r::CONV_DW, 1e-12);
        assert_close(&g.bias.as_ref().unwrap()[..], &r::CONV_DB, 1e-12);
        // Inference forward gives the same output.
        let mut e = vec![0.0; y.len()];
        l.forward(&r::X, &mut e, 2, &mut cache);
        assert_eq!(e, y);
    }

    #[test]
    fn new_uses_conv_fans_and_zero_bias() {
        let mut rng = crate::rng::seeded(3);
        let l = Conv2d::<f32, 3, 8, 8, 16, 5, 5, 1, 1, 2, 2, 8, 8>::new(
            true,
            Activation::Relu,
            Init::he_uniform(),
            &mut rng,
        )
        .unwrap();
        // He uniform bound sqrt(6 / fan_in), fan_in = 3 * 5 * 5.
        let bound = (6.0f32 / 75.0).sqrt();
        assert!(l.weight_flat().iter().all(|w| w.abs() <= bound));
        assert!(l.weight_flat().iter().any(|w| w.abs() > 0.5 * bound));
        assert!(l.bias.as_ref().unwrap().iter().all(|&b| b == 0.0));
        assert_eq!(l.param_names(), ["weight", "bias"]);
        // Orthogonal: the rows of the [CO, CI KH KW] matrix are orthonormal (CO <= CI KH KW).
        let l = Conv2d::<f64, 2, 4, 4, 3, 2, 2, 1, 1, 0, 0, 3, 3>::new(
            false,
            Activation::Identity,
            Init::Orthogonal { gain: 1.0 },
            &mut rng,
        )
        .unwrap();
        let w = l.weight_flat();
        for i in 0..3 {
            for j in 0..3 {
                let d: f64 = (0..8).map(|k| w[i * 8 + k] * w[j * 8 + k]).sum();
                assert!(
                    (d - f64::from(u8::from(i == j))).abs() < 1e-12,
                    "{i} {j}: {d}"
                );
            }
        }
        assert_eq!(
            <Conv2d<f32, 3, 8, 8, 16, 5, 5, 1, 1, 2, 2, 8, 8> as Layer<f32>>::OUT,
            16 * 64
        );
    }

    /// LeNet-5's first conv (1 -> 6, 5x5, pad 2, 28x28) at batch 64, f32, forward + backward.
    /// `cargo test -p kiln-runtime --release --lib conv2d::tests::timing -- --ignored --nocapture`
    #[test]
    #[ignore]
    fn timing_lenet_conv1() {
        type C1 = Conv2d<f32, 1, 28, 28, 6, 5, 5, 1, 1, 2, 2, 28, 28>;
        type C2 = Conv2d<f32, 6, 14, 14, 16, 5, 5, 1, 1, 0, 0, 10, 10>;
        fn time<L: Layer<f32>>(name: &str, mut l: L) {
            let batch = 64;
            let x: Vec<f32> = (0..batch * L::IN)
                .map(|i| (i % 13) as f32 * 0.1 - 0.6)
                .collect();
            let mut y = vec![0.0; batch * L::OUT];
            let mut dx = vec![0.0; x.len()];
            let mut g = l.zeros_like();
            let mut cache = L::Cache::default();
            let mut rng = crate::train_ctx::TrainCtx::new(0);
            let mut dy = vec![0.0; batch * L::OUT];
            let mut run = |l: &mut L, y: &mut Vec<f32>, cache: &mut L::Cache| {
                l.forward_train(&x, y, batch, cache, &mut rng).unwrap();
                dy.copy_from_slice(y);
                l.backward(&x, y, &mut dy, Some(&mut dx), batch, cache, &mut g);
            };
            for _ in 0..5 {
                run(&mut l, &mut y, &mut cache);
            }
            let reps = 50;
            let t = std::time::Instant::now();
            for _ in 0..reps {
                run(&mut l, &mut y, &mut cache);
            }
            let us = t.elapsed().as_secs_f64() / reps as f64 * 1e6;
            let t = std::time::Instant::now();
            for _ in 0..reps {
                l.forward(&x, &mut y, batch, &mut cache);
            }
            let fwd = t.elapsed().as_secs_f64() / reps as f64 * 1e6;
            println!("{name}, batch {batch}: forward+backward {us:.0} us (inference forward {fwd:.0} us)");
        }
        let mut rng = crate::rng::seeded(1);
        time(
            "lenet conv1 1->6 5x5 p2 28x28",
            C1::new(true, Activation::Relu, Init::he_uniform(), &mut rng).unwrap(),
        );
        time(
            "lenet conv2 6->16 5x5 14x14",
            C2::new(true, Activation::Relu, Init::he_uniform(), &mut rng).unwrap(),
        );
    }
}
