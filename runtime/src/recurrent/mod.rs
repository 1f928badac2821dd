//! Recurrent layers: cells that run over whole sequences, with PyTorch's parameter
//! layout, names and gate order so that weights load from `nn.RNN`, `nn.GRU` and `nn.LSTM`
//! directly.
//!
//! - [`Rnn`]: `h' = act(W_ih x + b_ih + W_hh h + b_hh)` (`nn.RNN`, tanh or relu).
//! - [`Lstm`]: `nn.LSTM` (gates i, f, g, o; no peepholes), optional forget-gate bias offset.
//! - [`Gru`]: `nn.GRU` ([`GruForm::PyTorch`], reset gate after the recurrent product) or the
//!   original reset-before form of Cho et al., 2014 ([`GruForm::ResetBefore`]).
//! - [`Bidirectional`]: one cell forward and one on the reversed sequence, outputs `[f | b]`.
//!
//! Deep recurrent networks are stacks of these layers, built by the `network!` macro.
//!
//! Layout: sequences are time-major `[steps, batch, width]` row-major (PyTorch's default
//! `batch_first = False`), so each step's batch is one contiguous `[batch, width]` block. The
//! carried state is `[batch, STATE]` (per sample `h` for RNN/GRU, `[h | c]` for LSTM, the
//! forward direction's state then the backward one's for a bidirectional layer).
//!
//! Speed: the input projections of all steps are one GEMM (`[steps*batch, IN] x W_ih^T`), each
//! step adds `h W_hh^T` for all gates with one GEMM, gate nonlinearities run the vectorised
//! activation kernels; BPTT mirrors it (one GEMM per step for `dh`, then `dW_ih = dG^T X`,
//! `dW_hh = dG^T [h_-1 .. h_{T-2}]` and `dx = dG W_ih` as one GEMM each over all steps). All
//! buffers live in the cache, grown on first use: nothing allocates per call after warm-up.
//!
//! Sampling a long sequence into batches: with random sampling (batches cut from random
//! places, unrelated to each other) the caller zeroes `state` before every batch; with
//! consecutive sampling (each batch continuing where the previous one stopped) it carries
//! `state` from one batch to the next. Either way backward
//! drops the gradient into the initial state: truncated BPTT cuts at the batch boundary.

use crate::float::Float;
use crate::init::Init;
use crate::layers::GradVisitor;
use crate::param::ParamKind;
use crate::{KilnError, Result};

pub mod bidirectional;
pub mod gru;
pub mod lengths;
pub mod lstm;
mod one_hot;
pub mod over_steps;
pub mod over_time;
pub mod rnn;
pub mod stacked;

#[cfg(test)]
#[rustfmt::skip]
mod reference;

pub use bidirectional::Bidirectional;
pub use gru::{Gru, GruForm};
pub use lstm::Lstm;
pub use over_steps::OverSteps;
pub use over_time::{OverTime, TimeReduction};
pub use rnn::Rnn;
pub use stacked::Stacked;

/// PyTorch's names of a single-layer cell's tensors (`nn.RNN`, `nn.GRU`, `nn.LSTM`).
pub const NAMES_L0: [&str; 4] = ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"];
/// PyTorch's names of the reverse direction's tensors in a bidirectional layer.
pub const NAMES_L0_REVERSE: [&str; 4] = [
    "weight_ih_l0_reverse",
    "weight_hh_l0_reverse",
    "bias_ih_l0_reverse",
    "bias_hh_l0_reverse",
];
/// Both directions' names, forward first, as PyTorch orders a bidirectional layer's tensors.
pub const NAMES_L0_BIDIRECTIONAL: [&str; 8] = [
    "weight_ih_l0",
    "weight_hh_l0",
    "bias_ih_l0",
    "bias_hh_l0",
    "weight_ih_l0_reverse",
    "weight_hh_l0_reverse",
    "bias_ih_l0_reverse",
    "bias_hh_l0_reverse",
];

/// PyTorch's default initialiser of every recurrent tensor (weights and biases):
/// `U(-1/sqrt(H), 1/sqrt(H))` for hidden width `H`.
pub fn default_init(hidden: usize) -> Init {
    let r = 1.0 / (hidden.max(1) as f64).sqrt();
    Init::Uniform { low: -r, high: r }
}

