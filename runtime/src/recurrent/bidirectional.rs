//! Bidirectional recurrent layer (Schuster and Paliwal, 1997): `F` runs over the sequence forwards, `B` over the
//! reversed sequence, and each step's outputs are concatenated `[f_t | b_t]` (`b_t` is the
//! backward direction's output at input step `t`, so it has seen steps `t..T-1`), as
//! PyTorch's `bidirectional = True` lays them out. The two directions' widths may differ
//! (kiln allows it; PyTorch does not); both read the same input width.
//!
//! State: `[batch, F::STATE + B::STATE]`, each sample's forward state then its backward one.
//! The backward direction starts from its part at the last step and ends at the first; this
//! is PyTorch's `h_0[1]` / `h_n[1]`.
//!
//! Names: when `F` and `B` are the same cell type (hence the same widths, PyTorch's case), the
//! backward direction takes PyTorch's `_reverse` names (`weight_ih_l0_reverse`, ...), so
//! weights load from a bidirectional `nn.LSTM` / `nn.GRU` / `nn.RNN` directly. Otherwise the
//! directions are named `prefix.forward.*` and `prefix.backward.*`.
//!
//! Streaming: [`Recurrent::step`] runs both directions on a sequence of one step, which is all
//! a bidirectional layer can do without the future; it does not equal [`Recurrent::forward`]
//! step by step.

use core::any::TypeId;
use core::marker::PhantomData;

use super::lengths::reversed_rows;
use super::{check_shapes, Recurrent, NAMES_L0, NAMES_L0_BIDIRECTIONAL, NAMES_L0_REVERSE};
use crate::float::Float;
use crate::layers::{ensure_len, GradVisitor};
use crate::param::ParamKind;
use crate::Result;

/// `F` forwards and `B` on the reversed sequence, outputs `[f | b]` per step.
#[derive(Debug, Clone)]
pub struct Bidirectional<T, F, B> {
    /// The forward direction.
    pub fwd: F,
    /// The backward direction (runs on the reversed sequence).
    pub bwd: B,
    _t: PhantomData<T>,
}

/// Both directions' caches, the reversed input, each direction's outputs, states and
/// gradients; grown once and reused.
#[derive(Debug, Default, Clone)]
pub struct BidirectionalCache<T, FC, BC> {
    fc: FC,
    bc: BC,
    /// `[steps, batch, IN]`, time reversed.
    xr: Vec<T>,
    /// `[steps, batch, F::OUT]`.
    yf: Vec<T>,
    /// `[steps, batch, B::OUT]`, in the backward direction's (reversed) time.
    yb: Vec<T>,
    /// `[batch, F::STATE]` and `[batch, B::STATE]`.
    sf: Vec<T>,
    sb: Vec<T>,
    /// Gradients of `yf`, `yb`, and the backward direction's dL/dx (reversed time).
    dyf: Vec<T>,
    dyb: Vec<T>,
    dxb: Vec<T>,
    /// Each sequence's length (empty: all full): the backward direction reverses each
    /// sequence within its own length.
    lengths: Vec<usize>,
}

impl<T: Float, F: Recurrent<T> + 'static, B: Recurrent<T> + 'static> Bidirectional<T, F, B> {
    /// The two directions (they must read the same input width).
    pub fn new(fwd: F, bwd: B) -> Self {
        const {
            assert!(
                F::IN == B::IN,
                "both directions of a bidirectional layer read the same input width"
            )
        };
        Bidirectional {
            fwd,
            bwd,
            _t: PhantomData,
        }
    }

    /// Whether the backward direction takes PyTorch's `_reverse` names.
    fn reverse_names(&self) -> bool {
        TypeId::of::<F>() == TypeId::of::<B>()
            && !self.bwd.param_names_reverse().is_empty()
            && self.bwd.param_names_reverse().len() == self.bwd.param_names().len()
    }

