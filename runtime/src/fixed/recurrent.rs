//! Recurrent cells, one step of one sequence, with PyTorch's tensors (`weight_ih_l0: [G, IN]`,
//! `weight_hh_l0: [G, H]`, two biases `[G]`; `G` is 4H for an LSTM, 3H for a GRU) and the two
//! weights stored transposed (`weight_ih_t: [IN][G]`, `weight_hh_t: [H][G]`) so every gate
//! product runs along contiguous rows. The state lives in a `*State` value the caller keeps
//! between steps (zero to start a sequence).

use super::gate_math::{sigmoid_inline, tanh_inline, Gate};
use super::{accumulate, arr, dispatch, matvec_t};
use crate::activation::{cast, cast_mut, Activation};
use crate::float::Float;

/// `out = W_ih x + b_ih + W_hh h + b_hh` (weights transposed): the gate pre-activations an
/// LSTM and an RNN step share (a GRU keeps the two halves apart for its reset gate).
#[inline]
fn pre_activation<T: Float, const IN: usize, const H: usize, const G: usize>(
    (wi, bi): (&[[T; G]; IN], &[T; G]),
    (wh, bh): (&[[T; G]; H], &[T; G]),
    x: &[T; IN],
    h: &[T; H],
    out: &mut [T; G],
) {
    matvec_t(wi, Some(bi), x, out, false);
    matvec_t(wh, Some(bh), h, out, true);
}

/// An LSTM cell (gates i, f, g, o, as `nn.LSTM`).
#[derive(Clone, Debug)]
pub struct Lstm<T, const IN: usize, const H: usize, const G: usize> {
    /// Input weights transposed: `weight_ih_t[i][g]` is PyTorch's `weight_ih_l0[g][i]`,
    /// gate rows in the order i, f, g, o.
    pub weight_ih_t: [[T; G]; IN],
    /// Recurrent weights transposed: `weight_hh_t[j][g]` is PyTorch's `weight_hh_l0[g][j]`.
    pub weight_hh_t: [[T; G]; H],
    /// Bias added to the input product (PyTorch's `bias_ih_l0`).
    pub bias_ih: [T; G],
    /// Bias added to the recurrent product (PyTorch's `bias_hh_l0`).
    pub bias_hh: [T; G],
}

/// An LSTM's state: hidden `h` (the output) and cell `c`.
#[derive(Clone, Debug)]
pub struct LstmState<T, const H: usize> {
    /// Hidden state: the cell's output at the last step, fed back at the next.
    pub h: [T; H],
    /// Cell state: the LSTM's long-term memory, carried between steps.
    pub c: [T; H],
}

impl<T: Float, const H: usize> LstmState<T, H> {
    /// The state at the start of a sequence.
    pub const ZERO: Self = LstmState {
        h: [T::ZERO; H],
        c: [T::ZERO; H],
    };
}

impl<T: Float, const IN: usize, const H: usize, const G: usize> Lstm<T, IN, H, G> {
    const FOUR_GATES: () = assert!(G == 4 * H, "an LSTM has 4H gate rows");

    /// All zeros.
    pub const ZERO: Self = Lstm {
        weight_ih_t: [[T::ZERO; G]; IN],
        weight_hh_t: [[T::ZERO; G]; H],
        bias_ih: [T::ZERO; G],
        bias_hh: [T::ZERO; G],
    };

    /// One step: `x` (IN values) in, `s.h` out.
    pub fn step(&self, x: &[T], s: &mut LstmState<T, H>) {
        #[allow(clippy::let_unit_value)]
        let () = Self::FOUR_GATES;
        let x = arr::<T, IN>(x, "LSTM input");
        lstm_step(self, x, &mut s.h, &mut s.c);
    }
}

/// One LSTM step for vectors of `V` bytes: the 4H gate sums stay in registers through the
/// gate activations and the cell and hidden updates (no buffer in between).
#[inline(always)]
fn lstm_step_kernel<
    T: Float,
    const IN: usize,
    const H: usize,
    const G: usize,
    const V: usize,
    const FMA: bool,
