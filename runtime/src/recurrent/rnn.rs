//! Elman recurrent layer (Elman, 1990), PyTorch's `nn.RNN`:
//! `h' = act(W_ih x + b_ih + W_hh h + b_hh)` (often written with one bias,
//! `H_t = phi(X_t W_xh + H_{t-1} W_hh + b_h)`, which is `b_h = b_ih + b_hh` here), with
//! `weight_ih_l0: [H, IN]`, `weight_hh_l0: [H, H]`, `bias_ih_l0`, `bias_hh_l0: [H]`.
//!
//! PyTorch offers `nonlinearity = "tanh"` (default) or `"relu"`; any [`Activation`] is
//! accepted here, and those two load from and match PyTorch.
//!
//! BPTT, per step from the last: `dz_t = act'(z_t) . (dy_t + dz_{t+1} W_hh)`, computed in
//! place in `dy`; then `dW_ih = dZ^T X`, `dW_hh = dZ^T [h_-1 .. h_{T-2}]`, `db = sum_rows dZ`
//! (both biases), `dx = dZ W_ih`, one GEMM each over all steps.

use super::lengths::{final_rows, zero_padding};
use super::{assert_shapes, cell_common, check_shapes, default_init, fill_bias_rows, Recurrent};
use super::{transpose_into, TRANSPOSE_FROM_STEPS};
use super::{NAMES_L0, NAMES_L0_REVERSE};
use crate::activation::Activation;
use crate::float::Float;
use crate::gemm::{gemm_unchecked, Trans};
use crate::init::Init;
use crate::layers::{ensure_len, sum_rows, GradVisitor};
use crate::param::ParamKind;
use crate::rng::KilnRng;
use crate::Result;

/// A simple recurrent layer from `IN` to `H` features per step.
#[derive(Debug, Clone)]
pub struct Rnn<T: Float, const IN: usize, const H: usize> {
    /// `[H, IN]` (`weight_ih_l0`).
    pub weight_ih: Box<[T]>,
    /// `[H, H]` (`weight_hh_l0`).
    pub weight_hh: Box<[T]>,
    /// `[H]` (`bias_ih_l0`).
    pub bias_ih: Box<[T]>,
    /// `[H]` (`bias_hh_l0`).
    pub bias_hh: Box<[T]>,
    /// The nonlinearity (`Activation::Tanh` or `Activation::Relu` in PyTorch).
    pub act: Activation,
}

/// What BPTT needs, and scratch for inference; buffers grow once and are reused.
#[derive(Debug, Default, Clone)]
pub struct RnnCache<T> {
    /// `[steps + 1, batch, H]`: `h_-1` (the initial state), `h_0`, ..., `h_{T-1}`.
    hs: Vec<T>,
    /// `[steps, batch, H]`: pre-activations, kept only for activations whose derivative
    /// needs them (not tanh or relu).
    z: Vec<T>,
    /// `[H, H]`: `W_hh^T`, for long sequences.
    whh_t: Vec<T>,
    /// Each sequence's length (empty: all full).
    lengths: Vec<usize>,
}

impl<T: Float, const IN: usize, const H: usize> Rnn<T, IN, H> {
    /// PyTorch's initialisation: every tensor `U(-1/sqrt(H), 1/sqrt(H))`.
    pub fn new(act: Activation, rng: &mut KilnRng) -> Result<Self> {
        Self::with_init(act, default_init(H), default_init(H), rng)
    }

    /// Weights filled by `weight_init` (fans: `IN` or `H` in, `H` out), biases by
    /// `bias_init`, in PyTorch's parameter order.
    pub fn with_init(
        act: Activation,
        weight_init: Init,
        bias_init: Init,
        rng: &mut KilnRng,
    ) -> Result<Self> {
        act.validate()?;
        let mut l = Self::zeros(act);
        weight_init.fill(&mut l.weight_ih, IN, H, rng)?;
        weight_init.fill(&mut l.weight_hh, H, H, rng)?;
        bias_init.fill(&mut l.bias_ih, H, H, rng)?;
        bias_init.fill(&mut l.bias_hh, H, H, rng)?;
        Ok(l)
    }

