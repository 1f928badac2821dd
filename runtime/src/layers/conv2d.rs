//! 2-D convolution (cross-correlation, as PyTorch's `nn.Conv2d`), `y = f(W * x + b)`, with
//! the activation fused into the pass that finishes the output (use
//! [`Activation::Identity`] for none).
//!
//! Shapes: a sample is `[CI, H, W]`, its output `[CO, OH, OW]` with
//! `OH = floor((H - KH + 2 PH) / SH) + 1` (likewise `OW`), checked at compile time.
//! Weight `[CO, CI, KH, KW]` and bias `[CO]` as `nn.Conv2d.weight` / `.bias`.
//!
//! Forward, per sample: im2col gathers the receptive fields into `cols [CI KH KW, OH OW]`
//! (zeros for padding), then one GEMM `Y = W cols` into `[CO, OH OW]`, whose planes were
//! pre-filled with the bias (`beta = 1`). A 1x1 kernel with stride 1 and no padding uses the
//! sample itself as `cols`.
//!
//! Backward (REFERENCE.md, conv): `dz = f'(z) . dy`; `dW = sum_s dZ_s cols_s^T` (the
//! correlation of the input with delta), `db = sum dZ`; `dcols = W^T dZ_s`, scattered back by
//! col2im, is the full correlation of delta with the 180-degree-rotated kernel. `cols` is
//! recomputed per sample in backward instead of being kept for the whole batch.

use super::{ensure_len, GradVisitor, Layer};
use crate::activation::Activation;
use crate::float::Float;
use crate::gemm::{gemm_unchecked, Trans};
use crate::init::{conv_fans, fill_orthogonal, Init};
use crate::param::ParamKind;
use crate::rng::KilnRng;
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
> {
    /// `[CO, CI, KH, KW]`, as `nn.Conv2d.weight`.
    pub weight: Box<Kernel<T, CI, CO, KH, KW>>,
    /// `[CO]`, absent for `bias = false`.
    pub bias: Option<Box<[T; CO]>>,
    /// The activation fused into the forward pass.
    pub act: Activation,
}

