//! A bidirectional recurrent layer (`bidirectional(lstm(a), gru(b))`, PyTorch's
//! `bidirectional=True`) in the embedded form: the forward cell runs over the sequence from
//! its first step, the backward cell from its last, and each step's output is the two hidden
//! states side by side `[h_fwd | h_bwd]`. It needs the whole sequence, so networks holding one
//! run layer by layer over a fixed-length sequence (`forward_seq`).

use core::marker::PhantomData;

use super::stacked::{Cell, CellState, ZeroState};

/// The two cells: `fwd` (tensors `*_l0`) and `bwd` (`*_l0_reverse`).
#[derive(Clone, Debug)]
pub struct Bidirectional<T, F, B> {
    /// The forward direction.
    pub fwd: F,
    /// The backward direction.
    pub bwd: B,
    _t: PhantomData<T>,
}

/// Both directions' states.
#[derive(Clone, Debug)]
pub struct BidirectionalState<SF, SB> {
    /// The forward cell's.
    pub fwd: SF,
    /// The backward cell's.
    pub bwd: SB,
}

impl<SF: ZeroState, SB: ZeroState> BidirectionalState<SF, SB> {
    /// Both zeroed.
    pub const ZERO: Self = BidirectionalState {
        fwd: SF::ZERO,
        bwd: SB::ZERO,
    };
}

/// Where a sequence lives in a flat buffer: `steps` rows of `width` values, `stride` apart.
#[derive(Clone, Copy, Debug)]
pub struct Rows {
    /// Steps.
    pub steps: usize,
    /// Values per step.
    pub width: usize,
    /// Values from one step's row to the next.
    pub stride: usize,
}

impl Rows {
    fn at(self, t: usize) -> core::ops::Range<usize> {
        t * self.stride..t * self.stride + self.width
    }
}

impl<T: Copy, F: Cell<T>, B: Cell<T>> Bidirectional<T, F, B> {
    /// All zeros.
    pub const ZERO: Self = Bidirectional {
        fwd: F::ZERO,
        bwd: B::ZERO,
        _t: PhantomData,
    };

    /// The whole sequence from zero states: row `t` of `y` is `[h_fwd(t) | h_bwd(t)]`.
    pub fn forward_seq(
        &self,
        x: &[T],
        xr: Rows,
        y: &mut [T],
        yr: Rows,
        s: &mut BidirectionalState<F::State, B::State>,
    ) {
        s.fwd = F::State::ZERO;
        s.bwd = B::State::ZERO;
        for t in 0..xr.steps {
            self.fwd.step(&x[xr.at(t)], &mut s.fwd);
            let h = s.fwd.hidden();
            y[yr.at(t)][..h.len()].copy_from_slice(h);
        }
        for t in (0..xr.steps).rev() {
            self.bwd.step(&x[xr.at(t)], &mut s.bwd);
            let h = s.bwd.hidden();
            let row = &mut y[yr.at(t)];
            let split = row.len() - h.len();
            row[split..].copy_from_slice(h);
        }
    }
}
