//! Fully connected layer, batch 1: `y = act(W x + b)`. The weight is stored transposed
//! (`weight_t: [IN][OUT]`, PyTorch's `weight` is `[OUT][IN]`) so the product runs along
//! contiguous rows with no reductions; `set_transposed`/`get_transposed` convert.

use super::{arr, arr_mut, matvec_t};
use crate::activation::Activation;
use crate::float::Float;

/// A dense layer's tensors (a layer declared without bias keeps a zero bias).
#[derive(Clone, Debug)]
pub struct Dense<T, const IN: usize, const OUT: usize> {
    /// `W^T`: `weight_t[i][o]` is PyTorch's `weight[o][i]`.
    pub weight_t: [[T; OUT]; IN],
    pub bias: [T; OUT],
}

impl<T: Float, const IN: usize, const OUT: usize> Dense<T, IN, OUT> {
    /// All zeros.
    pub const ZERO: Self = Dense {
        weight_t: [[T::ZERO; OUT]; IN],
        bias: [T::ZERO; OUT],
    };

    /// `y = act(W x + b)`; `x` has `IN` values, `y` `OUT`.
    #[inline]
    pub fn forward(&self, x: &[T], y: &mut [T], act: Activation) {
        let (x, y) = (
            arr::<T, IN>(x, "dense input"),
            arr_mut::<T, OUT>(y, "dense output"),
        );
        matvec_t(&self.weight_t, Some(&self.bias), x, y, false);
        act.forward(y);
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{close, values};
    use super::*;
    use crate::layers::{self, Layer};

    /// The fixed twin of a batched dense layer.
    fn twin<T: Float, const IN: usize, const OUT: usize>(
        l: &layers::Dense<T, IN, OUT>,
    ) -> Dense<T, IN, OUT> {
        let mut d = Dense::ZERO;
        l.visit_params(&mut |i, _, v| {
            if i == 0 {
                super::super::set_transposed(&mut d.weight_t, v);
                let mut back = std::vec![T::ZERO; v.len()];
                super::super::get_transposed(&d.weight_t, &mut back);
                assert!(back == v, "transposing there and back is exact");
            } else {
                d.bias.copy_from_slice(v);
            }
        });
        d
    }

    #[test]
    fn matches_the_batched_layer() {
        let mut rng = crate::rng::seeded(3);
        let mut std_layer = layers::Dense::<f64, 37, 11>::new(
            true,
            Activation::Tanh,
            crate::init::Init::XavierUniform { gain: 1.0 },
            &mut rng,
        )
        .unwrap();
        std_layer.visit_params_mut(&mut |i, _, v| v.copy_from_slice(&values(v.len(), i + 5)));
        let d = twin(&std_layer);
        let x = values(37, 1);
        let mut want = [0.0; 11];
        std_layer.forward(&x, &mut want, 1, &mut Default::default());
        let mut got = [0.0; 11];
        d.forward(&x, &mut got, Activation::Tanh);
        close(&got, &want, 1e-12);
        const _Z: Dense<f32, 2, 3> = Dense::ZERO;
    }

    /// f32 runs hand-vectorised code: every level this CPU has, over widths with and
    /// without a tail, against the batched layer.
    fn check_f32<const IN: usize, const OUT: usize>() {
        let mut std_layer = layers::Dense::<f32, IN, OUT>::new(
            true,
            Activation::Identity,
            crate::init::Init::XavierUniform { gain: 1.0 },
            &mut crate::rng::seeded(4),
        )
        .unwrap();
        let as32 = |v: std::vec::Vec<f64>| {
            v.into_iter()
                .map(|x| x as f32)
                .collect::<std::vec::Vec<_>>()
        };
        std_layer.visit_params_mut(&mut |i, _, v| v.copy_from_slice(&as32(values(v.len(), i + 7))));
        let d = twin(&std_layer);
        let x = as32(values(IN, 2));
        let mut want = [0.0f32; OUT];
        std_layer.forward(&x, &mut want, 1, &mut Default::default());
        for level in crate::activation::available_levels() {
            let mut got = [0.0f32; OUT];
            crate::activation::with_level(level, || d.forward(&x, &mut got, Activation::Identity));
            for (g, w) in got.iter().zip(&want) {
                assert!(
                    (g - w).abs() <= 1e-5 * (1.0 + w.abs()),
                    "{level:?} {IN}x{OUT}: {g} vs {w}"
                );
            }
        }
    }

    #[test]
    fn f32_kernels_match_on_every_level() {
        check_f32::<3, 5>();
        check_f32::<16, 64>();
        check_f32::<37, 11>();
        check_f32::<64, 64>();
        check_f32::<100, 9>();
    }
}
