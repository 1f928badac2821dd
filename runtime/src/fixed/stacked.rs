//! Stacked recurrent layers (`lstm(h, layers = n)`, PyTorch's `num_layers`) in the embedded
//! form: the first cell reads the step's input, every other cell the hidden state of the
//! cell below, and each level keeps its own state. (The dropout between levels only acts in
//! training.)

use core::marker::PhantomData;

use super::{Gru, GruState, Lstm, LstmState, Rnn, RnnState};
use crate::float::Float;

/// A recurrent cell of the embedded form, for stacking.
pub trait Cell<T> {
    /// What it carries between steps; its hidden state is the output.
    type State: CellState<T>;
    /// All zeros.
    const ZERO: Self;
    /// One step: `x` in, the state's hidden state out.
    fn step(&self, x: &[T], s: &mut Self::State);
}

/// A state that starts zeroed.
pub trait ZeroState {
    /// The state at the start of a sequence.
    const ZERO: Self;
}

/// A cell's state.
pub trait CellState<T>: ZeroState {
    /// The hidden state: the cell's output.
    fn hidden(&self) -> &[T];
}

macro_rules! cell {
    ($cell:ident <$($c:ident),*>, $state:ident <$($s:ident),*>) => {
        impl<T: Float, $(const $c: usize),*> Cell<T> for $cell<T, $($c),*> {
            type State = $state<T, $($s),*>;
            const ZERO: Self = $cell::<T, $($c),*>::ZERO;
            fn step(&self, x: &[T], s: &mut Self::State) {
                $cell::step(self, x, s)
            }
        }
    };
}

cell!(Lstm<IN, H, G>, LstmState<H>);
cell!(Gru<IN, H, G>, GruState<H, G>);
cell!(Rnn<IN, H>, RnnState<H>);

macro_rules! state {
    ($state:ident <$($s:ident),*>) => {
        impl<T: Float, $(const $s: usize),*> ZeroState for $state<T, $($s),*> {
            const ZERO: Self = $state::<T, $($s),*>::ZERO;
        }
        impl<T: Float, $(const $s: usize),*> CellState<T> for $state<T, $($s),*> {
            fn hidden(&self) -> &[T] {
                &self.h
            }
        }
    };
}

state!(LstmState<H>);
state!(GruState<H, G>);
state!(RnnState<H>);

/// `N + 1` levels: `first` from the input (`*_l0`), `rest[k]` from the level below
/// (`*_l{k+1}`).
#[derive(Clone, Debug)]
pub struct Stacked<T, C0, C, const N: usize> {
    /// Level 0.
    pub first: C0,
    /// Levels 1..=N.
    pub rest: [C; N],
    _t: PhantomData<T>,
}

/// Every level's state.
#[derive(Clone, Debug)]
pub struct StackedState<S, const L: usize> {
    /// Level `k`'s state.
    pub levels: [S; L],
}

impl<S: ZeroState, const L: usize> StackedState<S, L> {
    /// The state at the start of a sequence.
    pub const ZERO: Self = StackedState {
        levels: [S::ZERO; L],
    };
}

impl<T: Float, C0: Cell<T>, C: Cell<T, State = C0::State>, const N: usize> Stacked<T, C0, C, N> {
    /// All zeros.
    pub const ZERO: Self = Stacked {
        first: C0::ZERO,
        rest: [C::ZERO; N],
        _t: PhantomData,
    };

    /// One step through every level; the top level's hidden state is [`Self::output`].
    pub fn step<const L: usize>(&self, x: &[T], s: &mut StackedState<C0::State, L>) {
        const { assert!(L == N + 1, "one state per level") };
        self.first.step(x, &mut s.levels[0]);
        for (k, cell) in self.rest.iter().enumerate() {
            let (below, here) = s.levels.split_at_mut(k + 1);
            cell.step(below[k].hidden(), &mut here[0]);
        }
    }

    /// The top level's hidden state: the layer's output.
    pub fn output<'a, const L: usize>(&self, s: &'a StackedState<C0::State, L>) -> &'a [T] {
        s.levels[L - 1].hidden()
    }
}