    /// Reverses `x` into the cache and splits `state` into the two directions'.
    fn prepare(
        x: &[T],
        steps: usize,
        batch: usize,
        state: &[T],
        c: &mut BidirectionalCache<T, F::Cache, B::Cache>,
    ) {
        let (iw, fo, bo) = (batch * F::IN, batch * F::OUT, batch * B::OUT);
        ensure_len(&mut c.xr, steps * iw);
        ensure_len(&mut c.yf, steps * fo);
        ensure_len(&mut c.yb, steps * bo);
        ensure_len(&mut c.sf, batch * F::STATE);
        ensure_len(&mut c.sb, batch * B::STATE);
        let w = F::IN;
        for (i, r) in reversed_rows(&c.lengths, steps, batch) {
            c.xr[r * w..(r + 1) * w].copy_from_slice(&x[i * w..(i + 1) * w]);
        }
        let (fs, bs) = (F::STATE, B::STATE);
        for b in 0..batch {
            let s = &state[b * (fs + bs)..(b + 1) * (fs + bs)];
            c.sf[b * fs..(b + 1) * fs].copy_from_slice(&s[..fs]);
            c.sb[b * bs..(b + 1) * bs].copy_from_slice(&s[fs..]);
        }
    }

    /// Interleaves the outputs `[f_t | b_t]` and joins the final states.
    fn finish(
        y: &mut [T],
        steps: usize,
        batch: usize,
        state: &mut [T],
        c: &BidirectionalCache<T, F::Cache, B::Cache>,
    ) {
        let (fw, bw) = (F::OUT, B::OUT);
        for (i, r) in reversed_rows(&c.lengths, steps, batch) {
            let row = &mut y[i * (fw + bw)..(i + 1) * (fw + bw)];
            row[..fw].copy_from_slice(&c.yf[i * fw..(i + 1) * fw]);
            row[fw..].copy_from_slice(&c.yb[r * bw..(r + 1) * bw]);
        }
        let (fs, bs) = (F::STATE, B::STATE);
        for b in 0..batch {
            let s = &mut state[b * (fs + bs)..(b + 1) * (fs + bs)];
            s[..fs].copy_from_slice(&c.sf[b * fs..(b + 1) * fs]);
            s[fs..].copy_from_slice(&c.sb[b * bs..(b + 1) * bs]);
        }
    }

    fn widths() -> (usize, usize, usize) {
        (F::IN, F::OUT + B::OUT, F::STATE + B::STATE)
    }
}

