//! Long short-term memory (Hochreiter and Schmidhuber, 1997; forget gate of Gers et al., 2000),
//! PyTorch's `nn.LSTM` (no peepholes, no projection):
//!
//! ```text
//! i = sig(W_ii x + b_ii + W_hi h + b_hi)      f = sig(W_if x + b_if + W_hf h + b_hf)
//! g = tanh(W_ig x + b_ig + W_hg h + b_hg)     o = sig(W_io x + b_io + W_ho h + b_ho)
//! c' = f . c + i . g                          h' = o . tanh(c')
//! ```
//!
//! The gates are stacked in PyTorch's order i, f, g, o: `weight_ih_l0: [4H, IN]`,
//! `weight_hh_l0: [4H, H]`, `bias_ih_l0`, `bias_hh_l0: [4H]`. The carried state per sample is
//! `[h | c]` (`2H`).
//!
//! BPTT, per step from the last: `dh_t = dy_t + (dG_{t+1} W_hh)`, `dc_t = dh_t . o . (1 -
//! tanh^2 c_t) + dc_{t+1} . f_{t+1}`, then the pre-activation gradients
//! `dG = [dc . g . i(1-i), dc . c_{t-1} . f(1-f), dc . i . (1-g^2), dh . tanh c . o(1-o)]`;
//! after the loop `dW_ih = dG^T X`, `dW_hh = dG^T [h_-1 .. h_{T-2}]`, `db = sum_rows dG`
//! (both biases) and `dx = dG W_ih`, one GEMM each.

use super::lengths::{final_rows, zero_padding};
use super::one_hot::OneHot;
use super::{assert_shapes, cell_common, check_shapes, default_init, fill_bias_rows, Recurrent};
use super::{pack_recurrent, transpose_into, PackedPair, StepWeights, TRANSPOSE_FROM_STEPS};
use super::{NAMES_L0, NAMES_L0_REVERSE};
use crate::activation::Activation;
use crate::float::Float;
use crate::gemm::{gemm_unchecked, matvec_rows, Trans};
use crate::init::Init;
use crate::layers::{ensure_len, sum_rows, GradVisitor};
use crate::param::ParamKind;
use crate::rng::KilnRng;
use crate::Result;

/// An LSTM layer from `IN` to `H` features per step (`nn.LSTM(IN, H)`).
#[derive(Debug, Clone)]
pub struct Lstm<T: Float, const IN: usize, const H: usize> {
    /// `[4H, IN]`, gates i, f, g, o stacked (`weight_ih_l0`).
    pub weight_ih: Box<[T]>,
    /// `[4H, H]` (`weight_hh_l0`).
    pub weight_hh: Box<[T]>,
    /// `[4H]` (`bias_ih_l0`).
    pub bias_ih: Box<[T]>,
    /// `[4H]` (`bias_hh_l0`).
    pub bias_hh: Box<[T]>,
}

/// What BPTT needs, and scratch for inference: every buffer grows once to the largest
/// `steps * batch` seen and is then reused.
#[derive(Debug, Default, Clone)]
pub struct LstmCache<T> {
    /// `[steps, batch, 4H]`: projected pre-activations, then the gate values i, f, g, o.
    gates: Vec<T>,
    /// `[steps + 1, batch, H]`: `h_-1` (the initial state), `h_0`, ..., `h_{T-1}`.
    hs: Vec<T>,
    /// `[steps + 1, batch, H]`: `c_-1`, `c_0`, ..., `c_{T-1}`.
    cs: Vec<T>,
    /// `[steps, batch, H]`: `tanh(c_t)`.
    tcs: Vec<T>,
    /// `[steps, batch, 4H]`: gradients of the gate pre-activations.
    dg: Vec<T>,
    /// `[batch, H]`: dL/dc carried backwards through time.
    dc: Vec<T>,
    /// Each sequence's length (empty: all full).
    lengths: Vec<usize>,
    /// `[H, 4H]`: `W_hh^T`, for long sequences.
    whh_t: Vec<T>,
    /// The ids of a one-hot input, for the gathered input projection.
    one_hot: OneHot<T>,
    /// `W_hh^T` and `W_hh` packed for the per-step products of forward and backward.
    packed: PackedPair<T>,
}

