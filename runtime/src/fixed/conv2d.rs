//! 2-D convolution, batch 1, direct: `y[o] = act(b[o] + sum_c W[o, c] * x[c])` over `[C, H, W]`
//! maps, zero padding `(PH, PW)`, stride `(SH, SW)`, a `KH x KW` kernel dilated by `(DH, DW)`
//! and `G` groups
//! (PyTorch's `[CO, CI / G, KH, KW]` weight).

use crate::activation::Activation;
use crate::float::Float;

/// A convolution's tensors. `CI` is the input channels each output sees: all of them, or
/// with `G` groups each group of `CO / G` outputs reads its own `CI` of the `CI G` inputs.
#[derive(Clone, Debug)]
pub struct Conv2d<
    T,
    const CI: usize,
    const CO: usize,
    const KH: usize,
    const KW: usize,
    const G: usize = 1,
    const DH: usize = 1,
    const DW: usize = 1,
> {
    /// Kernels in PyTorch's layout `[CO, CI, KH, KW]`: `weight[o][c]` is the `KH x KW` kernel
    /// output channel `o` applies to input channel `c` of its group.
    pub weight: [[[[T; KW]; KH]; CI]; CO],
    /// One bias per output channel, added to every position of its map.
    pub bias: [T; CO],
}

impl<
        T: Float,
        const CI: usize,
        const CO: usize,
        const KH: usize,
        const KW: usize,
        const G: usize,
        const DH: usize,
        const DW: usize,
    > Conv2d<T, CI, CO, KH, KW, G, DH, DW>
{
    /// All zeros.
    pub const ZERO: Self = Conv2d {
        weight: [[[[T::ZERO; KW]; KH]; CI]; CO],
        bias: [T::ZERO; CO],
    };

    /// `x` is `[CI G, H, W]`, `y` is `[CO, OH, OW]`.
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
        x: &[T],
        y: &mut [T],
        act: Activation,
    ) {
        assert!(
            x.len() == CI * G * H * W && y.len() == CO * OH * OW,
            "kiln bug: conv2d sizes"
        );
        for (o, out) in y.chunks_exact_mut(OH * OW).enumerate() {
            out.fill(self.bias[o]);
            // The group of output `o` reads input channels `g CI .. (g + 1) CI`.
            let g = o / (CO / G);
            for (c, plane) in x.chunks_exact(H * W).skip(g * CI).take(CI).enumerate() {
                let k = &self.weight[o][c];
                for oy in 0..OH {
                    let orow = &mut out[oy * OW..(oy + 1) * OW];
                    for (ky, krow) in k.iter().enumerate() {
                        let iy = (oy * SH + ky * DH) as isize - PH as isize;
                        if iy < 0 || iy >= H as isize {
                            continue;
                        }
                        let row = &plane[iy as usize * W..(iy as usize + 1) * W];
                        for (ox, o) in orow.iter_mut().enumerate() {
                            let base = (ox * SW) as isize - PW as isize;
                            let mut acc = T::ZERO;
                            for (kx, &w) in krow.iter().enumerate() {
                                let ix = base + (kx * DW) as isize;
                                if ix >= 0 && ix < W as isize {
                                    acc += w * row[ix as usize];
                                }
                            }
                            *o += acc;
                        }
                    }
                }
            }
        }
        act.forward(y);
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{close, values};
    use super::*;
    use crate::layers::{self, Layer};

    #[test]
    fn matches_the_batched_layer_with_stride_and_padding() {
        let mut std_layer = layers::Conv2d::<f64, 2, 7, 6, 3, 3, 3, 2, 2, 1, 1, 4, 3>::new(
            true,
            Activation::Relu,
            crate::init::Init::XavierUniform { gain: 1.0 },
            &mut crate::rng::seeded(1),
        )
        .unwrap();
        std_layer.visit_params_mut(&mut |i, _, v| v.copy_from_slice(&values(v.len(), i + 3)));
        let mut c = Conv2d::<f64, 2, 3, 3, 3>::ZERO;
        std_layer.visit_params(&mut |i, _, v| {
            let dst = if i == 0 {
                c.weight
                    .as_flattened_mut()
                    .as_flattened_mut()
                    .as_flattened_mut()
            } else {
                &mut c.bias[..]
            };
            dst.copy_from_slice(v);
        });
        let x = values(2 * 7 * 6, 9);
        let mut want = [0.0; 3 * 4 * 3];
        std_layer.forward(&x, &mut want, 1, &mut Default::default());
        let mut got = [0.0; 3 * 4 * 3];
        c.forward::<7, 6, 2, 2, 1, 1, 4, 3>(&x, &mut got, Activation::Relu);
        close(&got, &want, 1e-12);
    }
}