impl<T: Float, F: Recurrent<T> + 'static, B: Recurrent<T> + 'static> Recurrent<T>
    for Bidirectional<T, F, B>
{
    const IN: usize = F::IN;
    const OUT: usize = F::OUT + B::OUT;
    const STATE: usize = F::STATE + B::STATE;
    type Cache = BidirectionalCache<T, F::Cache, B::Cache>;

    fn cache_bytes(c: &Self::Cache) -> usize {
        F::cache_bytes(&c.fc)
            + B::cache_bytes(&c.bc)
            + crate::layers::vec_bytes(&c.xr)
            + crate::layers::vec_bytes(&c.yf)
            + crate::layers::vec_bytes(&c.yb)
            + crate::layers::vec_bytes(&c.sf)
            + crate::layers::vec_bytes(&c.sb)
            + crate::layers::vec_bytes(&c.dyf)
            + crate::layers::vec_bytes(&c.dyb)
            + crate::layers::vec_bytes(&c.dxb)
            + crate::layers::vec_bytes(&c.lengths)
    }

    fn set_lengths(c: &mut Self::Cache, lengths: &[usize]) {
        super::lengths::store(&mut c.lengths, lengths);
        F::set_lengths(&mut c.fc, lengths);
        B::set_lengths(&mut c.bc, lengths);
    }

    /// PyTorch's eight names when both directions are the same standard cell; otherwise
    /// empty, and the tensors are named by the overridden named visitors.
    fn param_names(&self) -> &'static [&'static str] {
        if self.reverse_names()
            && self.fwd.param_names() == NAMES_L0
            && self.bwd.param_names_reverse() == NAMES_L0_REVERSE
        {
            &NAMES_L0_BIDIRECTIONAL
        } else {
            &[]
        }
    }

    fn param_count(&self) -> usize {
        self.fwd.param_count() + self.bwd.param_count()
    }

    fn zeros_like(&self) -> Self {
        Bidirectional {
            fwd: self.fwd.zeros_like(),
            bwd: self.bwd.zeros_like(),
            _t: PhantomData,
        }
    }

    fn forward(
        &self,
        x: &[T],
        y: &mut [T],
        steps: usize,
        batch: usize,
        state: &mut [T],
        c: &mut Self::Cache,
    ) {
        if let Err(e) = check_shapes(x.len(), y.len(), state.len(), steps, batch, Self::widths()) {
            panic!("{e}");
        }
        Self::prepare(x, steps, batch, state, c);
        self.fwd
            .forward(x, &mut c.yf, steps, batch, &mut c.sf, &mut c.fc);
        self.bwd
            .forward(&c.xr, &mut c.yb, steps, batch, &mut c.sb, &mut c.bc);
        Self::finish(y, steps, batch, state, c);
    }

    #[allow(clippy::too_many_arguments)]
    fn forward_train(
        &mut self,
        x: &[T],
        y: &mut [T],
        steps: usize,
        batch: usize,
        state: &mut [T],
        c: &mut Self::Cache,
        rng: &mut crate::train_ctx::TrainCtx,
    ) -> Result<()> {
        check_shapes(x.len(), y.len(), state.len(), steps, batch, Self::widths())?;
        Self::prepare(x, steps, batch, state, c);
        self.fwd
            .forward_train(x, &mut c.yf, steps, batch, &mut c.sf, &mut c.fc, rng)?;
        self.bwd
            .forward_train(&c.xr, &mut c.yb, steps, batch, &mut c.sb, &mut c.bc, rng)?;
        Self::finish(y, steps, batch, state, c);
        Ok(())
    }

    fn backward(
        &self,
        x: &[T],
        _y: &[T],
        dy: &mut [T],
        mut dx: Option<&mut [T]>,
        steps: usize,
        batch: usize,
        c: &mut Self::Cache,
        grads: &mut Self,
    ) {
        let (fw, bw, iw) = (F::OUT, B::OUT, batch * F::IN);
        ensure_len(&mut c.dyf, steps * batch * fw);
        ensure_len(&mut c.dyb, steps * batch * bw);
        for (i, r) in reversed_rows(&c.lengths, steps, batch) {
            let row = &dy[i * (fw + bw)..(i + 1) * (fw + bw)];
            c.dyf[i * fw..(i + 1) * fw].copy_from_slice(&row[..fw]);
            c.dyb[r * bw..(r + 1) * bw].copy_from_slice(&row[fw..]);
        }
        self.fwd.backward(
            x,
            &c.yf,
            &mut c.dyf,
            dx.as_deref_mut(),
            steps,
            batch,
            &mut c.fc,
            &mut grads.fwd,
        );
        let dxb = match dx {
            Some(_) => {
                ensure_len(&mut c.dxb, steps * iw);
                Some(&mut c.dxb[..])
            }
            None => None,
        };
        self.bwd.backward(
            &c.xr,
            &c.yb,
            &mut c.dyb,
            dxb,
            steps,
            batch,
            &mut c.bc,
            &mut grads.bwd,
        );
        if let Some(dx) = dx {
            let w = F::IN;
            for (i, r) in reversed_rows(&c.lengths, steps, batch) {
                let src = &c.dxb[r * w..(r + 1) * w];
                for (d, &s) in dx[i * w..(i + 1) * w].iter_mut().zip(src) {
                    *d += s;
                }
            }
        }
    }

    fn step(&self, x: &[T], y: &mut [T], batch: usize, state: &mut [T], scratch: &mut Self::Cache) {
        self.forward(x, y, 1, batch, state, scratch);
    }

    fn visit_params(&self, f: &mut dyn FnMut(usize, ParamKind, &[T])) {
        let nf = self.fwd.param_count();
        self.fwd.visit_params(f);
        self.bwd.visit_params(&mut |i, k, v| f(nf + i, k, v));
    }

    fn visit_params_mut(&mut self, f: &mut dyn FnMut(usize, ParamKind, &mut [T])) {
        let nf = self.fwd.param_count();
        self.fwd.visit_params_mut(f);
        self.bwd.visit_params_mut(&mut |i, k, v| f(nf + i, k, v));
    }

    fn visit_with_grads(&mut self, grads: &Self, f: &mut GradVisitor<'_, T>) {
        let nf = self.fwd.param_count();
        self.fwd.visit_with_grads(&grads.fwd, f);
        self.bwd
            .visit_with_grads(&grads.bwd, &mut |i, k, v, g| f(nf + i, k, v, g));
    }
}

#[cfg(test)]
mod tests {
    use super::super::reference as r;
    use super::super::testutil::*;
    use super::super::{Gru, GruForm, Lstm, Rnn};
    use super::*;
    use crate::activation::Activation;

