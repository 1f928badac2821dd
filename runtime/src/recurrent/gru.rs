//! Gated recurrent unit in two forms with the same tensors (PyTorch's `nn.GRU` layout: gates
//! r, z, n stacked in `weight_ih_l0: [3H, IN]`, `weight_hh_l0: [3H, H]`, `bias_ih_l0`,
//! `bias_hh_l0: [3H]`), differing only in where the reset gate acts:
//!
//! ```text
//! r = sig(W_ir x + b_ir + W_hr h + b_hr)      z = sig(W_iz x + b_iz + W_hz h + b_hz)
//! GruForm::PyTorch:      n = tanh(W_in x + b_in + r . (W_hn h + b_hn))     (nn.GRU)
//! GruForm::ResetBefore:  n = tanh(W_in x + b_in + W_hn (r . h) + b_hn)     (Cho et al., 2014)
//! h' = (1 - z) . n + z . h                                                  (both)
//! ```
//!
//! The reset-before form (the original GRU of Cho et al., 2014, "Learning Phrase
//! Representations using RNN Encoder-Decoder for Statistical Machine Translation") applies the
//! reset gate to the hidden state before the recurrent product, so it needs a second GEMM per
//! step (`(r . h) W_hn^T` after `r` is known); PyTorch's reset-after form computes all three
//! gates' recurrent terms in one. A single candidate bias `b_h`, as often written for the
//! reset-before form, is `b_in + b_hn` here.
//!
//! BPTT, per step from the last (`dh` complete from the later steps):
//! `dn = dh . (1 - z)`, `dz = dh . (h - n)`, `da_n = dn . (1 - n^2)`, `da_z = dz . z(1 - z)`,
//! `da_r = dr . r(1 - r)` with `dr = da_n . (W_hn h + b_hn)` (PyTorch) or
//! `dr = (da_n W_hn) . h` (reset before); `dh_{t-1} = dh . z + dG_h W_hh`
//! (+ `(da_n W_hn) . r` in the reset-before form).

use super::lengths::{final_rows, zero_padding};
use super::one_hot::OneHot;
use super::{assert_shapes, cell_common, check_shapes, default_init, fill_bias_rows, Recurrent};
use super::{pack_recurrent, transpose_into, PackedPair, StepWeights, TRANSPOSE_FROM_STEPS};
use super::{NAMES_L0, NAMES_L0_REVERSE};
use crate::activation::Activation;
use crate::float::Float;
use crate::gemm::{gemm_unchecked, Trans};
use crate::init::Init;
use crate::layers::{ensure_len, sum_rows, GradVisitor};
use crate::param::ParamKind;
use crate::rng::KilnRng;
use crate::Result;

/// Where the GRU's reset gate acts (see the module documentation). Both forms have the same
/// tensors; they compute different functions of them.
///
/// ```
/// use kiln_runtime::recurrent::{Gru, GruForm, Recurrent};
///
/// // PyTorch's form is the default, so `nn.GRU` weights load unchanged.
/// assert_eq!(GruForm::default(), GruForm::PyTorch);
///
/// // One step of a 1 -> 1 GRU whose weights are all zero: every gate is sigmoid(0) = 1/2 and
/// // the candidate is tanh(0) = 0, so h' = (1 - z) n + z h = h / 2 in either form.
/// let gru = Gru::<f64, 1, 1>::zeros(GruForm::ResetBefore);
/// let (mut y, mut h) = ([0.0], [0.8]);
/// gru.step(&[1.0], &mut y, 1, &mut h, &mut Default::default());
/// assert!((y[0] - 0.4).abs() < 1e-15);
/// assert_eq!(h, y);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GruForm {
    /// The reset-after form of PyTorch's `torch.nn.GRU`:
    /// `n = tanh(W_in x + b_in + r . (W_hn h + b_hn))`, the reset gate scaling the recurrent
    /// product. Weights load from PyTorch and give its outputs.
    #[default]
    PyTorch,
    /// The reset-before form, the original GRU of Cho et al. (2014):
    /// `n = tanh(W_in x + b_in + W_hn (r . h) + b_hn)`, the reset gate applied to the hidden
    /// state before the recurrent product. Same tensors as [`GruForm::PyTorch`], but PyTorch
    /// has no module computing it; about one more matrix product per step.
    ResetBefore,
}