    /// Every tensor zero.
    pub fn zeros(act: Activation) -> Self {
        let z = |n: usize| vec![T::ZERO; n].into_boxed_slice();
        Rnn {
            weight_ih: z(H * IN),
            weight_hh: z(H * H),
            bias_ih: z(H),
            bias_hh: z(H),
            act,
        }
    }

    fn run(
        &self,
        x: &[T],
        y: &mut [T],
        steps: usize,
        batch: usize,
        state: &mut [T],
        c: &mut RnnCache<T>,
    ) {
        let (bh, n) = (batch * H, steps * batch);
        if n == 0 || H == 0 {
            return;
        }
        let keep_z = self.act.needs_input();
        ensure_len(&mut c.hs, (steps + 1) * bh);
        if keep_z {
            ensure_len(&mut c.z, n * H);
        }
        c.hs[..bh].copy_from_slice(state);
        // Every step's input projection at once, straight into h_0 .. h_{T-1}.
        let proj = &mut c.hs[bh..];
        fill_bias_rows(proj, &self.bias_ih, Some(&self.bias_hh));
        gemm_unchecked(
            Trans::No,
            Trans::Yes,
            n,
            H,
            IN,
            T::ONE,
            x,
            IN,
            &self.weight_ih,
            IN,
            T::ONE,
            proj,
            H,
        );
        let (w, tw) = if steps >= TRANSPOSE_FROM_STEPS {
            transpose_into(&self.weight_hh, H, H, &mut c.whh_t);
            (&c.whh_t[..], Trans::No)
        } else {
            (&self.weight_hh[..], Trans::Yes)
        };
        for t in 0..steps {
            let (hprev, hcur) = c.hs[t * bh..(t + 2) * bh].split_at_mut(bh);
            gemm_unchecked(
                Trans::No,
                tw,
                batch,
                H,
                H,
                T::ONE,
                hprev,
                H,
                w,
                H,
                T::ONE,
                hcur,
                H,
            );
            if keep_z {
                c.z[t * bh..(t + 1) * bh].copy_from_slice(hcur);
            }
            self.act.forward(hcur);
        }
        y.copy_from_slice(&c.hs[bh..]);
        zero_padding(y, steps, batch, H, &c.lengths);
        state.copy_from_slice(&c.hs[steps * bh..]);
        final_rows(&c.hs, batch, H, &c.lengths, state, (H, 0));
    }
}

impl<T: Float, const IN: usize, const H: usize> Recurrent<T> for Rnn<T, IN, H> {
    const IN: usize = IN;
    const OUT: usize = H;
    const STATE: usize = H;
    type Cache = RnnCache<T>;

    fn cache_bytes(c: &Self::Cache) -> usize {
        crate::layers::vec_bytes(&c.hs)
            + crate::layers::vec_bytes(&c.z)
            + crate::layers::vec_bytes(&c.whh_t)
            + crate::layers::vec_bytes(&c.lengths)
    }