    type BiLstm = Bidirectional<f64, Lstm<f64, 3, 4>, Lstm<f64, 3, 4>>;
    type Mixed = Bidirectional<f64, Gru<f64, 3, 4>, Rnn<f64, 3, 2>>;

    fn bilstm(seed: u64) -> BiLstm {
        let mut rng = crate::rng::seeded(seed);
        let mut l = Bidirectional::new(
            Lstm::new(1.0, &mut rng).unwrap(),
            Lstm::new(1.0, &mut rng).unwrap(),
        );
        l.visit_params_mut(&mut |_, _, v| v.iter_mut().for_each(|w| *w *= 2.0));
        l
    }

    fn mixed(seed: u64) -> Mixed {
        let mut rng = crate::rng::seeded(seed);
        let mut l = Bidirectional::new(
            Gru::new(GruForm::ResetBefore, &mut rng).unwrap(),
            Rnn::new(Activation::Tanh, &mut rng).unwrap(),
        );
        l.visit_params_mut(&mut |_, _, v| v.iter_mut().for_each(|w| *w *= 2.0));
        l
    }

    #[test]
    fn output_is_forward_then_reversed_backward() {
        let l = mixed(1);
        let (steps, batch) = (5, 2);
        let x = probe(steps * batch * 3, 4, 1.0);
        let state0 = probe(batch * 6, 2, 0.5);
        let mut y = vec![0.0; steps * batch * 6];
        let mut state = state0.clone();
        l.forward(
            &x,
            &mut y,
            steps,
            batch,
            &mut state,
            &mut Default::default(),
        );
        // Each direction alone.
        let mut yf = vec![0.0; steps * batch * 4];
        let mut sf: Vec<f64> = (0..batch)
            .flat_map(|b| state0[b * 6..b * 6 + 4].to_vec())
            .collect();
        l.fwd
            .forward(&x, &mut yf, steps, batch, &mut sf, &mut Default::default());
        let xr: Vec<f64> = (0..steps)
            .rev()
            .flat_map(|t| x[t * batch * 3..(t + 1) * batch * 3].to_vec())
            .collect();
        let mut yb = vec![0.0; steps * batch * 2];
        let mut sb: Vec<f64> = (0..batch)
            .flat_map(|b| state0[b * 6 + 4..b * 6 + 6].to_vec())
            .collect();
        l.bwd
            .forward(&xr, &mut yb, steps, batch, &mut sb, &mut Default::default());
        for t in 0..steps {
            for b in 0..batch {
                let row = &y[(t * batch + b) * 6..(t * batch + b + 1) * 6];
                assert_eq!(row[..4], yf[(t * batch + b) * 4..(t * batch + b + 1) * 4]);
                let tb = steps - 1 - t;
                assert_eq!(row[4..], yb[(tb * batch + b) * 2..(tb * batch + b + 1) * 2]);
            }
        }
        for b in 0..batch {
            assert_eq!(state[b * 6..b * 6 + 4], sf[b * 4..b * 4 + 4]);
            assert_eq!(state[b * 6 + 4..b * 6 + 6], sb[b * 2..b * 2 + 2]);
        }
    }

    #[test]
    fn bptt_matches_finite_differences() {
        let (steps, batch) = (5, 2);
        let x = probe(steps * batch * 3, 1, 1.0);
        let mut l = bilstm(3);
        for state0 in [vec![0.0; batch * 16], probe(batch * 16, 5, 0.8)] {
            let err = check_recurrent(&mut l, &x, steps, batch, &state0);
            assert!(err < 1e-7, "bidirectional LSTM: {err}");
        }
        let mut l = mixed(4);
        let err = check_recurrent(&mut l, &x, steps, batch, &probe(batch * 6, 6, 0.8));
        assert!(err < 1e-7, "GRU + RNN: {err}");
    }

    #[test]
    fn forward_equals_training_forward_and_step_is_one_step() {
        let (steps, batch) = (6, 2);
        let x = probe(steps * batch * 3, 2, 1.0);
        let mut l = bilstm(5);
        let s0 = probe(batch * 16, 3, 0.5);
        check_consistency(&mut l, &x, steps, batch, &s0, false);
        let (mut y1, mut y2) = (vec![0.0; batch * 8], vec![0.0; batch * 8]);
        let (mut s1, mut s2) = (s0.clone(), s0.clone());
        let mut c = Default::default();
        l.step(&x[..batch * 3], &mut y1, batch, &mut s1, &mut c);
        l.forward(&x[..batch * 3], &mut y2, 1, batch, &mut s2, &mut c);
        assert_eq!((y1, s1), (y2, s2));
    }