impl GruForm {
    /// The old name of [`GruForm::ResetBefore`].
    #[deprecated(note = "renamed to GruForm::ResetBefore")]
    #[allow(non_upper_case_globals)]
    pub const Notes: GruForm = GruForm::ResetBefore;
}

/// A GRU layer from `IN` to `H` features per step.
#[derive(Debug, Clone)]
pub struct Gru<T: Float, const IN: usize, const H: usize> {
    /// `[3H, IN]`, gates r, z, n stacked (`weight_ih_l0`).
    pub weight_ih: Box<[T]>,
    /// `[3H, H]` (`weight_hh_l0`).
    pub weight_hh: Box<[T]>,
    /// `[3H]` (`bias_ih_l0`).
    pub bias_ih: Box<[T]>,
    /// `[3H]` (`bias_hh_l0`).
    pub bias_hh: Box<[T]>,
    /// Where the reset gate acts.
    pub form: GruForm,
}

/// What BPTT needs, and scratch for inference; buffers grow once and are reused.
#[derive(Debug, Default, Clone)]
pub struct GruCache<T> {
    /// `[steps, batch, 3H]`: input projections `X W_ih^T + b_ih`, then the gates r, z, n.
    gi: Vec<T>,
    /// `[steps, batch, 3H]`: recurrent terms `b_hh + h W_hh^T` (`(r . h) W_hn^T` for n when
    /// the reset gate acts before the product).
    gh: Vec<T>,
    /// `[steps + 1, batch, H]`: `h_-1` (the initial state), `h_0`, ..., `h_{T-1}`.
    hs: Vec<T>,
    /// `[steps, batch, H]`: `r . h_{t-1}` (reset-before form only).
    rh: Vec<T>,
    /// `[steps, batch, 3H]`: gradients of the input-side pre-activations.
    dgi: Vec<T>,
    /// `[steps, batch, 3H]`: gradients of the recurrent terms.
    dgh: Vec<T>,
    /// `[batch, H]`: `d(r . h) = da_n W_hn` of one step (reset-before form only).
    drh: Vec<T>,
    /// `[H, 3H]`: `W_hh^T`, for long sequences.
    whh_t: Vec<T>,
    /// The ids of a one-hot input, for the gathered input projection.
    one_hot: OneHot<T>,
    /// `W_hh^T` and `W_hh` packed for the per-step products (PyTorch form).
    packed: PackedPair<T>,
    /// Each sequence's length (empty: all full).
    lengths: Vec<usize>,
}

impl<T: Float, const IN: usize, const H: usize> Gru<T, IN, H> {
    /// PyTorch's initialisation: every tensor `U(-1/sqrt(H), 1/sqrt(H))`.
    pub fn new(form: GruForm, rng: &mut KilnRng) -> Result<Self> {
        Self::with_init(form, default_init(H), default_init(H), rng)
    }

    /// Weights filled by `weight_init` (fans: `IN` or `H` in, `3H` out), biases by
    /// `bias_init`, in PyTorch's parameter order.
    pub fn with_init(
        form: GruForm,
        weight_init: Init,
        bias_init: Init,
        rng: &mut KilnRng,
    ) -> Result<Self> {
        let mut l = Self::zeros(form);
        weight_init.fill(&mut l.weight_ih, IN, 3 * H, rng)?;
        weight_init.fill(&mut l.weight_hh, H, 3 * H, rng)?;
        bias_init.fill(&mut l.bias_ih, H, 3 * H, rng)?;
        bias_init.fill(&mut l.bias_hh, H, 3 * H, rng)?;
        Ok(l)
    }

    /// Every tensor zero.
    pub fn zeros(form: GruForm) -> Self {
        let z = |n: usize| vec![T::ZERO; n].into_boxed_slice();
        Gru {
            weight_ih: z(3 * H * IN),
            weight_hh: z(3 * H * H),
            bias_ih: z(3 * H),
            bias_hh: z(3 * H),
            form,
        }
    }