impl<T: Float, const IN: usize, const H: usize> Lstm<T, IN, H> {
    /// PyTorch's initialisation (every tensor `U(-1/sqrt(H), 1/sqrt(H))`), then
    /// `forget_bias` added to the forget gate's slice of `bias_ih` (0 for PyTorch's exact
    /// default; 1 or 2 keep the memory open early in training, as recommended by Jozefowicz
    /// et al., 2015).
    pub fn new(forget_bias: f64, rng: &mut KilnRng) -> Result<Self> {
        Self::with_init(default_init(H), default_init(H), forget_bias, rng)
    }

    /// Weights filled by `weight_init` (fans: `IN` or `H` in, `4H` out), biases by
    /// `bias_init`, then `forget_bias` added to the forget slice of `bias_ih`. Tensors are
    /// drawn in PyTorch's parameter order.
    pub fn with_init(
        weight_init: Init,
        bias_init: Init,
        forget_bias: f64,
        rng: &mut KilnRng,
    ) -> Result<Self> {
        crate::error::check_hyper("LSTM forget-gate bias", forget_bias, true, "must be finite")?;
        let mut l = Self::zeros();
        weight_init.fill(&mut l.weight_ih, IN, 4 * H, rng)?;
        weight_init.fill(&mut l.weight_hh, H, 4 * H, rng)?;
        bias_init.fill(&mut l.bias_ih, H, 4 * H, rng)?;
        bias_init.fill(&mut l.bias_hh, H, 4 * H, rng)?;
        for b in &mut l.bias_ih[H..2 * H] {
            *b += T::from_f64(forget_bias);
        }
        Ok(l)
    }

    /// Every tensor zero.
    pub fn zeros() -> Self {
        let z = |n: usize| vec![T::ZERO; n].into_boxed_slice();
        Lstm {
            weight_ih: z(4 * H * IN),
            weight_hh: z(4 * H * H),
            bias_ih: z(4 * H),
            bias_hh: z(4 * H),
        }
    }

    /// One streaming step of `batch` samples; one sample takes [`Self::step_one`].
    fn stream_step(
        &self,
        x: &[T],
        y: &mut [T],
        batch: usize,
        state: &mut [T],
        c: &mut LstmCache<T>,
    ) {
        if batch == 1 && IN > 0 && H > 0 && c.lengths.is_empty() {
            self.step_one(x, y, state, c);
        } else {
            self.run(x, y, 1, batch, state, c);
        }
    }

    /// One step of one sample: the gates as dot products over the weights' rows (no GEMM
    /// set-up, no per-step buffers), then the cell as in [`Self::run`].
    fn step_one(&self, x: &[T], y: &mut [T], state: &mut [T], c: &mut LstmCache<T>) {
        let x = <&[T; IN]>::try_from(&x[..IN]).expect("one sample of IN values");
        ensure_len(&mut c.gates, 4 * H);
        // [4H]: i, f, g, o.
        let g = &mut c.gates[..4 * H];
        for ((g, &a), &b) in g.iter_mut().zip(&self.bias_ih[..]).zip(&self.bias_hh[..]) {
            *g = a + b;
        }
        matvec_rows(self.weight_ih.as_chunks::<IN>().0, x, g);
        let (h, cell) = state.split_at_mut(H);
        let hprev = <&[T; H]>::try_from(&*h).expect("state holds h then c");
        matvec_rows(self.weight_hh.as_chunks::<H>().0, hprev, g);
        Activation::Sigmoid.forward(&mut g[..2 * H]);
        Activation::Tanh.forward(&mut g[2 * H..3 * H]);
        Activation::Sigmoid.forward(&mut g[3 * H..]);
        let (i, rest) = g.split_at(H);
        let (f, rest) = rest.split_at(H);
        let (gg, o) = rest.split_at(H);
        // c = f . c + i . g, h = o . tanh(c), as `cell_update` and `hidden_update`.
        for j in 0..H {
            cell[j] = f[j] * cell[j] + i[j] * gg[j];
        }
        y.copy_from_slice(cell);
        Activation::Tanh.forward(y);
        for j in 0..H {
            y[j] = o[j] * y[j];
        }
        h.copy_from_slice(y);
    }

