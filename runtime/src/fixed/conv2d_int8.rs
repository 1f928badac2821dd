//! 2-D convolution in int8, batch 1, as TFLite's per-channel convolution computes it: each
//! output `clamp(requant(b[o] + sum W[o] (x - input_zero)) + output_zero)`. A padded position
//! stands for the real 0, i.e. the input's zero point, so it adds nothing and is skipped.

use super::Requant;

/// int8 convolution to `CO` channels with a `KH x KW` kernel in `G` groups of `CI` input
/// channels each (PyTorch's `groups`; `G` = input channels is depthwise), no dilation.
#[derive(Clone, Debug)]
pub struct Conv2dInt8<
    const CI: usize,
    const CO: usize,
    const KH: usize,
    const KW: usize,
    const G: usize = 1,
> {
    /// `[CO, CI, KH, KW]`, symmetric per output channel (PyTorch's layout; `CI` per group).
    pub weight: [[[[i8; KW]; KH]; CI]; CO],
    /// Bias, rescaling, zero points and range.
    pub out: Requant<CO>,
}

impl<const CI: usize, const CO: usize, const KH: usize, const KW: usize, const G: usize>
    Conv2dInt8<CI, CO, KH, KW, G>
{
    /// All zeros, the full int8 range.
    pub const ZERO: Self = Conv2dInt8 {
        weight: [[[[0; KW]; KH]; CI]; CO],
        out: Requant::ZERO,
    };

    /// `x` is `[G CI, H, W]`, `y` is `[CO, OH, OW]`; stride `(SH, SW)`, padding `(PH, PW)`;
    /// output channel `o` reads the input channels of its group, `o / (CO / G)`.
    pub fn forward<
        const H: usize,
        const W: usize,
        const SH: usize,
        const SW: usize,
        const PH: usize,
        const PW: usize,
        const OH: usize,
        const OW: usize,
    >(
        &self,
        x: &[i8],
        y: &mut [i8],
    ) {
        assert!(
            x.len() == G * CI * H * W && y.len() == CO * OH * OW && CO.is_multiple_of(G),
            "kiln bug: int8 conv2d sizes"
        );
        conv2d_int8::<CI, CO, KH, KW, G, H, W, SH, SW, PH, PW, OH, OW>(self, x, y);
    }
}

/// One output row's sums: for each kernel tap, one pass over the output positions whose input
/// lies inside the image (a padded position stands for the zero point and adds nothing), so
/// with stride 1 the inner loop runs along contiguous input and vectorises.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn row_sums<
    const CI: usize,
    const CO: usize,
    const KH: usize,
    const KW: usize,
    const G: usize,
    const H: usize,
    const W: usize,
    const SW: usize,
    const PH: usize,
    const PW: usize,
    const OW: usize,
>(
    layer: &Conv2dInt8<CI, CO, KH, KW, G>,
    o: usize,
    group: &[i8],
    y0: usize,
    acc: &mut [i32; OW],
) {
    let z = layer.out.input_zero;
    for (c, plane) in group.chunks_exact(H * W).enumerate() {
        for (ky, krow) in layer.weight[o][c].iter().enumerate() {
            let Some(iy) = (y0 + ky).checked_sub(PH).filter(|&iy| iy < H) else {
                continue;
            };
            let line = &plane[iy * W..(iy + 1) * W];
            for (kx, &w) in krow.iter().enumerate() {
                // Output positions `ox` with `0 <= ox SW + kx - PW < W`.
                let lo = PW.saturating_sub(kx).div_ceil(SW);
                let hi = (W + PW).saturating_sub(kx).div_ceil(SW).min(OW);
                let w = i32::from(w);
                for ox in lo..hi {
                    let v = i32::from(line[ox * SW + kx - PW]) - z;
                    acc[ox] = acc[ox].wrapping_add(w * v);
                }
            }
        }
    }
}

/// [`Conv2dInt8::forward`] for vectors of `V` bytes (the dispatch's width, unused: the
/// compiler vectorises for the instruction set enabled).
#[inline(always)]
fn conv2d_int8_kernel<
    const CI: usize,
    const CO: usize,
    const KH: usize,
    const KW: usize,
    const G: usize,
    const H: usize,
    const W: usize,
    const SH: usize,
    const SW: usize,
    const PH: usize,
    const PW: usize,
    const OH: usize,
    const OW: usize,
    const V: usize,
    const FMA: bool,
>(
    layer: &Conv2dInt8<CI, CO, KH, KW, G>,
    x: &[i8],
    y: &mut [i8],
) {
    for (o, out) in y.chunks_exact_mut(OH * OW).enumerate() {
        let group = &x[(o / (CO / G)) * CI * H * W..][..CI * H * W];
        for (oy, row) in out.chunks_exact_mut(OW).enumerate() {
            let mut acc = [0i32; OW];
            row_sums::<CI, CO, KH, KW, G, H, W, SW, PH, PW, OW>(layer, o, group, oy * SH, &mut acc);
            for (v, &a) in row.iter_mut().zip(&acc) {
                *v = layer.out.output(o, a);
            }
        }
    }
}

super::dispatch! {
    /// The int8 convolution for the best instruction set this CPU has.
    fn conv2d_int8 = conv2d_int8_kernel<; const CI, const CO, const KH, const KW, const G, const H, const W, const SH, const SW, const PH, const PW, const OH, const OW>(
        layer: &Conv2dInt8<CI, CO, KH, KW, G>,
        x: &[i8],
        y: &mut [i8],
    )
}
