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
        for (o, out) in y.chunks_exact_mut(OH * OW).enumerate() {
            let group = &x[(o / (CO / G)) * CI * H * W..][..CI * H * W];
            for (p, v) in out.iter_mut().enumerate() {
                let (oy, ox) = (p / OW, p % OW);
                let planes = group.chunks_exact(H * W).enumerate();
                let acc = planes.fold(0i32, |acc, (c, plane)| {
                    acc.wrapping_add(self.window::<H, W, PH, PW>(o, c, plane, oy * SH, ox * SW))
                });
                *v = self.out.output(o, acc);
            }
        }
    }

    /// One kernel's products over the window whose top-left corner is `(y0 - PH, x0 - PW)`.
    #[inline]
    fn window<const H: usize, const W: usize, const PH: usize, const PW: usize>(
        &self,
        o: usize,
        c: usize,
        plane: &[i8],
        y0: usize,
        x0: usize,
    ) -> i32 {
        let mut acc = 0i32;
        for (ky, krow) in self.weight[o][c].iter().enumerate() {
            let Some(iy) = (y0 + ky).checked_sub(PH).filter(|&iy| iy < H) else {
                continue;
            };
            for (kx, &w) in krow.iter().enumerate() {
                let Some(ix) = (x0 + kx).checked_sub(PW).filter(|&ix| ix < W) else {
                    continue;
                };
                acc += w as i32 * (plane[iy * W + ix] as i32 - self.out.input_zero);
            }
        }
        acc
    }
}