/// Scratch and what backward needs: the im2col buffer of one sample, its gradient, and the
/// pre-activation only for activations whose derivative needs it. Grown once, then reused.
#[derive(Debug, Default, Clone)]
pub struct Conv2dCache<T> {
    cols: Vec<T>,
    dcols: Vec<T>,
    z: Vec<T>,
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
    > Conv2d<T, CI, H, W, CO, KH, KW, SH, SW, PH, PW, OH, OW>
{
    /// Rows of `cols` (the GEMM's inner dimension).
    const K: usize = CI * KH * KW;
    /// Output pixels per channel.
    const N: usize = OH * OW;
    /// 1x1 kernel, stride 1, no padding: `cols` is the input itself.
    const POINTWISE: bool = KH == 1 && KW == 1 && SH == 1 && SW == 1 && PH == 0 && PW == 0;
    /// The shape rule, checked when the layer is built (a compile error for bad constants).
    const SHAPE: () = {
        assert!(CI > 0 && CO > 0 && KH > 0 && KW > 0, "conv2d: empty shape");
        assert!(SH > 0 && SW > 0, "conv2d: stride must be positive");
        assert!(
            H + 2 * PH >= KH && W + 2 * PW >= KW,
            "conv2d: kernel larger than the padded input"
        );
        assert!(
            OH == (H + 2 * PH - KH) / SH + 1 && OW == (W + 2 * PW - KW) / SW + 1,
            "conv2d: OH/OW disagree with floor((n - k + 2p) / s) + 1"
        );
    };

    /// A layer initialised by `init` (fan-in `CI KH KW`, fan-out `CO KH KW`, as PyTorch) with
    /// zero biases. Orthogonal init, as PyTorch's `orthogonal_`, orthogonalises the
    /// `[CO, CI KH KW]` matrix.
    pub fn new(bias: bool, act: Activation, init: Init, rng: &mut KilnRng) -> Result<Self> {
        let mut layer = Self::zeros(bias, act);
        let (fan_in, fan_out) = conv_fans(CO, CI, KH, KW);
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
        let w: Box<[[[[T; KW]; KH]; CI]]> = vec![[[[T::ZERO; KW]; KH]; CI]; CO].into_boxed_slice();
        let weight = match w.try_into() {
            Ok(b) => b,
            Err(_) => unreachable!("a vector of CO kernels converts to [_; CO]"),
        };
        Conv2d {
            weight,
            bias: bias.then(super::boxed_vector),
            act,
        }
    }

    /// The weight as a row-major `[CO, CI KH KW]` matrix.
    pub fn weight_flat(&self) -> &[T] {
        self.weight.as_flattened().as_flattened().as_flattened()
    }

    /// The weight as a mutable row-major `[CO, CI KH KW]` matrix.
    pub fn weight_flat_mut(&mut self) -> &mut [T] {
        self.weight
            .as_flattened_mut()
            .as_flattened_mut()
            .as_flattened_mut()
    }

    /// Gathers the receptive fields of one sample `x [CI, H, W]` into `cols [CI KH KW, OH OW]`.
    fn im2col(x: &[T], cols: &mut [T]) {
        let mut rows = cols.chunks_exact_mut(Self::N);
        for plane in x.chunks_exact(H * W).take(CI) {
            for kh in 0..KH {
                let (oh_lo, oh_hi) = valid_range(kh, PH, SH, H, OH);
                for kw in 0..KW {
                    let (ow_lo, ow_hi) = valid_range(kw, PW, SW, W, OW);
                    let Some(row) = rows.next() else { return };
                    row[..oh_lo * OW].fill(T::ZERO);
                    row[oh_hi * OW..].fill(T::ZERO);
                    for (oh, out) in row.chunks_exact_mut(OW).enumerate().take(oh_hi).skip(oh_lo) {
                        out[..ow_lo].fill(T::ZERO);
                        out[ow_hi..].fill(T::ZERO);
                        if ow_lo == ow_hi {
                            continue;
                        }
                        let ih = oh * SH + kh - PH;
                        let src = &plane[ih * W + ow_lo * SW + kw - PW..(ih + 1) * W];
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

    /// Adds `dcols [CI KH KW, OH OW]` back onto the input positions they were gathered from,
    /// `dx [CI, H, W]` (which the caller zeroes).
    fn col2im(dcols: &[T], dx: &mut [T]) {
        let mut rows = dcols.chunks_exact(Self::N);
        for plane in dx.chunks_exact_mut(H * W).take(CI) {
            for kh in 0..KH {
                let (oh_lo, oh_hi) = valid_range(kh, PH, SH, H, OH);
                for kw in 0..KW {
                    let (ow_lo, ow_hi) = valid_range(kw, PW, SW, W, OW);
                    let Some(row) = rows.next() else { return };
                    if ow_lo == ow_hi {
                        continue;
                    }
                    for (oh, d) in row.chunks_exact(OW).enumerate().take(oh_hi).skip(oh_lo) {
                        let ih = oh * SH + kh - PH;
                        let dst = &mut plane[ih * W + ow_lo * SW + kw - PW..(ih + 1) * W];
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

    /// `z = W * x (+ b)` then the activation, over `batch` samples; `z` kept when asked.
    fn forward_into(
        &self,
        x: &[T],
        y: &mut [T],
        batch: usize,
        cols: &mut Vec<T>,
        keep_z: Option<&mut Vec<T>>,
    ) {
        let (k, n) = (Self::K, Self::N);
        debug_assert_eq!(x.len(), batch * CI * H * W);
        debug_assert_eq!(y.len(), batch * CO * n);
        if !Self::POINTWISE {
            ensure_len(cols, k * n);
        }
        let w = self.weight_flat();
        for (xs, ys) in x
            .chunks_exact(CI * H * W)
            .zip(y.chunks_exact_mut(CO * n))
            .take(batch)
        {
            let beta = match &self.bias {
                Some(b) => {
                    for (plane, &bc) in ys.chunks_exact_mut(n).zip(&b[..]) {
                        plane.fill(bc);
                    }
                    T::ONE
                }
                None => T::ZERO,
            };
            let c: &[T] = if Self::POINTWISE {
                xs
            } else {
                Self::im2col(xs, cols);
                cols
            };
            // Y_s [CO, N] = W [CO, K] cols [K, N] (+ bias planes)
            gemm_unchecked(
                Trans::No,
                Trans::No,
                CO,
                n,
                k,
                T::ONE,
                w,
                k,
                c,
                n,
                beta,
                ys,
                n,
            );
        }
        if let Some(z) = keep_z {
            ensure_len(z, y.len());
            z.copy_from_slice(y);
        }
        self.act.forward(y);
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
    > Layer<T> for Conv2d<T, CI, H, W, CO, KH, KW, SH, SW, PH, PW, OH, OW>
{
    const IN: usize = CI * H * W;
    const OUT: usize = CO * OH * OW;
    type Cache = Conv2dCache<T>;

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

    fn forward(&self, x: &[T], y: &mut [T], batch: usize, cache: &mut Self::Cache) {
        self.forward_into(x, y, batch, &mut cache.cols, None);
    }

    fn forward_train(
        &mut self,
        x: &[T],
        y: &mut [T],
        batch: usize,
        cache: &mut Self::Cache,
        _rng: &mut KilnRng,
    ) -> Result<()> {
        let keep = self.act.needs_input().then_some(&mut cache.z);
        self.forward_into(x, y, batch, &mut cache.cols, keep);
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
        let (k, n) = (Self::K, Self::N);
        // dz = f'(z) . dy, in place.
        self.act.backward(&cache.z, y, dy);
        let dz = &*dy;
        if let Some(gb) = &mut grads.bias {
            gb.fill(T::ZERO);
            for zs in dz.chunks_exact(CO * n).take(batch) {
                for (g, plane) in gb.iter_mut().zip(zs.chunks_exact(n)) {
                    *g += plane.iter().copied().sum::<T>();
                }
            }
        }
        let gw = grads.weight_flat_mut();
        if batch == 0 {
            gw.fill(T::ZERO);
        }
        if !Self::POINTWISE {
            ensure_len(&mut cache.cols, k * n);
        }
        let w = self.weight_flat();
        let mut dx_samples = dx.map(|d| d.chunks_exact_mut(CI * H * W));
        for (s, (xs, zs)) in x
            .chunks_exact(CI * H * W)
            .zip(dz.chunks_exact(CO * n))
            .take(batch)
            .enumerate()
        {
            let cols: &[T] = if Self::POINTWISE {
                xs
            } else {
                Self::im2col(xs, &mut cache.cols);
                &cache.cols
            };
            // dW [CO, K] (+)= dZ_s [CO, N] cols^T [N, K]
            let beta = if s == 0 { T::ZERO } else { T::ONE };
            gemm_unchecked(
                Trans::No,
                Trans::Yes,
                CO,
                k,
                n,
                T::ONE,
                zs,
                n,
                cols,
                n,
                beta,
                gw,
                k,
            );
            let Some(dxs) = dx_samples.as_mut().and_then(|it| it.next()) else {
                continue;
            };
            // dcols [K, N] = W^T [K, CO] dZ_s [CO, N], straight into dx when cols is x.
            if Self::POINTWISE {
                gemm_unchecked(
                    Trans::Yes,
                    Trans::No,
                    k,
                    n,
                    CO,
                    T::ONE,
                    w,
                    k,
                    zs,
                    n,
                    T::ZERO,
                    dxs,
                    n,
                );
            } else {
                ensure_len(&mut cache.dcols, k * n);
                gemm_unchecked(
                    Trans::Yes,
                    Trans::No,
                    k,
                    n,
                    CO,
                    T::ONE,
                    w,
                    k,
                    zs,
                    n,
                    T::ZERO,
                    &mut cache.dcols,
                    n,
                );
                dxs.fill(T::ZERO);
                Self::col2im(&cache.dcols, dxs);
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
        let batch = 2;
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
        l.forward_train(&r::X, &mut y, 2, &mut cache, &mut crate::rng::seeded(0))
            .unwrap();
        assert_close(&y, &r::CONV_Y, 1e-12);
        let mut dy = r::CONV_G.to_vec();
        let mut dx = vec![f64::NAN; r::X.len()];
        let mut g = l.zeros_like();
        l.backward(&r::X, &y, &mut dy, Some(&mut dx), 2, &mut cache, &mut g);
        assert_close(&dx, &r::CONV_DX, 1e-12);
        assert_close(g.weight_flat(), &r::CONV_DW, 1e-12);
        assert_close(&g.bias.as_ref().unwrap()[..], &r::CONV_DB, 1e-12);
        // Inference forward gives the same output, and the caches are reused, not regrown.
        let cap = cache.cols.capacity();
        let mut e = vec![0.0; y.len()];
        l.forward(&r::X, &mut e, 2, &mut cache);
        assert_eq!(e, y);
        assert_eq!(cache.cols.capacity(), cap);
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
            let mut rng = crate::rng::seeded(0);
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