/// A layer that runs over sequences, parallel to [`crate::Layer`].
///
/// Sequences are time-major: `[steps, batch, width]` row-major (PyTorch's default layout), so
/// each step's batch is one contiguous `[batch, width]` block.
pub trait Recurrent<T: Float>: Send + Sync + Sized {
    /// Input width per step.
    const IN: usize;
    /// Output width per step (the hidden width; both directions' summed when bidirectional).
    const OUT: usize;
    /// Carried state per sample (`H` for RNN/GRU, `2H` for LSTM `[h | c]`; both directions'
    /// for a bidirectional layer, forward first).
    const STATE: usize;
    /// Buffers kept for backward and scratch, grown on first use and then reused.
    type Cache: Default + Send + Sync;

    /// Bytes of the batch-sized buffers `cache` holds now (see `Layer::cache_bytes`).
    fn cache_bytes(_cache: &Self::Cache) -> usize {
        0
    }

    /// The length of each sequence in the next passes' batches (see [`lengths`]); empty when
    /// every sequence has all the steps. Generated code sets it before every pass.
    fn set_lengths(cache: &mut Self::Cache, lengths: &[usize]);

    /// PyTorch names of the trainable tensors in visit order (`weight_ih_l0`, `weight_hh_l0`,
    /// `bias_ih_l0`, `bias_hh_l0`). Empty for a layer that names its tensors through
    /// overridden named visitors (a bidirectional layer of two different cells).
    fn param_names(&self) -> &'static [&'static str];
    /// The names this cell takes as the reverse direction of a bidirectional layer
    /// (`weight_ih_l0_reverse`, ...); empty if it has none.
    fn param_names_reverse(&self) -> &'static [&'static str] {
        &[]
    }
    /// The same shape and configuration with every tensor zero: the gradient mirror.
    fn zeros_like(&self) -> Self;

    /// Inference over a whole sequence from `state` (`[batch, STATE]`, zeros for a fresh
    /// start), which is updated to the final state.
    ///
    /// # Panics
    /// If a slice's length disagrees with `steps` and `batch` (generated code fixes them).
    fn forward(
        &self,
        x: &[T],
        y: &mut [T],
        steps: usize,
        batch: usize,
        state: &mut [T],
        cache: &mut Self::Cache,
    );
    /// Training forward, keeping what BPTT needs; `state` as in [`Recurrent::forward`]
    /// (carried across batches for consecutive sampling, zeroed by the caller for random
    /// sampling).
    #[allow(clippy::too_many_arguments)]
    fn forward_train(
        &mut self,
        x: &[T],
        y: &mut [T],
        steps: usize,
        batch: usize,
        state: &mut [T],
        cache: &mut Self::Cache,
        rng: &mut crate::train_ctx::TrainCtx,
    ) -> Result<()>;
    /// BPTT over the last training forward: `dy` is `[steps, batch, OUT]` (overwritten),
    /// parameter gradients are written (overwritten) into `grads`, and dL/dx into `dx` when
    /// given. The gradient into the initial state is dropped: truncated BPTT cuts at the
    /// sequence boundary.
    #[allow(clippy::too_many_arguments)]
    fn backward(
        &self,
        x: &[T],
        y: &[T],
        dy: &mut [T],
        dx: Option<&mut [T]>,
        steps: usize,
        batch: usize,
        cache: &mut Self::Cache,
        grads: &mut Self,
    );
    /// One streaming step for `batch` samples (no allocation after warm-up): `state` is
    /// updated in place and `y` (`[batch, OUT]`) is this step's output.
    fn step(&self, x: &[T], y: &mut [T], batch: usize, state: &mut [T], scratch: &mut Self::Cache);

    /// Visits the trainable tensors with their index into [`Recurrent::param_names`].
    fn visit_params(&self, f: &mut dyn FnMut(usize, ParamKind, &[T]));
    /// Visits the trainable tensors mutably.
    fn visit_params_mut(&mut self, f: &mut dyn FnMut(usize, ParamKind, &mut [T]));
    /// Visits each trainable tensor with the matching tensor of `grads`.
    fn visit_with_grads(&mut self, grads: &Self, f: &mut GradVisitor<'_, T>);

    /// Number of trainable tensors.
    fn param_count(&self) -> usize {
        self.param_names().len()
    }
}

