//! Fully connected layer, batch 1: `y = act(W x + b)`. The weight is stored transposed
//! (`weight_t: [IN][OUT]`, PyTorch's `weight` is `[OUT][IN]`) so the product runs along
//! contiguous rows with no reductions; `set_transposed`/`get_transposed` convert.

use super::gate_math::{sigmoid_inline, tanh_inline};
use super::{accumulate, arr, arr_mut, dispatch, matvec_t};
use crate::activation::{map_inline, relu::Relu, Activation};
use crate::float::Float;

/// A dense layer's tensors (a layer declared without bias keeps a zero bias).
///
/// The embedded form needs no heap: sizes are const generics and the tensors inline arrays,
/// so a whole network can be a `static`.
///
/// ```
/// use kiln_runtime::activation::Activation;
/// use kiln_runtime::fixed::{set_transposed, Dense};
///
/// // PyTorch's `weight` is [OUT][IN]; the embedded form stores its transpose.
/// let mut layer = Dense::<f32, 3, 2>::ZERO;
/// set_transposed(&mut layer.weight_t, &[1.0, 0.0, -1.0, 0.5, 0.5, 0.5]);
/// layer.bias = [0.0, -1.0];
/// let mut y = [0.0; 2];
/// layer.forward(&[2.0, 4.0, 1.0], &mut y, Activation::Relu);
/// assert_eq!(y, [1.0, 2.5]);
/// ```
#[derive(Clone, Debug)]
pub struct Dense<T, const IN: usize, const OUT: usize> {
    /// `W^T`: `weight_t[i][o]` is PyTorch's `weight[o][i]`.
    pub weight_t: [[T; OUT]; IN],
    /// Added to each output before the activation (zero for a layer declared without bias).
    pub bias: [T; OUT],
}

/// Activations [`dense_act`] applies in registers, as its `ACT` parameter.
const IDENTITY: usize = 0;
const TANH: usize = 1;
const SIGMOID: usize = 2;
const RELU: usize = 3;

impl<T: Float, const IN: usize, const OUT: usize> Dense<T, IN, OUT> {
    /// All zeros.
    pub const ZERO: Self = Dense {
        weight_t: [[T::ZERO; OUT]; IN],
        bias: [T::ZERO; OUT],
    };

    /// `y = act(W x + b)`; `x` has `IN` values, `y` `OUT`. Identity, tanh, sigmoid and ReLU
    /// are applied to the sums still in registers; other activations in a second pass.
    #[inline]
    pub fn forward(&self, x: &[T], y: &mut [T], act: Activation) {
        let (x, y) = (
            arr::<T, IN>(x, "dense input"),
            arr_mut::<T, OUT>(y, "dense output"),
        );
        let (wt, b) = (&self.weight_t, &self.bias);
        match act {
            Activation::Identity => dense_act::<T, IN, OUT, IDENTITY>(wt, b, x, y),
            Activation::Tanh => dense_act::<T, IN, OUT, TANH>(wt, b, x, y),
            Activation::Sigmoid => dense_act::<T, IN, OUT, SIGMOID>(wt, b, x, y),
            Activation::Relu => dense_act::<T, IN, OUT, RELU>(wt, b, x, y),
            _ => {
                matvec_t(wt, Some(b), x, y, false);
                act.forward(y);
            }
        }
    }
}

/// `y = f(W x + b)` for vectors of `V` bytes, `f` (named by `ACT`) applied before the sums
/// leave registers.
#[inline(always)]
fn dense_act_kernel<
    T: Float,
    const IN: usize,
    const OUT: usize,
    const ACT: usize,
    const V: usize,
    const FMA: bool,
>(
    wt: &[[T; OUT]; IN],
    b: &[T; OUT],
    x: &[T; IN],
    y: &mut [T; OUT],
) {
    let mut acc = *b;
    accumulate::<T, IN, OUT, V, FMA>(wt, x, &mut acc);
    match ACT {
        TANH => tanh_inline::<T, FMA>(&mut acc),
        SIGMOID => sigmoid_inline::<T, FMA>(&mut acc),
        RELU => map_inline(&Relu, &mut acc),
        _ => {}
    }
    *y = acc;
}

dispatch! {
    /// `y = f(W x + b)` in one pass, weights transposed.
    fn dense_act = dense_act_kernel<T: Float; const IN, const OUT, const ACT>(
        wt: &[[T; OUT]; IN],
        b: &[T; OUT],
        x: &[T; IN],
        y: &mut [T; OUT],
    )
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

    /// Every level this CPU has, over widths with and without a tail and each activation
    /// (fused or not), against the batched layer, in f32 and f64.
    fn check<const IN: usize, const OUT: usize>() {
        for act in [
            Activation::Identity,
            Activation::Tanh,
            Activation::Sigmoid,
            Activation::Relu,
            Activation::Gelu,
        ] {
            let mut std_layer = layers::Dense::<f64, IN, OUT>::new(
                true,
                act,
                crate::init::Init::XavierUniform { gain: 1.0 },
                &mut crate::rng::seeded(4),
            )
            .unwrap();
            std_layer.visit_params_mut(&mut |i, _, v| v.copy_from_slice(&values(v.len(), i + 7)));
            let d = twin(&std_layer);
            let d32 = Dense::<f32, IN, OUT> {
                weight_t: d.weight_t.map(|r| r.map(|w| w as f32)),
                bias: d.bias.map(|w| w as f32),
            };
            let x = values(IN, 2);
            let x32: std::vec::Vec<f32> = x.iter().map(|&v| v as f32).collect();
            let mut want = [0.0; OUT];
            std_layer.forward(&x, &mut want, 1, &mut Default::default());
            for level in crate::activation::available_levels() {
                let mut got = [0.0; OUT];
                crate::activation::with_level(level, || d.forward(&x, &mut got, act));
                close(&got, &want, 1e-12);
                let mut got = [0.0f32; OUT];
                crate::activation::with_level(level, || d32.forward(&x32, &mut got, act));
                for (g, w) in got.iter().zip(&want) {
                    assert!(
                        (*g as f64 - w).abs() <= 1e-5 * (1.0 + w.abs()),
                        "{level:?} {act:?} {IN}x{OUT}: {g} vs {w}"
                    );
                }
            }
        }
    }

    #[test]
    fn kernels_match_on_every_level() {
        check::<1, 1>();
        check::<3, 5>();
        check::<16, 64>();
        check::<37, 11>();
        check::<64, 64>();
        check::<64, 8>();
        check::<100, 9>();
        check::<32, 1>();
        check::<7, 33>();
    }
}