    /// The forward recursion, keeping every step's gates and states in `c`.
    fn run(
        &self,
        x: &[T],
        y: &mut [T],
        steps: usize,
        batch: usize,
        state: &mut [T],
        c: &mut LstmCache<T>,
    ) {
        let (g4, bh, n) = (4 * H, batch * H, steps * batch);
        if n == 0 || H == 0 {
            return;
        }
        ensure_len(&mut c.gates, n * g4);
        ensure_len(&mut c.hs, (steps + 1) * bh);
        ensure_len(&mut c.cs, (steps + 1) * bh);
        ensure_len(&mut c.tcs, n * H);
        for (b, s) in state.chunks_exact(2 * H).enumerate() {
            c.hs[b * H..(b + 1) * H].copy_from_slice(&s[..H]);
            c.cs[b * H..(b + 1) * H].copy_from_slice(&s[H..]);
        }
        // Every step's input projection at once: G = (b_ih + b_hh) + X W_ih^T.
        fill_bias_rows(&mut c.gates, &self.bias_ih, Some(&self.bias_hh));
        c.one_hot
            .project_inputs(x, &self.weight_ih, n, IN, g4, &mut c.gates);
        let packed = pack_recurrent(steps, batch);
        let w = if packed {
            c.packed.fwd.pack(Trans::Yes, H, g4, &self.weight_hh, H);
            StepWeights::Packed(&c.packed.fwd)
        } else if steps >= TRANSPOSE_FROM_STEPS {
            transpose_into(&self.weight_hh, g4, H, &mut c.whh_t);
            StepWeights::Plain {
                w: &c.whh_t,
                trans: Trans::No,
                ld: g4,
                k: H,
                n: g4,
            }
        } else {
            StepWeights::Plain {
                w: &self.weight_hh,
                trans: Trans::Yes,
                ld: H,
                k: H,
                n: g4,
            }
        };
        for t in 0..steps {
            let g = &mut c.gates[t * batch * g4..(t + 1) * batch * g4];
            let (hprev, hcur) = c.hs[t * bh..(t + 2) * bh].split_at_mut(bh);
            // All four gates' recurrent terms in one GEMM: G_t += h_{t-1} W_hh^T.
            w.mul_add(batch, hprev, H, g, g4);
            for row in g.chunks_exact_mut(g4) {
                Activation::Sigmoid.forward(&mut row[..2 * H]);
                Activation::Tanh.forward(&mut row[2 * H..3 * H]);
                Activation::Sigmoid.forward(&mut row[3 * H..]);
            }
            let (cprev, ccur) = c.cs[t * bh..(t + 2) * bh].split_at_mut(bh);
            cell_update(g, cprev, ccur, H);
            let tc = &mut c.tcs[t * bh..(t + 1) * bh];
            tc.copy_from_slice(ccur);
            Activation::Tanh.forward(tc);
            hidden_update(g, tc, hcur, H);
        }
        y.copy_from_slice(&c.hs[bh..]);
        zero_padding(y, steps, batch, H, &c.lengths);
        let (hl, cl) = (&c.hs[steps * bh..], &c.cs[steps * bh..]);
        for ((s, h), cc) in state
            .chunks_exact_mut(2 * H)
            .zip(hl.chunks_exact(H))
            .zip(cl.chunks_exact(H))
        {
            s[..H].copy_from_slice(h);
            s[H..].copy_from_slice(cc);
        }
        final_rows(&c.hs, batch, H, &c.lengths, state, (2 * H, 0));
        final_rows(&c.cs, batch, H, &c.lengths, state, (2 * H, H));
    }
}