    fn run(
        &self,
        x: &[T],
        y: &mut [T],
        steps: usize,
        batch: usize,
        state: &mut [T],
        c: &mut GruCache<T>,
    ) {
        let (g3, bh, n) = (3 * H, batch * H, steps * batch);
        if n == 0 || H == 0 {
            return;
        }
        let reset_before = self.form == GruForm::ResetBefore;
        ensure_len(&mut c.gi, n * g3);
        ensure_len(&mut c.gh, n * g3);
        ensure_len(&mut c.hs, (steps + 1) * bh);
        if reset_before {
            ensure_len(&mut c.rh, n * H);
        }
        c.hs[..bh].copy_from_slice(state);
        fill_bias_rows(&mut c.gi, &self.bias_ih, None);
        fill_bias_rows(&mut c.gh, &self.bias_hh, None);
        c.one_hot
            .project_inputs(x, &self.weight_ih, n, IN, g3, &mut c.gi);
        // The recurrent weights of the gates from r (and from n) as a GEMM operand
        // `(matrix, transposed, leading dimension)`: W_hh^T read by strides, or a transposed
        // copy for long sequences.
        // PyTorch form only: the reset-before form multiplies two column ranges of W_hh^T per
        // step.
        let packed = !reset_before && pack_recurrent(steps, batch);
        if packed {
            c.packed.fwd.pack(Trans::Yes, H, g3, &self.weight_hh, H);
        }
        let ((w_all, w_n), tw, ldw) = if steps >= TRANSPOSE_FROM_STEPS && !packed {
            transpose_into(&self.weight_hh, g3, H, &mut c.whh_t);
            ((&c.whh_t[..], &c.whh_t[2 * H..]), Trans::No, g3)
        } else {
            let w = &self.weight_hh[..];
            ((w, &w[2 * H * H..]), Trans::Yes, H)
        };
        // PyTorch: all three gates' recurrent terms; reset before: r and z only.
        let w = if packed {
            StepWeights::Packed(&c.packed.fwd)
        } else {
            let n = if reset_before { 2 * H } else { g3 };
            StepWeights::Plain {
                w: w_all,
                trans: tw,
                ld: ldw,
                k: H,
                n,
            }
        };
        for t in 0..steps {
            let gi = &mut c.gi[t * batch * g3..(t + 1) * batch * g3];
            let gh = &mut c.gh[t * batch * g3..(t + 1) * batch * g3];
            let (hprev, hcur) = c.hs[t * bh..(t + 2) * bh].split_at_mut(bh);
            w.mul_add(batch, hprev, H, gh, g3);
            for (a, b) in gi.chunks_exact_mut(g3).zip(gh.chunks_exact(g3)) {
                for j in 0..2 * H {
                    a[j] += b[j];
                }
                Activation::Sigmoid.forward(&mut a[..2 * H]);
            }
            if reset_before {
                let rh = &mut c.rh[t * bh..(t + 1) * bh];
                for ((o, a), hp) in rh
                    .chunks_exact_mut(H)
                    .zip(gi.chunks_exact(g3))
                    .zip(hprev.chunks_exact(H))
                {
                    for j in 0..H {
                        o[j] = a[j] * hp[j];
                    }
                }
                gemm_unchecked(
                    Trans::No,
                    tw,
                    batch,
                    H,
                    H,
                    T::ONE,
                    rh,
                    H,
                    w_n,
                    ldw,
                    T::ONE,
                    &mut gh[2 * H..],
                    g3,
                );
            }
            for (a, b) in gi.chunks_exact_mut(g3).zip(gh.chunks_exact(g3)) {
                if reset_before {
                    for j in 0..H {
                        a[2 * H + j] += b[2 * H + j];
                    }
                } else {
                    for j in 0..H {
                        a[2 * H + j] += a[j] * b[2 * H + j];
                    }
                }
                Activation::Tanh.forward(&mut a[2 * H..]);
            }
            for ((a, hp), h) in gi
                .chunks_exact(g3)
                .zip(hprev.chunks_exact(H))
                .zip(hcur.chunks_exact_mut(H))
            {
                for j in 0..H {
                    let (z, nn) = (a[H + j], a[2 * H + j]);
                    h[j] = nn + z * (hp[j] - nn);
                }
            }
        }
        y.copy_from_slice(&c.hs[bh..]);
        zero_padding(y, steps, batch, H, &c.lengths);
        state.copy_from_slice(&c.hs[steps * bh..]);
        final_rows(&c.hs, batch, H, &c.lengths, state, (H, 0));
    }
}