>(
    cell: &Lstm<T, IN, H, G>,
    x: &[T; IN],
    h: &mut [T; H],
    c: &mut [T; H],
) {
    let mut gates: [T; G] = core::array::from_fn(|o| cell.bias_ih[o] + cell.bias_hh[o]);
    accumulate::<T, IN, G, V, FMA>(&cell.weight_ih_t, x, &mut gates);
    accumulate::<T, H, G, V, FMA>(&cell.weight_hh_t, h, &mut gates);
    if let (Some(gates), Some(h), Some(c)) = (
        cast::<T, f32>(&gates),
        cast_mut::<T, f32>(h),
        cast_mut::<T, f32>(c),
    ) {
        lstm_update::<f32, FMA>(gates, h, c);
    } else if let (Some(gates), Some(h), Some(c)) = (
        cast::<T, f64>(&gates),
        cast_mut::<T, f64>(h),
        cast_mut::<T, f64>(c),
    ) {
        lstm_update::<f64, FMA>(gates, h, c);
    } else {
        let (ifg, o) = gates.split_at_mut(3 * H);
        let (if_, g) = ifg.split_at_mut(2 * H);
        sigmoid_inline::<T, FMA>(if_);
        tanh_inline::<T, FMA>(g);
        sigmoid_inline::<T, FMA>(o);
        let (i, f) = if_.split_at(H);
        for (((c, &i), &f), &g) in c.iter_mut().zip(i).zip(f).zip(&*g) {
            *c = f * *c + i * g;
        }
        let mut t = *c;
        tanh_inline::<T, FMA>(&mut t);
        for ((h, &o), &t) in h.iter_mut().zip(&*o).zip(&t) {
            *h = o * t;
        }
    }
}

/// The gates, cell and hidden update unit by unit (`gates` holds i, f, g, o, `H` each), so
/// each vector of units runs from its gates to its `h` and the next can overlap it.
#[inline(always)]
fn lstm_update<L: Gate, const FMA: bool>(gates: &[L], h: &mut [L], c: &mut [L]) {
    let n = h.len();
    let (i, rest) = gates.split_at(n);
    let (f, rest) = rest.split_at(n);
    let (g, o) = rest.split_at(n);
    for (((((h, c), &i), &f), &g), &o) in h.iter_mut().zip(c).zip(i).zip(f).zip(g).zip(o) {
        *c = f.gate_sigmoid::<FMA>() * *c + i.gate_sigmoid::<FMA>() * g.gate_tanh::<FMA>();
        *h = o.gate_sigmoid::<FMA>() * c.gate_tanh::<FMA>();
    }
}

dispatch! {
    /// One LSTM step, `h` and `c` updated in place.
    fn lstm_step = lstm_step_kernel<T: Float; const IN, const H, const G>(
        cell: &Lstm<T, IN, H, G>,
        x: &[T; IN],
        h: &mut [T; H],
        c: &mut [T; H],
    )
}

/// A GRU cell (gates r, z, n, as `nn.GRU`), in either of the two forms of
/// [`GruForm`](crate::recurrent::GruForm) (chosen by `reset_before`).
#[derive(Clone, Debug)]
pub struct Gru<T, const IN: usize, const H: usize, const G: usize> {
    /// Input weights transposed: `weight_ih_t[i][g]` is PyTorch's `weight_ih_l0[g][i]`,
    /// gate rows in the order r, z, n.
    pub weight_ih_t: [[T; G]; IN],
    /// Recurrent weights transposed: `weight_hh_t[j][g]` is PyTorch's `weight_hh_l0[g][j]`.
    pub weight_hh_t: [[T; G]; H],
    /// Bias added to the input product (PyTorch's `bias_ih_l0`).
    pub bias_ih: [T; G],
    /// Bias added to the recurrent product (PyTorch's `bias_hh_l0`).
    pub bias_hh: [T; G],
    /// `false`: PyTorch's form, `n = tanh(W_in x + b_in + r . (W_hn h + b_hn))`;
    /// `true`: the reset gate applied before the recurrent product,
    /// `n = tanh(W_in x + b_in + W_hn (r . h) + b_hn)` (Cho et al., 2014).
    pub reset_before: bool,
}