/// Checks the lengths of a sequence call's buffers.
pub(crate) fn check_shapes(
    x: usize,
    y: usize,
    state: usize,
    steps: usize,
    batch: usize,
    (inw, outw, statew): (usize, usize, usize),
) -> Result<()> {
    let checks = [
        ("recurrent input [steps, batch, IN]", steps * batch * inw, x),
        (
            "recurrent output [steps, batch, OUT]",
            steps * batch * outw,
            y,
        ),
        ("recurrent state [batch, STATE]", batch * statew, state),
    ];
    for (what, expected, actual) in checks {
        if expected != actual {
            return Err(KilnError::LengthMismatch {
                what,
                expected,
                actual,
            });
        }
    }
    Ok(())
}

/// [`check_shapes`] for the calls that cannot return an error.
///
/// # Panics
/// On a mismatch.
/// What the single cells (`Lstm`, `Gru`, `Rnn`) implement alike, inside their `Recurrent`
/// impls: the shape-checked passes around their `run`, and the visitors of their four
/// PyTorch tensors (`weight_ih`, `weight_hh`, `bias_ih`, `bias_hh`). `$state` is the carried
/// state per sample.
macro_rules! cell_common {
    // A streaming step: the cell's own batch-1 step where it has one (`$step`), else the
    // recursion for one step.
    (@step $self:ident, $step:ident, $($a:ident),*) => {
        $self.$step($($a),*)
    };
    (@step $self:ident, , $x:ident, $y:ident, $batch:ident, $state:ident, $c:ident) => {
        $self.run($x, $y, 1, $batch, $state, $c)
    };
    ($state:expr $(, $step:ident)?) => {
        fn set_lengths(cache: &mut Self::Cache, lengths: &[usize]) {
            super::lengths::store(&mut cache.lengths, lengths);
        }

        fn forward(
            &self,
            x: &[T],
            y: &mut [T],
            steps: usize,
            batch: usize,
            state: &mut [T],
            cache: &mut Self::Cache,
        ) {
            assert_shapes(x.len(), y.len(), state.len(), steps, batch, (IN, H, $state));
            self.run(x, y, steps, batch, state, cache);
        }

        #[allow(clippy::too_many_arguments)]
        fn forward_train(
            &mut self,
            x: &[T],
            y: &mut [T],
            steps: usize,
            batch: usize,
            state: &mut [T],
            cache: &mut Self::Cache,
            _rng: &mut crate::train_ctx::TrainCtx,
        ) -> Result<()> {
            check_shapes(x.len(), y.len(), state.len(), steps, batch, (IN, H, $state))?;
            self.run(x, y, steps, batch, state, cache);
            Ok(())
        }

        fn step(
            &self,
            x: &[T],
            y: &mut [T],
            batch: usize,
            state: &mut [T],
            scratch: &mut Self::Cache,
        ) {
            assert_shapes(x.len(), y.len(), state.len(), 1, batch, (IN, H, $state));
            cell_common!(@step self, $($step)?, x, y, batch, state, scratch);
        }

        fn visit_params(&self, f: &mut dyn FnMut(usize, ParamKind, &[T])) {
            f(0, ParamKind::Weight, &self.weight_ih);
            f(1, ParamKind::Weight, &self.weight_hh);
            f(2, ParamKind::Bias, &self.bias_ih);
            f(3, ParamKind::Bias, &self.bias_hh);
        }

        fn visit_params_mut(&mut self, f: &mut dyn FnMut(usize, ParamKind, &mut [T])) {
            f(0, ParamKind::Weight, &mut self.weight_ih);
            f(1, ParamKind::Weight, &mut self.weight_hh);
            f(2, ParamKind::Bias, &mut self.bias_ih);
            f(3, ParamKind::Bias, &mut self.bias_hh);
        }

        fn visit_with_grads(&mut self, grads: &Self, f: &mut GradVisitor<'_, T>) {
            f(0, ParamKind::Weight, &mut self.weight_ih, &grads.weight_ih);
            f(1, ParamKind::Weight, &mut self.weight_hh, &grads.weight_hh);
            f(2, ParamKind::Bias, &mut self.bias_ih, &grads.bias_ih);
            f(3, ParamKind::Bias, &mut self.bias_hh, &grads.bias_hh);
        }
    };
}
pub(crate) use cell_common;

pub(crate) fn assert_shapes(
    x: usize,
    y: usize,
    state: usize,
    steps: usize,
    batch: usize,
    widths: (usize, usize, usize),
) {
    if let Err(e) = check_shapes(x, y, state, steps, batch, widths) {
        panic!("{e}");
    }
}