    #[test]
    fn tensors_visit_forward_then_backward() {
        type Visit<'a> = &'a mut dyn FnMut(usize, ParamKind, &[f64]);
        let lens = |f: &mut dyn FnMut(Visit)| {
            let mut v = Vec::new();
            f(&mut |i, _, t| v.push((i, t.len())));
            v
        };
        let l = bilstm(1);
        assert_eq!(l.param_names(), NAMES_L0_BIDIRECTIONAL);
        assert_eq!(l.param_count(), 8);
        let m = mixed(1);
        assert!(
            m.param_names().is_empty(),
            "different cells: named by the macro"
        );
        let all = lens(&mut |f| m.visit_params(f));
        let mut want = lens(&mut |f| m.fwd.visit_params(f));
        let nf = want.len();
        want.extend(
            lens(&mut |f| m.bwd.visit_params(f))
                .into_iter()
                .map(|(i, n)| (nf + i, n)),
        );
        assert_eq!(all, want);
    }

    #[test]
    fn matches_pytorch() {
        let mut l = BiLstm::new(Lstm::zeros(), Lstm::zeros());
        load(
            &mut l,
            &[
                ("weight_ih_l0", &r::BILSTM_WEIGHT_IH_L0),
                ("weight_hh_l0", &r::BILSTM_WEIGHT_HH_L0),
                ("bias_ih_l0", &r::BILSTM_BIAS_IH_L0),
                ("bias_hh_l0", &r::BILSTM_BIAS_HH_L0),
                ("weight_ih_l0_reverse", &r::BILSTM_WEIGHT_IH_L0_REVERSE),
                ("weight_hh_l0_reverse", &r::BILSTM_WEIGHT_HH_L0_REVERSE),
                ("bias_ih_l0_reverse", &r::BILSTM_BIAS_IH_L0_REVERSE),
                ("bias_hh_l0_reverse", &r::BILSTM_BIAS_HH_L0_REVERSE),
            ],
        );
        let (steps, batch, h) = (5, 2, 4);
        // PyTorch's states are [direction, batch, H]; ours [batch, (h | c) forward, (h | c) backward].
        let mut state = vec![0.0; batch * 16];
        for b in 0..batch {
            for d in 0..2 {
                let at = (d * batch + b) * h;
                let s = &mut state[b * 16 + d * 8..b * 16 + d * 8 + 8];
                s[..h].copy_from_slice(&r::H0_BI[at..at + h]);
                s[h..].copy_from_slice(&r::C0_BI[at..at + h]);
            }
        }
        let mut y = vec![0.0; steps * batch * 8];
        let mut cache = Default::default();
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
        assert!(max_diff(&y, &r::BILSTM_Y) < 1e-12);
        for b in 0..batch {
            for d in 0..2 {
                let at = (d * batch + b) * h;
                let s = &state[b * 16 + d * 8..b * 16 + d * 8 + 8];
                assert!(max_diff(&s[..h], &r::BILSTM_HN[at..at + h]) < 1e-12);
                assert!(max_diff(&s[h..], &r::BILSTM_CN[at..at + h]) < 1e-12);
            }
        }
        let mut dy = r::C8.to_vec();
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
        assert!(max_diff(&dx, &r::BILSTM_DX) < 1e-12);
        let want: [&[f64]; 8] = [
            &r::BILSTM_D_WEIGHT_IH_L0,
            &r::BILSTM_D_WEIGHT_HH_L0,
            &r::BILSTM_D_BIAS_IH_L0,
            &r::BILSTM_D_BIAS_HH_L0,
            &r::BILSTM_D_WEIGHT_IH_L0_REVERSE,
            &r::BILSTM_D_WEIGHT_HH_L0_REVERSE,
            &r::BILSTM_D_BIAS_IH_L0_REVERSE,
            &r::BILSTM_D_BIAS_HH_L0_REVERSE,
        ];
        g.visit_params(&mut |i, _, v| assert!(max_diff(v, want[i]) < 1e-12, "tensor {i}"));
    }
}