/// A GRU's state: hidden `h` (the output) and room for the input and recurrent gate terms.
#[derive(Clone, Debug)]
pub struct GruState<T, const H: usize, const G: usize> {
    /// Hidden state: the cell's output at the last step, fed back at the next.
    pub h: [T; H],
    /// Scratch for the input terms `W_ih x + b_ih` of the three gates (overwritten every
    /// step; kept here so a step needs no stack buffer of this size).
    pub gx: [T; G],
    /// Scratch for the recurrent terms `W_hh h + b_hh` (overwritten every step).
    pub gh: [T; G],
}

impl<T: Float, const H: usize, const G: usize> GruState<T, H, G> {
    /// The state at the start of a sequence.
    pub const ZERO: Self = GruState {
        h: [T::ZERO; H],
        gx: [T::ZERO; G],
        gh: [T::ZERO; G],
    };
}

impl<T: Float, const IN: usize, const H: usize, const G: usize> Gru<T, IN, H, G> {
    const THREE_GATES: () = assert!(G == 3 * H, "a GRU has 3H gate rows");

    /// All zeros (PyTorch's form).
    pub const ZERO: Self = Gru {
        weight_ih_t: [[T::ZERO; G]; IN],
        weight_hh_t: [[T::ZERO; G]; H],
        bias_ih: [T::ZERO; G],
        bias_hh: [T::ZERO; G],
        reset_before: false,
    };

    /// One step: `x` (IN values) in, `s.h` out.
    pub fn step(&self, x: &[T], s: &mut GruState<T, H, G>) {
        #[allow(clippy::let_unit_value)]
        let () = Self::THREE_GATES;
        let x = arr::<T, IN>(x, "GRU input");
        matvec_t(&self.weight_ih_t, Some(&self.bias_ih), x, &mut s.gx, false);
        // Recurrent terms of r and z (and of n in PyTorch's form) from h.
        matvec_t(
            &self.weight_hh_t,
            Some(&self.bias_hh),
            &s.h,
            &mut s.gh,
            false,
        );
        let mut rz = [T::ZERO; G];
        for j in 0..2 * H {
            rz[j] = s.gx[j] + s.gh[j];
        }
        Activation::Sigmoid.forward(&mut rz[..2 * H]);
        let (r, z) = (&rz[..H], &rz[H..2 * H]);
        let mut n = [T::ZERO; H];
        if self.reset_before {
            // n = tanh(W_in x + b_in + W_hn (r . h) + b_hn)
            let mut rh = [T::ZERO; H];
            for j in 0..H {
                rh[j] = r[j] * s.h[j];
            }
            for j in 0..H {
                n[j] = s.gx[2 * H + j] + self.bias_hh[2 * H + j];
            }
            for (row, &v) in self.weight_hh_t.iter().zip(&rh) {
                for j in 0..H {
                    n[j] += row[2 * H + j] * v;
                }
            }
        } else {
            for j in 0..H {
                n[j] = s.gx[2 * H + j] + r[j] * s.gh[2 * H + j];
            }
        }
        Activation::Tanh.forward(&mut n);
        for j in 0..H {
            s.h[j] = (T::ONE - z[j]) * n[j] + z[j] * s.h[j];
        }
    }
}

/// An Elman RNN cell: `h = act(W_ih x + b_ih + W_hh h + b_hh)`, tanh or (`relu`) ReLU.
#[derive(Clone, Debug)]
pub struct Rnn<T, const IN: usize, const H: usize> {
    /// Input weights transposed: `weight_ih_t[i][j]` is PyTorch's `weight_ih_l0[j][i]`.
    pub weight_ih_t: [[T; H]; IN],
    /// Recurrent weights transposed: `weight_hh_t[k][j]` is PyTorch's `weight_hh_l0[j][k]`.
    pub weight_hh_t: [[T; H]; H],
    /// Bias added to the input product (PyTorch's `bias_ih_l0`).
    pub bias_ih: [T; H],
    /// Bias added to the recurrent product (PyTorch's `bias_hh_l0`).
    pub bias_hh: [T; H],
    /// Activation: ReLU when `true`, tanh (PyTorch's default) when `false`.
    pub relu: bool,
}