/// Fills every row of `rows` (rows of `a.len()`) with `a + b`, or `a` alone: the biases a gate
/// block starts from before the GEMMs accumulate into it.
pub(crate) fn fill_bias_rows<T: Float>(rows: &mut [T], a: &[T], b: Option<&[T]>) {
    if a.is_empty() {
        return;
    }
    for row in rows.chunks_exact_mut(a.len()) {
        match b {
            Some(b) => {
                for ((o, &p), &q) in row.iter_mut().zip(a).zip(b) {
                    *o = p + q;
                }
            }
            None => row.copy_from_slice(a),
        }
    }
}

/// Sequences at least this long multiply by a transposed copy of `W_hh` made once per call:
/// the GEMM runs faster on `h [batch, H] x W_hh^T` stored `[H, gates]` (no transposed operand
/// to pack every step) than the copy costs.
/// Input widths from which a one-hot input is gathered rather than multiplied.
pub(crate) const GATHER_FROM_WIDTH: usize = 8;

pub(crate) const TRANSPOSE_FROM_STEPS: usize = 8;

/// Whether the per-step recurrent products use weights packed once per sequence: they run
/// on the blocked GEMM path (more than a few rows) and more than one step reuses the packing.
pub(crate) fn pack_recurrent(steps: usize, batch: usize) -> bool {
    steps >= 2 && batch > 4
}

/// The right-hand operand `op(W)` (`k x n`) of a per-step recurrent product: packed once per
/// sequence, or read in place (as stored, or transposed by strides).
pub(crate) enum StepWeights<'a, T> {
    Packed(&'a crate::gemm::PackedB<T>),
    Plain {
        w: &'a [T],
        trans: crate::gemm::Trans,
        ld: usize,
        k: usize,
        n: usize,
    },
}

impl<T: Float> StepWeights<'_, T> {
    /// `c[rows, n] += a[rows, k] op(W)` (leading dimensions `lda`, `ldc`).
    pub(crate) fn mul_add(&self, rows: usize, a: &[T], lda: usize, c: &mut [T], ldc: usize) {
        use crate::gemm::{gemm_packed_b, gemm_unchecked, Trans};
        match *self {
            StepWeights::Packed(pb) => {
                gemm_packed_b(Trans::No, rows, T::ONE, a, lda, pb, T::ONE, c, ldc)
            }
            StepWeights::Plain { w, trans, ld, k, n } => gemm_unchecked(
                Trans::No,
                trans,
                rows,
                n,
                k,
                T::ONE,
                a,
                lda,
                w,
                ld,
                T::ONE,
                c,
                ldc,
            ),
        }
    }
}

/// The recurrent weights packed as the right-hand operand of forward's and backward's
/// per-step products (see [`pack_recurrent`]).
#[derive(Debug, Clone, Default)]
pub(crate) struct PackedPair<T> {
    /// `W_hh^T`, for `G_t += h_{t-1} W_hh^T`.
    pub(crate) fwd: crate::gemm::PackedB<T>,
    /// `W_hh`, for `dh_{t-1} += dG_t W_hh`.
    pub(crate) bwd: crate::gemm::PackedB<T>,
}