crate::activation::multiversion! {
    /// `c_t = f . c_{t-1} + i . g` for every row (`gates` rows of `4h`: i, f, g, o).
    fn cell_update<T: Float>(gates: &[T], cprev: &[T], c: &mut [T], h: usize) {
        for ((row, cp), cc) in gates
            .chunks_exact(4 * h)
            .zip(cprev.chunks_exact(h))
            .zip(c.chunks_exact_mut(h))
        {
            let (i, f, gg) = (&row[..h], &row[h..2 * h], &row[2 * h..3 * h]);
            for j in 0..h {
                cc[j] = f[j] * cp[j] + i[j] * gg[j];
            }
        }
    }
}

crate::activation::multiversion! {
    /// `h_t = o . tanh(c_t)` for every row, from `tc = tanh(c_t)`.
    fn hidden_update<T: Float>(gates: &[T], tc: &[T], hs: &mut [T], h: usize) {
        for ((row, tcr), hr) in gates
            .chunks_exact(4 * h)
            .zip(tc.chunks_exact(h))
            .zip(hs.chunks_exact_mut(h))
        {
            let o = &row[3 * h..];
            for j in 0..h {
                hr[j] = o[j] * tcr[j];
            }
        }
    }
}

crate::activation::multiversion! {
    /// One step of BPTT through the cell, for every row of the batch: from dL/dh (`dh`) and
    /// the carried dL/dc (`dc`, updated to the previous step's), the gradients of the four
    /// gates' pre-activations (`dg`, rows of `4h`: i, f, g, o).
    fn gate_grads<T: Float>(
        gates: &[T],
        dh: &[T],
        cprev: &[T],
        tc: &[T],
        dc: &mut [T],
        dg: &mut [T],
        h: usize,
    ) {
        let rows = gates
            .chunks_exact(4 * h)
            .zip(dg.chunks_exact_mut(4 * h))
            .zip(dh.chunks_exact(h))
            .zip(dc.chunks_exact_mut(h))
            .zip(cprev.chunks_exact(h).zip(tc.chunks_exact(h)));
        for ((((row, drow), dhb), dcb), (cpb, tcb)) in rows {
            let (i, f, gg, o) = (&row[..h], &row[h..2 * h], &row[2 * h..3 * h], &row[3 * h..]);
            let (di, rest) = drow.split_at_mut(h);
            let (df, rest) = rest.split_at_mut(h);
            let (dgg, d_o) = rest.split_at_mut(h);
            for j in 0..h {
                let (d, tcv) = (dhb[j], tcb[j]);
                let dcv = dcb[j] + d * o[j] * (T::ONE - tcv * tcv);
                dcb[j] = dcv * f[j];
                di[j] = dcv * gg[j] * i[j] * (T::ONE - i[j]);
                df[j] = dcv * cpb[j] * f[j] * (T::ONE - f[j]);
                dgg[j] = dcv * i[j] * (T::ONE - gg[j] * gg[j]);
                d_o[j] = d * tcv * o[j] * (T::ONE - o[j]);
            }
        }
    }
}

impl<T: Float, const IN: usize, const H: usize> Recurrent<T> for Lstm<T, IN, H> {
    const IN: usize = IN;
    const OUT: usize = H;
    const STATE: usize = 2 * H;
    type Cache = LstmCache<T>;

    fn cache_bytes(c: &Self::Cache) -> usize {
        crate::layers::vec_bytes(&c.gates)
            + crate::layers::vec_bytes(&c.hs)
            + crate::layers::vec_bytes(&c.cs)
            + crate::layers::vec_bytes(&c.tcs)
            + crate::layers::vec_bytes(&c.dg)
            + crate::layers::vec_bytes(&c.dc)
            + crate::layers::vec_bytes(&c.lengths)
            + crate::layers::vec_bytes(&c.whh_t)
    }