    fn param_names(&self) -> &'static [&'static str] {
        &NAMES_L0
    }

    fn param_names_reverse(&self) -> &'static [&'static str] {
        &NAMES_L0_REVERSE
    }

    fn zeros_like(&self) -> Self {
        Self::zeros(self.act)
    }

    cell_common!(H);

    fn backward(
        &self,
        x: &[T],
        _y: &[T],
        dy: &mut [T],
        dx: Option<&mut [T]>,
        steps: usize,
        batch: usize,
        cache: &mut Self::Cache,
        grads: &mut Self,
    ) {
        let (bh, n) = (batch * H, steps * batch);
        if n == 0 || H == 0 {
            grads.visit_params_mut(&mut |_, _, g| g.fill(T::ZERO));
            if let Some(dx) = dx {
                dx.fill(T::ZERO);
            }
            return;
        }
        let c = cache;
        zero_padding(dy, steps, batch, H, &c.lengths);
        let keep_z = self.act.needs_input();
        for t in (0..steps).rev() {
            let (before, rest) = dy.split_at_mut(t * bh);
            let dz = &mut rest[..bh];
            let z = if keep_z {
                &c.z[t * bh..(t + 1) * bh]
            } else {
                &[]
            };
            self.act.backward(z, &c.hs[(t + 1) * bh..(t + 2) * bh], dz);
            if t > 0 {
                gemm_unchecked(
                    Trans::No,
                    Trans::No,
                    batch,
                    H,
                    H,
                    T::ONE,
                    dz,
                    H,
                    &self.weight_hh,
                    H,
                    T::ONE,
                    &mut before[(t - 1) * bh..],
                    H,
                );
            }
        }
        let dz = &dy[..n * H];
        gemm_unchecked(
            Trans::Yes,
            Trans::No,
            H,
            IN,
            n,
            T::ONE,
            dz,
            H,
            x,
            IN,
            T::ZERO,
            &mut grads.weight_ih,
            IN,
        );
        gemm_unchecked(
            Trans::Yes,
            Trans::No,
            H,
            H,
            n,
            T::ONE,
            dz,
            H,
            &c.hs[..n * H],
            H,
            T::ZERO,
            &mut grads.weight_hh,
            H,
        );
        sum_rows(dz, H, &mut grads.bias_ih);
        grads.bias_hh.copy_from_slice(&grads.bias_ih);
        if let Some(dx) = dx {
            gemm_unchecked(
                Trans::No,
                Trans::No,
                n,
                IN,
                H,
                T::ONE,
                dz,
                H,
                &self.weight_ih,
                IN,
                T::ZERO,
                dx,
                IN,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::reference as r;
    use super::super::testutil::*;
    use super::*;

    const ACTS: [Activation; 3] = [Activation::Tanh, Activation::Relu, Activation::Softplus];

    #[test]
    fn one_step_matches_hand_computation() {
        // IN = 2, H = 2, batch 1.
        let mut l = Rnn::<f64, 2, 2>::zeros(Activation::Tanh);
        l.weight_ih.copy_from_slice(&[0.5, -1.0, 0.25, 0.75]);
        l.weight_hh.copy_from_slice(&[0.1, 0.2, -0.3, 0.4]);
        l.bias_ih.copy_from_slice(&[0.05, -0.05]);
        l.bias_hh.copy_from_slice(&[0.0, 0.1]);
        let (x, h0) = ([1.0, 2.0], [0.5, -0.5]);
        // z = W_ih x + b_ih + W_hh h + b_hh
        let z0 = 0.5 - 2.0 + 0.05 + (0.05 - 0.1);
        let z1 = 0.25 + 1.5 - 0.05 + (-0.15 - 0.2) + 0.1;
        let mut state = h0;
        let mut y = [0.0; 2];
        l.step(&x, &mut y, 1, &mut state, &mut RnnCache::default());
        assert!((y[0] - z0.tanh()).abs() < 1e-15 && (y[1] - z1.tanh()).abs() < 1e-15);
        assert_eq!(state, y);
        l.act = Activation::Relu;
        let mut state = h0;
        l.step(&x, &mut y, 1, &mut state, &mut RnnCache::default());
        assert!(y[0] == 0.0 && (y[1] - z1).abs() < 1e-15, "{y:?}");
    }

    #[test]
    fn bptt_matches_finite_differences() {
        for act in ACTS {
            let mut l =
                Rnn::<f64, 3, 4>::new(act, &mut crate::train_ctx::TrainCtx::new(21)).unwrap();
            l.visit_params_mut(&mut |_, _, v| v.iter_mut().for_each(|w| *w *= 2.0));
            let (steps, batch) = (6, 2);
            let x = probe(steps * batch * 3, 1, 1.0);
            for state0 in [vec![0.0; 2 * 4], probe(2 * 4, 5, 0.8)] {
                let err = check_recurrent(&mut l, &x, steps, batch, &state0);
                assert!(err < 1e-7, "{act:?}: {err}");
            }
        }
    }

    #[test]
    fn forward_step_and_carry_agree() {
        for act in ACTS {
            let mut l =
                Rnn::<f64, 3, 4>::new(act, &mut crate::train_ctx::TrainCtx::new(22)).unwrap();
            let (steps, batch) = (9, 2);
            let x = probe(steps * batch * 3, 2, 1.0);
            check_consistency(&mut l, &x, steps, batch, &probe(2 * 4, 3, 0.5), true);
        }
    }

    #[allow(clippy::type_complexity)]
    #[test]
    fn matches_pytorch() {
        let cases: [(Activation, [&[f64]; 4], &[f64], &[f64], &[f64], [&[f64]; 4]); 2] = [
            (
                Activation::Tanh,
                [
                    &r::RNN_TANH_WEIGHT_IH_L0,
                    &r::RNN_TANH_WEIGHT_HH_L0,
                    &r::RNN_TANH_BIAS_IH_L0,
                    &r::RNN_TANH_BIAS_HH_L0,
                ],
                &r::RNN_TANH_Y,
                &r::RNN_TANH_HN,
                &r::RNN_TANH_DX,
                [
                    &r::RNN_TANH_D_WEIGHT_IH_L0,
                    &r::RNN_TANH_D_WEIGHT_HH_L0,
                    &r::RNN_TANH_D_BIAS_IH_L0,
                    &r::RNN_TANH_D_BIAS_HH_L0,
                ],
            ),
            (
                Activation::Relu,
                [
                    &r::RNN_RELU_WEIGHT_IH_L0,
                    &r::RNN_RELU_WEIGHT_HH_L0,
                    &r::RNN_RELU_BIAS_IH_L0,
                    &r::RNN_RELU_BIAS_HH_L0,
                ],
                &r::RNN_RELU_Y,
                &r::RNN_RELU_HN,
                &r::RNN_RELU_DX,
                [
                    &r::RNN_RELU_D_WEIGHT_IH_L0,
                    &r::RNN_RELU_D_WEIGHT_HH_L0,
                    &r::RNN_RELU_D_BIAS_IH_L0,
                    &r::RNN_RELU_D_BIAS_HH_L0,
                ],
            ),
        ];
        for (act, w, want_y, want_hn, want_dx, want_g) in cases {
            let mut l = Rnn::<f64, 3, 4>::zeros(act);
            let named: Vec<(&str, &[f64])> = NAMES_L0.iter().copied().zip(w).collect();
            load(&mut l, &named);
            let (steps, batch) = (5, 2);
            let mut state = r::H0.to_vec();
            let mut y = vec![0.0; steps * batch * 4];
            let mut cache = RnnCache::default();
            l.forward_train(
                &r::X,
                &mut y,
                steps,
                batch,
                &mut state,
                &mut cache,
                &mut crate::train_ctx::TrainCtx::new(0),
            )
            .unwrap();
            assert!(max_diff(&y, want_y) < 1e-12, "{act:?}");
            assert!(max_diff(&state, want_hn) < 1e-12);
            let mut dy = r::C4.to_vec();
            let mut dx = vec![0.0; r::X.len()];
            let mut g = l.zeros_like();
            l.backward(
                &r::X,
                &y,
                &mut dy,
                Some(&mut dx),
                steps,
                batch,
                &mut cache,
                &mut g,
            );
            assert!(max_diff(&dx, want_dx) < 1e-12, "{act:?}");
            let mut k = 0;
            g.visit_params(&mut |_, _, v| {
                assert!(max_diff(v, want_g[k]) < 1e-12, "{act:?} tensor {k}");
                k += 1;
            });
        }
    }
}