/// `dst = src^T` for a row-major `[rows, cols]` `src`, by tiles (a cache-friendly copy).
pub(crate) fn transpose_into<T: Float>(src: &[T], rows: usize, cols: usize, dst: &mut Vec<T>) {
    const TILE: usize = 32;
    crate::layers::ensure_len(dst, rows * cols);
    for i0 in (0..rows).step_by(TILE) {
        let i1 = (i0 + TILE).min(rows);
        for j0 in (0..cols).step_by(TILE) {
            for j in j0..(j0 + TILE).min(cols) {
                let out = &mut dst[j * rows + i0..j * rows + i1];
                for (d, s) in out
                    .iter_mut()
                    .zip(src[i0 * cols + j..].iter().step_by(cols))
                {
                    *d = *s;
                }
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod testutil {
    //! Checks shared by the recurrent layers' tests.
    use super::Recurrent;

    /// The fixed upstream gradient `c` of the loss `L = sum(c .* y)`.
    pub fn upstream(n: usize) -> Vec<f64> {
        (0..n)
            .map(|i| ((i * 7 + 3) % 11) as f64 / 5.0 - 1.0)
            .collect()
    }

    /// Deterministic values in about `[-scale, scale]`, away from zero.
    pub fn probe(n: usize, seed: usize, scale: f64) -> Vec<f64> {
        (0..n)
            .map(|i| {
                let v = (((i + seed) * 37 + 11 + seed * 5) % 23) as f64 / 23.0 * 2.0 - 1.0;
                scale * if v.abs() < 0.05 { v + 0.1 } else { v }
            })
            .collect()
    }

    fn loss<R: Recurrent<f64>>(
        layer: &mut R,
        x: &[f64],
        steps: usize,
        batch: usize,
        state0: &[f64],
        c: &[f64],
    ) -> f64 {
        let mut y = vec![0.0; steps * batch * R::OUT];
        let mut state = state0.to_vec();
        let mut cache = R::Cache::default();
        layer
            .forward_train(
                x,
                &mut y,
                steps,
                batch,
                &mut state,
                &mut cache,
                &mut crate::train_ctx::TrainCtx::new(0),
            )
            .unwrap();
        y.iter().zip(c).map(|(a, b)| a * b).sum()
    }

    /// Central-difference gradient of `L = sum(c .* y)` w.r.t. x and every parameter, from
    /// the initial state `state0`, against the layer's BPTT. Returns the max relative error.
    /// A one-hot input `[steps, batch, width]` (gathered, not multiplied) gives the outputs
    /// and gradients of the same input with one entry nudged by 1e-300 (which must take the
    /// GEMM path), and passes the finite-difference check. Returns the worst difference.
    pub fn check_one_hot<R: Recurrent<f64> + Clone>(
        layer: &mut R,
        steps: usize,
        batch: usize,
    ) -> f64 {
        let width = R::IN;
        let mut x = vec![0.0; steps * batch * width];
        for (r, row) in x.chunks_exact_mut(width).enumerate() {
            row[(r * 5 + 3) % width] = 1.0;
        }
        let mut nudged = x.clone();
        let k = nudged.iter().position(|&v| v == 0.0).unwrap();
        nudged[k] = 1e-300;
        let run = |layer: &mut R, x: &[f64]| {
            let mut cache = R::Cache::default();
            let mut state = vec![0.0; batch * R::STATE];
            let mut y = vec![0.0; steps * batch * R::OUT];
            layer
                .forward_train(
                    x,
                    &mut y,
                    steps,
                    batch,
                    &mut state,
                    &mut cache,
                    &mut crate::train_ctx::TrainCtx::new(0),
                )
                .unwrap();
            let mut dy: Vec<f64> = (0..y.len()).map(|i| (i as f64 * 0.3).sin()).collect();
            let mut grads = layer.zeros_like();
            layer.backward(x, &y, &mut dy, None, steps, batch, &mut cache, &mut grads);
            let mut g = Vec::new();
            grads.visit_params(&mut |_, _, v| g.extend_from_slice(v));
            (y, g)
        };
        let (y1, g1) = run(layer, &x);
        let (y2, g2) = run(layer, &nudged);
        let state0 = vec![0.0; batch * R::STATE];
        max_diff(&y1, &y2)
            .max(max_diff(&g1, &g2))
            .max(check_recurrent(layer, &x, steps, batch, &state0))
    }

    pub fn check_recurrent<R: Recurrent<f64>>(
        layer: &mut R,
        x: &[f64],
        steps: usize,
        batch: usize,
        state0: &[f64],
    ) -> f64 {
        let out = steps * batch * R::OUT;
        let c = upstream(out);
        let mut y = vec![0.0; out];
        let mut state = state0.to_vec();
        let mut cache = R::Cache::default();
        layer
            .forward_train(
                x,
                &mut y,
                steps,
                batch,
                &mut state,
                &mut cache,
                &mut crate::train_ctx::TrainCtx::new(0),
            )
            .unwrap();
        let mut dy = c.clone();
        let mut dx = vec![0.0; x.len()];
        let mut grads = layer.zeros_like();
        layer.backward(
            x,
            &y,
            &mut dy,
            Some(&mut dx),
            steps,
            batch,
            &mut cache,
            &mut grads,
        );
        let h = 1e-6;
        let mut worst = 0.0f64;
        let mut cmp = |num: f64, ana: f64| {
            let err = (num - ana).abs() / num.abs().max(ana.abs()).max(1e-9);
            let err = if (num - ana).abs() < 1e-9 { 0.0 } else { err };
            worst = worst.max(err);
        };
        let mut xp = x.to_vec();
        for i in 0..x.len() {
            let orig = xp[i];
            xp[i] = orig + h;
            let lp = loss(layer, &xp, steps, batch, state0, &c);
            xp[i] = orig - h;
            let lm = loss(layer, &xp, steps, batch, state0, &c);
            xp[i] = orig;
            cmp((lp - lm) / (2.0 * h), dx[i]);
        }
        let mut analytic: Vec<Vec<f64>> = Vec::new();
        grads.visit_params(&mut |_, _, g| analytic.push(g.to_vec()));
        assert_eq!(analytic.len(), layer.param_count());
        for (p, ana) in analytic.iter().enumerate() {
            for i in 0..ana.len() {
                let bump = |layer: &mut R, delta: f64| {
                    let mut seen = 0;
                    layer.visit_params_mut(&mut |_, _, v| {
                        if seen == p {
                            v[i] += delta
                        }
                        seen += 1;
                    })
                };
                bump(layer, h);
                let lp = loss(layer, x, steps, batch, state0, &c);
                bump(layer, -2.0 * h);
                let lm = loss(layer, x, steps, batch, state0, &c);
                bump(layer, h);
                cmp((lp - lm) / (2.0 * h), ana[i]);
            }
        }
        worst
    }

    /// Max absolute difference of two slices of the same length.
    pub fn max_diff(a: &[f64], b: &[f64]) -> f64 {
        assert_eq!(a.len(), b.len());
        a.iter()
            .zip(b)
            .map(|(p, q)| (p - q).abs())
            .fold(0.0, f64::max)
    }

    /// Checks, from `state0`: inference forward equals training forward (outputs and final
    /// state); the sequence split in two with the state carried equals the whole; streaming
    /// `step` call by call equals `forward` (when `stepwise`, i.e. not bidirectional). With
    /// `steps >= TRANSPOSE_FROM_STEPS` and halves shorter, this also compares the two ways of
    /// multiplying by `W_hh`.
    pub fn check_consistency<R: Recurrent<f64>>(
        layer: &mut R,
        x: &[f64],
        steps: usize,
        batch: usize,
        state0: &[f64],
        stepwise: bool,
    ) {
        let (iw, ow) = (batch * R::IN, batch * R::OUT);
        let mut y = vec![0.0; steps * ow];
        let mut state = state0.to_vec();
        let mut cache = R::Cache::default();
        layer.forward(x, &mut y, steps, batch, &mut state, &mut cache);

        let mut y2 = vec![0.0; steps * ow];
        let mut state2 = state0.to_vec();
        layer
            .forward_train(
                x,
                &mut y2,
                steps,
                batch,
                &mut state2,
                &mut cache,
                &mut crate::train_ctx::TrainCtx::new(0),
            )
            .unwrap();
        assert!(max_diff(&y, &y2) < 1e-14 && max_diff(&state, &state2) < 1e-14);

        // Carry: the first `split` steps, then the rest from the carried state.
        let split = steps / 2;
        let mut state3 = state0.to_vec();
        let mut y3 = vec![0.0; steps * ow];
        let (ya, yb) = y3.split_at_mut(split * ow);
        layer.forward(&x[..split * iw], ya, split, batch, &mut state3, &mut cache);
        let mut c2 = R::Cache::default();
        layer.forward(
            &x[split * iw..],
            yb,
            steps - split,
            batch,
            &mut state3,
            &mut c2,
        );
        if stepwise {
            assert!(max_diff(&y, &y3) < 1e-14, "carried halves differ");
            assert!(
                max_diff(&state, &state3) < 1e-14,
                "carried final state differs"
            );
            let mut state4 = state0.to_vec();
            let mut y4 = vec![0.0; ow];
            for t in 0..steps {
                layer.step(
                    &x[t * iw..(t + 1) * iw],
                    &mut y4,
                    batch,
                    &mut state4,
                    &mut cache,
                );
                assert!(max_diff(&y4, &y[t * ow..(t + 1) * ow]) < 1e-14, "step {t}");
            }
            assert!(max_diff(&state, &state4) < 1e-14);
        }
    }

    /// Loads PyTorch tensors by name: tensor `i` of the visit is `param_names()[i]`, so the
    /// visit order is checked against PyTorch's names.
    pub fn load<R: Recurrent<f64>>(layer: &mut R, tensors: &[(&str, &[f64])]) {
        let names = layer.param_names();
        assert_eq!(names.len(), layer.param_count());
        let mut seen = 0;
        layer.visit_params_mut(&mut |i, _, v| {
            let (_, t) = tensors
                .iter()
                .find(|(n, _)| *n == names[i])
                .unwrap_or_else(|| panic!("no tensor {}", names[i]));
            v.copy_from_slice(t);
            seen += 1;
        });
        assert_eq!(seen, tensors.len());
    }
}