/// An RNN's state: hidden `h` (the output) and room for the pre-activation.
#[derive(Clone, Debug)]
pub struct RnnState<T, const H: usize> {
    /// Hidden state: the cell's output at the last step, fed back at the next.
    pub h: [T; H],
    /// Scratch for the pre-activation (overwritten every step).
    pub tmp: [T; H],
}

impl<T: Float, const H: usize> RnnState<T, H> {
    /// The state at the start of a sequence.
    pub const ZERO: Self = RnnState {
        h: [T::ZERO; H],
        tmp: [T::ZERO; H],
    };
}

impl<T: Float, const IN: usize, const H: usize> Rnn<T, IN, H> {
    /// All zeros (tanh).
    pub const ZERO: Self = Rnn {
        weight_ih_t: [[T::ZERO; H]; IN],
        weight_hh_t: [[T::ZERO; H]; H],
        bias_ih: [T::ZERO; H],
        bias_hh: [T::ZERO; H],
        relu: false,
    };

    /// One step: `x` (IN values) in, `s.h` out.
    pub fn step(&self, x: &[T], s: &mut RnnState<T, H>) {
        let x = arr::<T, IN>(x, "RNN input");
        pre_activation(
            (&self.weight_ih_t, &self.bias_ih),
            (&self.weight_hh_t, &self.bias_hh),
            x,
            &s.h,
            &mut s.tmp,
        );
        s.h = s.tmp;
        let act = if self.relu {
            Activation::Relu
        } else {
            Activation::Tanh
        };
        act.forward(&mut s.h);
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{close, values};
    use super::*;
    use crate::recurrent::{self, GruForm, Recurrent};

    /// Copies the std cell's four tensors into the fixed cell's (weights transposed).
    fn copy<R: Recurrent<f64>, const IN: usize, const H: usize, const G: usize>(
        cell: &R,
        wi: &mut [[f64; G]; IN],
        wh: &mut [[f64; G]; H],
        b: [&mut [f64]; 2],
    ) {
        let mut b = b;
        cell.visit_params(&mut |i, _, v| match i {
            0 => crate::fixed::set_transposed(wi, v),
            1 => crate::fixed::set_transposed(wh, v),
            _ => b[i - 2].copy_from_slice(v),
        });
    }

    fn run<R: Recurrent<f64>>(cell: &R, xs: &[f64], state: usize) -> Vec<f64> {
        let mut st = vec![0.0; state];
        let mut y = vec![0.0; R::OUT];
        let mut out = Vec::new();
        let mut cache = Default::default();
        for x in xs.chunks(R::IN) {
            cell.step(x, &mut y, 1, &mut st, &mut cache);
            out.extend_from_slice(&y);
        }
        out
    }

    #[test]
    fn cells_step_like_the_sequence_layers() {
        let rng = &mut crate::rng::seeded(5);
        let xs = values(3 * 6, 2);
        let fill = |i: usize, v: &mut [f64]| v.copy_from_slice(&values(v.len(), i + 20));

        let mut lstm = recurrent::Lstm::<f64, 3, 4>::new(1.0, rng).unwrap();
        lstm.visit_params_mut(&mut |i, _, v| fill(i, v));
        let mut f = Lstm::<f64, 3, 4, 16>::ZERO;
        copy(
            &lstm,
            &mut f.weight_ih_t,
            &mut f.weight_hh_t,
            [&mut f.bias_ih, &mut f.bias_hh],
        );
        let mut s = LstmState::ZERO;
        let got: Vec<f64> = xs
            .chunks(3)
            .flat_map(|x| {
                f.step(x, &mut s);
                s.h
            })
            .collect();
        close(&got, &run(&lstm, &xs, 8), 1e-12);

        for form in [GruForm::PyTorch, GruForm::ResetBefore] {
            let mut gru = recurrent::Gru::<f64, 3, 5>::new(form, rng).unwrap();
            gru.visit_params_mut(&mut |i, _, v| fill(i, v));
            let mut f = Gru::<f64, 3, 5, 15>::ZERO;
            f.reset_before = form == GruForm::ResetBefore;
            copy(
                &gru,
                &mut f.weight_ih_t,
                &mut f.weight_hh_t,
                [&mut f.bias_ih, &mut f.bias_hh],
            );
            let mut s = GruState::ZERO;
            let got: Vec<f64> = xs
                .chunks(3)
                .flat_map(|x| {
                    f.step(x, &mut s);
                    s.h
                })
                .collect();
            close(&got, &run(&gru, &xs, 5), 1e-12);
        }

        for relu in [false, true] {
            let act = if relu {
                Activation::Relu
            } else {
                Activation::Tanh
            };
            let mut rnn = recurrent::Rnn::<f64, 3, 2>::new(act, rng).unwrap();
            rnn.visit_params_mut(&mut |i, _, v| fill(i, v));
            let mut f = Rnn::<f64, 3, 2>::ZERO;
            f.relu = relu;
            copy(
                &rnn,
                &mut f.weight_ih_t,
                &mut f.weight_hh_t,
                [&mut f.bias_ih, &mut f.bias_hh],
            );
            let mut s = RnnState::ZERO;
            let got: Vec<f64> = xs
                .chunks(3)
                .flat_map(|x| {
                    f.step(x, &mut s);
                    s.h
                })
                .collect();
            close(&got, &run(&rnn, &xs, 2), 1e-12);
        }
    }

    /// The LSTM on every level this CPU has, in f64 and f32, against the sequence layer;
    /// hidden sizes that fill vectors exactly and ones that leave tails.
    fn check_lstm<const IN: usize, const H: usize, const G: usize>() {
        let mut lstm = recurrent::Lstm::<f64, IN, H>::new(1.0, &mut crate::rng::seeded(6)).unwrap();
        lstm.visit_params_mut(&mut |i, _, v| v.copy_from_slice(&values(v.len(), i + 30)));
        let mut f = Lstm::<f64, IN, H, G>::ZERO;
        copy(
            &lstm,
            &mut f.weight_ih_t,
            &mut f.weight_hh_t,
            [&mut f.bias_ih, &mut f.bias_hh],
        );
        let f32_cell = Lstm::<f32, IN, H, G> {
            weight_ih_t: f.weight_ih_t.map(|r| r.map(|w| w as f32)),
            weight_hh_t: f.weight_hh_t.map(|r| r.map(|w| w as f32)),
            bias_ih: f.bias_ih.map(|w| w as f32),
            bias_hh: f.bias_hh.map(|w| w as f32),
        };
        let xs = values(IN * 9, 4);
        let want = run(&lstm, &xs, 2 * H);
        for level in crate::activation::available_levels() {
            let (mut s, mut s32) = (LstmState::ZERO, LstmState::ZERO);
            let mut got = Vec::new();
            let mut got32 = Vec::new();
            crate::activation::with_level(level, || {
                for x in xs.chunks(IN) {
                    f.step(x, &mut s);
                    got.extend_from_slice(&s.h);
                    let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
                    f32_cell.step(&x32, &mut s32);
                    got32.extend(s32.h.iter().map(|&v| v as f64));
                }
            });
            close(&got, &want, 1e-12);
            close(&got32, &want, 1e-5);
        }
    }

    #[test]
    fn lstm_matches_on_every_level() {
        check_lstm::<1, 32, 128>();
        check_lstm::<3, 5, 20>();
        check_lstm::<2, 7, 28>();
        check_lstm::<1, 1, 4>();
    }
}