    fn param_names(&self) -> &'static [&'static str] {
        &NAMES_L0
    }

    fn param_names_reverse(&self) -> &'static [&'static str] {
        &NAMES_L0_REVERSE
    }

    fn zeros_like(&self) -> Self {
        Self::zeros()
    }

    cell_common!(2 * H, stream_step);

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
        let (g4, bh, n) = (4 * H, batch * H, steps * batch);
        if n == 0 || H == 0 {
            grads.visit_params_mut(&mut |_, _, g| g.fill(T::ZERO));
            if let Some(dx) = dx {
                dx.fill(T::ZERO);
            }
            return;
        }
        let c = cache;
        zero_padding(dy, steps, batch, H, &c.lengths);
        ensure_len(&mut c.dg, n * g4);
        ensure_len(&mut c.dc, bh);
        c.dc.fill(T::ZERO);
        let w = if pack_recurrent(steps, batch) {
            c.packed.bwd.pack(Trans::No, g4, H, &self.weight_hh, H);
            StepWeights::Packed(&c.packed.bwd)
        } else {
            StepWeights::Plain {
                w: &self.weight_hh,
                trans: Trans::No,
                ld: H,
                k: g4,
                n: H,
            }
        };
        for t in (0..steps).rev() {
            let (before, rest) = dy.split_at_mut(t * bh);
            let dh = &rest[..bh];
            let g = &c.gates[t * batch * g4..(t + 1) * batch * g4];
            let dg = &mut c.dg[t * batch * g4..(t + 1) * batch * g4];
            let cprev = &c.cs[t * bh..(t + 1) * bh];
            let tc = &c.tcs[t * bh..(t + 1) * bh];
            gate_grads(g, dh, cprev, tc, &mut c.dc[..bh], dg, H);
            if t > 0 {
                // dh_{t-1} += dG_t W_hh, straight into dy_{t-1}.
                w.mul_add(batch, dg, g4, &mut before[(t - 1) * bh..], H);
            }
        }
        let dg = &c.dg[..n * g4];
        // dW_ih = dG^T X, dW_hh = dG^T [h_-1 .. h_{T-2}]: one GEMM each over all steps
        // (a scatter-add for a one-hot X).
        c.one_hot
            .weight_grad_of(x, dg, n, IN, g4, &mut grads.weight_ih);
        gemm_unchecked(
            Trans::Yes,
            Trans::No,
            g4,
            H,
            n,
            T::ONE,
            dg,
            g4,
            &c.hs[..n * H],
            H,
            T::ZERO,
            &mut grads.weight_hh,
            H,
        );
        sum_rows(dg, g4, &mut grads.bias_ih);
        grads.bias_hh.copy_from_slice(&grads.bias_ih);
        if let Some(dx) = dx {
            gemm_unchecked(
                Trans::No,
                Trans::No,
                n,
                IN,
                g4,
                T::ONE,
                dg,
                g4,
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

    fn sig(v: f64) -> f64 {
        1.0 / (1.0 + (-v).exp())
    }

    #[test]
    fn one_step_matches_hand_computation() {
        // IN = 1, H = 1: gates i, f, g, o.
        let mut l = Lstm::<f64, 1, 1>::zeros();
        l.weight_ih.copy_from_slice(&[0.5, -0.5, 1.0, 0.25]);
        l.weight_hh.copy_from_slice(&[0.1, 0.2, 0.3, 0.4]);
        l.bias_ih.copy_from_slice(&[0.0, 1.0, 0.0, 0.0]);
        l.bias_hh.copy_from_slice(&[0.05, 0.0, -0.1, 0.0]);
        let (x, h0, c0) = (2.0, 0.5, -0.3);
        let i = sig(0.5 * x + 0.1 * h0 + 0.05);
        let f = sig(-0.5 * x + 0.2 * h0 + 1.0);
        let g = (1.0 * x + 0.3 * h0 - 0.1).tanh();
        let o = sig(0.25 * x + 0.4 * h0);
        let c1 = f * c0 + i * g;
        let h1 = o * c1.tanh();
        let mut state = [h0, c0];
        let mut y = [0.0];
        l.step(&[x], &mut y, 1, &mut state, &mut LstmCache::default());
        assert!((y[0] - h1).abs() < 1e-15 && (state[0] - h1).abs() < 1e-15);
        assert!((state[1] - c1).abs() < 1e-15);
    }

    fn probe_lstm() -> Lstm<f64, 3, 4> {
        let mut l = Lstm::<f64, 3, 4>::new(1.0, &mut crate::train_ctx::TrainCtx::new(7)).unwrap();
        // Larger weights than the default make the gates far from linear.
        l.visit_params_mut(&mut |_, _, v| v.iter_mut().for_each(|w| *w *= 2.0));
        l
    }

    #[test]
    fn forget_bias_is_added_to_bias_ih() {
        let a = Lstm::<f64, 3, 4>::new(0.0, &mut crate::train_ctx::TrainCtx::new(3)).unwrap();
        let b = Lstm::<f64, 3, 4>::new(2.0, &mut crate::train_ctx::TrainCtx::new(3)).unwrap();
        for k in 0..16 {
            let want = if (4..8).contains(&k) { 2.0 } else { 0.0 };
            assert!((b.bias_ih[k] - a.bias_ih[k] - want).abs() < 1e-15);
        }
        assert_eq!(a.bias_hh, b.bias_hh);
        let r = 0.5;
        assert!(a.weight_hh.iter().all(|w| w.abs() <= r) && a.bias_hh.iter().any(|&b| b != 0.0));
        assert!(Lstm::<f64, 3, 4>::new(f64::NAN, &mut crate::train_ctx::TrainCtx::new(3)).is_err());
    }

    #[test]
    fn bptt_matches_finite_differences() {
        let mut l = probe_lstm();
        // Batch 6 takes the packed-weights path of the per-step products.
        for (steps, batch) in [(6, 2), (5, 6)] {
            let x = probe(steps * batch * 3, 1, 1.0);
            for state0 in [vec![0.0; batch * 8], probe(batch * 8, 5, 0.8)] {
                let err = check_recurrent(&mut l, &x, steps, batch, &state0);
                assert!(err < 1e-7, "batch {batch}: {err}");
            }
        }
    }

    #[test]
    fn one_hot_input_is_gathered_exactly() {
        let mut l = Lstm::<f64, 9, 4>::new(0.5, &mut crate::train_ctx::TrainCtx::new(4)).unwrap();
        let err = check_one_hot(&mut l, 4, 6);
        assert!(err < 1e-7, "{err}");
    }

    #[test]
    fn forward_step_and_carry_agree() {
        let mut l = probe_lstm();
        // Batch 1 steps through `step_one`, the others through the recursion.
        for (steps, batch) in [(9, 1), (9, 2), (9, 6)] {
            let x = probe(steps * batch * 3, 2, 1.0);
            check_consistency(&mut l, &x, steps, batch, &probe(batch * 8, 3, 0.5), true);
        }
    }

    #[test]
    fn shapes_are_checked() {
        let mut l = Lstm::<f64, 3, 4>::zeros();
        let mut y = vec![0.0; 2 * 2 * 4];
        let mut s = vec![0.0; 2 * 4]; // should be 2 * 8
        let r = l.forward_train(
            &[0.0; 12],
            &mut y,
            2,
            2,
            &mut s,
            &mut LstmCache::default(),
            &mut crate::train_ctx::TrainCtx::new(0),
        );
        assert!(r.is_err());
    }

    #[test]
    fn matches_pytorch() {
        let mut l = Lstm::<f64, 3, 4>::zeros();
        load(
            &mut l,
            &[
                ("weight_ih_l0", &r::LSTM_WEIGHT_IH_L0),
                ("weight_hh_l0", &r::LSTM_WEIGHT_HH_L0),
                ("bias_ih_l0", &r::LSTM_BIAS_IH_L0),
                ("bias_hh_l0", &r::LSTM_BIAS_HH_L0),
            ],
        );
        let (steps, batch) = (5, 2);
        let mut state = vec![0.0; batch * 8];
        for b in 0..batch {
            state[b * 8..b * 8 + 4].copy_from_slice(&r::H0[b * 4..(b + 1) * 4]);
            state[b * 8 + 4..b * 8 + 8].copy_from_slice(&r::C0[b * 4..(b + 1) * 4]);
        }
        let mut y = vec![0.0; steps * batch * 4];
        let mut cache = LstmCache::default();
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
        assert!(max_diff(&y, &r::LSTM_Y) < 1e-12);
        for b in 0..batch {
            assert!(max_diff(&state[b * 8..b * 8 + 4], &r::LSTM_HN[b * 4..b * 4 + 4]) < 1e-12);
            assert!(max_diff(&state[b * 8 + 4..b * 8 + 8], &r::LSTM_CN[b * 4..b * 4 + 4]) < 1e-12);
        }
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
        assert!(max_diff(&dx, &r::LSTM_DX) < 1e-12);
        assert!(max_diff(&g.weight_ih, &r::LSTM_D_WEIGHT_IH_L0) < 1e-12);
        assert!(max_diff(&g.weight_hh, &r::LSTM_D_WEIGHT_HH_L0) < 1e-12);
        assert!(max_diff(&g.bias_ih, &r::LSTM_D_BIAS_IH_L0) < 1e-12);
        assert!(max_diff(&g.bias_hh, &r::LSTM_D_BIAS_HH_L0) < 1e-12);
    }

    /// `cargo test --release -p kiln-runtime lstm_timing -- --ignored --nocapture`
    #[test]
    #[ignore]
    fn lstm_timing() {
        fn time<const IN: usize>() {
            const H: usize = 256;
            let (steps, batch) = (32, 32);
            let mut l =
                Lstm::<f32, IN, H>::new(1.0, &mut crate::train_ctx::TrainCtx::new(1)).unwrap();
            let x: Vec<f32> = (0..steps * batch * IN)
                .map(|i| ((i * 7 % 13) as f32 - 6.0) / 6.0)
                .collect();
            let mut y = vec![0.0f32; steps * batch * H];
            let mut dy = vec![0.0f32; steps * batch * H];
            let mut dx = vec![0.0f32; steps * batch * IN];
            let mut state = vec![0.0f32; batch * 2 * H];
            let mut cache = LstmCache::default();
            let mut g = l.zeros_like();
            let (mut tf, mut tb) = (0.0, 0.0);
            for it in 0..23 {
                state.fill(0.0);
                let t0 = std::time::Instant::now();
                l.forward_train(
                    &x,
                    &mut y,
                    steps,
                    batch,
                    &mut state,
                    &mut cache,
                    &mut crate::train_ctx::TrainCtx::new(0),
                )
                .unwrap();
                let t1 = std::time::Instant::now();
                dy.copy_from_slice(&y);
                let t2 = std::time::Instant::now();
                l.backward(
                    &x,
                    &y,
                    &mut dy,
                    Some(&mut dx),
                    steps,
                    batch,
                    &mut cache,
                    &mut g,
                );
                let t3 = std::time::Instant::now();
                if it >= 3 {
                    tf += (t1 - t0).as_secs_f64() / 20.0;
                    tb += (t3 - t2).as_secs_f64() / 20.0;
                }
            }
            println!(
                "LSTM f32 IN={IN} H={H} batch={batch} seq={steps}: forward {:.2} ms + backward {:.2} ms = {:.2} ms",
                tf * 1e3,
                tb * 1e3,
                (tf + tb) * 1e3
            );
        }
        time::<256>();
        time::<64>();
    }
}