impl<T: Float, const IN: usize, const H: usize> Recurrent<T> for Gru<T, IN, H> {
    const IN: usize = IN;
    const OUT: usize = H;
    const STATE: usize = H;
    type Cache = GruCache<T>;

    fn cache_bytes(c: &Self::Cache) -> usize {
        crate::layers::vec_bytes(&c.gi)
            + crate::layers::vec_bytes(&c.gh)
            + crate::layers::vec_bytes(&c.hs)
            + crate::layers::vec_bytes(&c.rh)
            + crate::layers::vec_bytes(&c.dgi)
            + crate::layers::vec_bytes(&c.dgh)
            + crate::layers::vec_bytes(&c.drh)
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
        Self::zeros(self.form)
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
        let (g3, bh, n) = (3 * H, batch * H, steps * batch);
        if n == 0 || H == 0 {
            grads.visit_params_mut(&mut |_, _, g| g.fill(T::ZERO));
            if let Some(dx) = dx {
                dx.fill(T::ZERO);
            }
            return;
        }
        let reset_before = self.form == GruForm::ResetBefore;
        let c = cache;
        zero_padding(dy, steps, batch, H, &c.lengths);
        ensure_len(&mut c.dgi, n * g3);
        ensure_len(&mut c.dgh, n * g3);
        if reset_before {
            ensure_len(&mut c.drh, bh);
        }
        let (w_rz, w_n) = self.weight_hh.split_at(2 * H * H);
        // dh_{t-1} += dG_t W_hh over the gates that read h (r and z only when the reset acts
        // before the product).
        let w = if !reset_before && pack_recurrent(steps, batch) {
            c.packed.bwd.pack(Trans::No, g3, H, &self.weight_hh, H);
            StepWeights::Packed(&c.packed.bwd)
        } else {
            let (k, w) = if reset_before {
                (2 * H, w_rz)
            } else {
                (g3, &self.weight_hh[..])
            };
            StepWeights::Plain {
                w,
                trans: Trans::No,
                ld: H,
                k,
                n: H,
            }
        };
        for t in (0..steps).rev() {
            let (before, rest) = dy.split_at_mut(t * bh);
            let dh = &rest[..bh];
            let span = t * batch * g3..(t + 1) * batch * g3;
            let (gi, gh) = (&c.gi[span.clone()], &c.gh[span.clone()]);
            let (dgi, dgh) = (&mut c.dgi[span.clone()], &mut c.dgh[span]);
            let hprev = &c.hs[t * bh..(t + 1) * bh];
            for b in 0..batch {
                let (a, hh) = (&gi[b * g3..(b + 1) * g3], &gh[b * g3..(b + 1) * g3]);
                let (di, dr) = (
                    &mut dgi[b * g3..(b + 1) * g3],
                    &mut dgh[b * g3..(b + 1) * g3],
                );
                let (dhb, hp) = (&dh[b * H..(b + 1) * H], &hprev[b * H..(b + 1) * H]);
                for j in 0..H {
                    let (r, z, nn) = (a[j], a[H + j], a[2 * H + j]);
                    let dan = dhb[j] * (T::ONE - z) * (T::ONE - nn * nn);
                    let daz = dhb[j] * (hp[j] - nn) * z * (T::ONE - z);
                    di[H + j] = daz;
                    dr[H + j] = daz;
                    di[2 * H + j] = dan;
                    if reset_before {
                        dr[2 * H + j] = dan;
                    } else {
                        let dar = dan * hh[2 * H + j] * r * (T::ONE - r);
                        di[j] = dar;
                        dr[j] = dar;
                        dr[2 * H + j] = dan * r;
                    }
                }
            }
            if reset_before {
                // d(r . h) = da_n W_hn, then the reset gate's share.
                let drh = &mut c.drh[..];
                gemm_unchecked(
                    Trans::No,
                    Trans::No,
                    batch,
                    H,
                    H,
                    T::ONE,
                    &dgh[2 * H..],
                    g3,
                    w_n,
                    H,
                    T::ZERO,
                    drh,
                    H,
                );
                for b in 0..batch {
                    let a = &gi[b * g3..(b + 1) * g3];
                    let (di, dr) = (
                        &mut dgi[b * g3..(b + 1) * g3],
                        &mut dgh[b * g3..(b + 1) * g3],
                    );
                    let (d, hp) = (&drh[b * H..(b + 1) * H], &hprev[b * H..(b + 1) * H]);
                    for j in 0..H {
                        let r = a[j];
                        let dar = d[j] * hp[j] * r * (T::ONE - r);
                        di[j] = dar;
                        dr[j] = dar;
                    }
                }
            }
            if t > 0 {
                let prev = &mut before[(t - 1) * bh..];
                for b in 0..batch {
                    let a = &gi[b * g3..(b + 1) * g3];
                    let p = &mut prev[b * H..(b + 1) * H];
                    let dhb = &dh[b * H..(b + 1) * H];
                    for j in 0..H {
                        p[j] += dhb[j] * a[H + j];
                    }
                    if reset_before {
                        let d = &c.drh[b * H..(b + 1) * H];
                        for j in 0..H {
                            p[j] += d[j] * a[j];
                        }
                    }
                }
                w.mul_add(batch, dgh, g3, prev, H);
            }
        }
        let (dgi, dgh) = (&c.dgi[..n * g3], &c.dgh[..n * g3]);
        c.one_hot
            .weight_grad_of(x, dgi, n, IN, g3, &mut grads.weight_ih);
        let hs = &c.hs[..n * H];
        if reset_before {
            let (gw_rz, gw_n) = grads.weight_hh.split_at_mut(2 * H * H);
            gemm_unchecked(
                Trans::Yes,
                Trans::No,
                2 * H,
                H,
                n,
                T::ONE,
                dgh,
                g3,
                hs,
                H,
                T::ZERO,
                gw_rz,
                H,
            );
            gemm_unchecked(
                Trans::Yes,
                Trans::No,
                H,
                H,
                n,
                T::ONE,
                &dgh[2 * H..],
                g3,
                &c.rh[..n * H],
                H,
                T::ZERO,
                gw_n,
                H,
            );
        } else {
            gemm_unchecked(
                Trans::Yes,
                Trans::No,
                g3,
                H,
                n,
                T::ONE,
                dgh,
                g3,
                hs,
                H,
                T::ZERO,
                &mut grads.weight_hh,
                H,
            );
        }
        sum_rows(dgi, g3, &mut grads.bias_ih);
        sum_rows(dgh, g3, &mut grads.bias_hh);
        if let Some(dx) = dx {
            gemm_unchecked(
                Trans::No,
                Trans::No,
                n,
                IN,
                g3,
                T::ONE,
                dgi,
                g3,
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
    #[allow(deprecated)]
    fn old_name_notes_is_reset_before() {
        assert_eq!(GruForm::Notes, GruForm::ResetBefore);
        // Still usable in a pattern, since the enum derives `PartialEq` and `Eq`.
        assert!(matches!(GruForm::ResetBefore, GruForm::Notes));
    }

    #[test]
    fn one_step_matches_hand_computation() {
        // IN = 1, H = 1: gates r, z, n; b_hn != 0 tells the forms apart.
        for form in [GruForm::PyTorch, GruForm::ResetBefore] {
            let mut l = Gru::<f64, 1, 1>::zeros(form);
            l.weight_ih.copy_from_slice(&[0.5, -0.5, 1.0]);
            l.weight_hh.copy_from_slice(&[0.3, 0.2, -0.7]);
            l.bias_ih.copy_from_slice(&[0.1, 0.0, -0.2]);
            l.bias_hh.copy_from_slice(&[0.0, 0.3, 0.4]);
            let (x, h0) = (1.5, -0.6);
            let r = sig(0.5 * x + 0.1 + 0.3 * h0);
            let z = sig(-0.5 * x + 0.2 * h0 + 0.3);
            let n = match form {
                GruForm::PyTorch => (1.0 * x - 0.2 + r * (-0.7 * h0 + 0.4)).tanh(),
                GruForm::ResetBefore => (1.0 * x - 0.2 + -0.7 * (r * h0) + 0.4).tanh(),
            };
            let h1 = (1.0 - z) * n + z * h0;
            let mut state = [h0];
            let mut y = [0.0];
            l.step(&[x], &mut y, 1, &mut state, &mut GruCache::default());
            assert!((y[0] - h1).abs() < 1e-15 && state[0] == y[0], "{form:?}");
        }
    }

    #[test]
    fn bptt_matches_finite_differences() {
        for form in [GruForm::PyTorch, GruForm::ResetBefore] {
            let mut l =
                Gru::<f64, 3, 4>::new(form, &mut crate::train_ctx::TrainCtx::new(11)).unwrap();
            l.visit_params_mut(&mut |_, _, v| v.iter_mut().for_each(|w| *w *= 2.0));
            // Batch 6 takes the packed-weights path of the per-step products.
            for (steps, batch) in [(6, 2), (5, 6)] {
                let x = probe(steps * batch * 3, 1, 1.0);
                for state0 in [vec![0.0; batch * 4], probe(batch * 4, 5, 0.8)] {
                    let err = check_recurrent(&mut l, &x, steps, batch, &state0);
                    // Batch 6 sums more terms into each weight gradient: the central
                    // differences are noisier (4e-7 with or without packed weights).
                    let tol = if batch > 4 { 1e-6 } else { 1e-7 };
                    assert!(err < tol, "{form:?} batch {batch}: {err}");
                }
            }
        }
    }

    #[test]
    fn one_hot_input_is_gathered_exactly() {
        for form in [GruForm::PyTorch, GruForm::ResetBefore] {
            let mut l =
                Gru::<f64, 9, 4>::new(form, &mut crate::train_ctx::TrainCtx::new(5)).unwrap();
            let err = check_one_hot(&mut l, 4, 6);
            assert!(err < 1e-6, "{form:?}: {err}");
        }
    }

    #[test]
    fn forward_step_and_carry_agree() {
        for form in [GruForm::PyTorch, GruForm::ResetBefore] {
            let mut l =
                Gru::<f64, 3, 4>::new(form, &mut crate::train_ctx::TrainCtx::new(12)).unwrap();
            for (steps, batch) in [(9, 2), (9, 6)] {
                let x = probe(steps * batch * 3, 2, 1.0);
                check_consistency(&mut l, &x, steps, batch, &probe(batch * 4, 3, 0.5), true);
            }
        }
    }

    #[test]
    fn pytorch_form_matches_pytorch() {
        let mut l = Gru::<f64, 3, 4>::zeros(GruForm::PyTorch);
        load(
            &mut l,
            &[
                ("weight_ih_l0", &r::GRU_WEIGHT_IH_L0),
                ("weight_hh_l0", &r::GRU_WEIGHT_HH_L0),
                ("bias_ih_l0", &r::GRU_BIAS_IH_L0),
                ("bias_hh_l0", &r::GRU_BIAS_HH_L0),
            ],
        );
        let (steps, batch) = (5, 2);
        let mut state = r::H0.to_vec();
        let mut y = vec![0.0; steps * batch * 4];
        let mut cache = GruCache::default();
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
        assert!(max_diff(&y, &r::GRU_Y) < 1e-12);
        assert!(max_diff(&state, &r::GRU_HN) < 1e-12);
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
        assert!(max_diff(&dx, &r::GRU_DX) < 1e-12);
        assert!(max_diff(&g.weight_ih, &r::GRU_D_WEIGHT_IH_L0) < 1e-12);
        assert!(max_diff(&g.weight_hh, &r::GRU_D_WEIGHT_HH_L0) < 1e-12);
        assert!(max_diff(&g.bias_ih, &r::GRU_D_BIAS_IH_L0) < 1e-12);
        assert!(max_diff(&g.bias_hh, &r::GRU_D_BIAS_HH_L0) < 1e-12);
        // The reset-before form is a different function on the same weights.
        let reset_before = Gru {
            form: GruForm::ResetBefore,
            ..l.clone()
        };
        let mut state = r::H0.to_vec();
        let mut y2 = vec![0.0; y.len()];
        reset_before.forward(&r::X, &mut y2, steps, batch, &mut state, &mut cache);
        assert!(max_diff(&y, &y2) > 1e-3);
    }
}
