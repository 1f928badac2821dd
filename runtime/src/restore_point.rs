//! A copy of a network's weights and its optimiser's state, taken before a training step (or
//! an epoch) so a step that goes non-finite can be undone exactly: the training guard puts
//! it back, and the network in memory is the last good one.

use crate::error::Result;
use crate::float::Float;
use crate::gemm::for_halves;
use crate::layers::batch_parts::Disjoint;
use crate::network::Network;
use crate::optim::Optimizer;

/// Parameters, buffers (batch norm's running statistics) and the optimiser's state, step
/// count, learning rate and scalars. Its buffers are reused, so taking a point every step
/// allocates only on the first.
#[derive(Debug, Clone)]
pub struct RestorePoint<T> {
    weights: Vec<T>,
    state: Vec<T>,
    scalars: Vec<f64>,
    steps: u64,
    lr: f64,
    taken: bool,
}

impl<T: Float> RestorePoint<T> {
    /// An empty point ([`RestorePoint::restore`] does nothing until one is taken).
    pub fn new() -> Self {
        RestorePoint {
            weights: Vec::new(),
            state: Vec::new(),
            scalars: Vec::new(),
            steps: 0,
            lr: 0.0,
            taken: false,
        }
    }

    /// Copies the current state over the previous one: one pass over the parameters, buffers
    /// and the optimiser's state.
    pub fn take<N: Network<T>>(&mut self, net: &N, opt: &mut dyn Optimizer<T>) {
        weights_into(net, &mut self.weights);
        gather(&mut self.state, |f| opt.visit_state(&mut |_, v| f(v)));
        self.scalars.clear();
        opt.visit_scalars(&mut |_, v| self.scalars.push(*v));
        self.steps = opt.steps();
        self.lr = opt.learning_rate();
        self.taken = true;
    }

    /// Whether a point has been taken.
    pub fn is_taken(&self) -> bool {
        self.taken
    }

    /// Puts the taken state back, bit for bit. The network and optimiser must be the ones it
    /// was taken from (same tensors and state lengths).
    pub fn restore<N: Network<T>>(&self, net: &mut N, opt: &mut dyn Optimizer<T>) -> Result<()> {
        if !self.taken {
            return Ok(());
        }
        put_weights(net, &self.weights);
        let mut c = Cursor {
            from: &self.state,
            at: 0,
        };
        opt.visit_state(&mut |_, v| c.fill(v));
        let mut it = self.scalars.iter();
        opt.visit_scalars(&mut |_, v| *v = *it.next().unwrap_or(v));
        opt.set_steps(self.steps);
        opt.set_learning_rate(self.lr)
    }
}

impl<T: Float> Default for RestorePoint<T> {
    fn default() -> Self {
        RestorePoint::new()
    }
}

/// Replaces `w` with the network's parameters and buffers, one after another.
pub fn weights_into<T: Float, N: Network<T>>(net: &N, w: &mut Vec<T>) {
    gather(w, |f| {
        net.visit_params(&mut |_, _, v| f(v));
        net.visit_buffers(&mut |_, v| f(v));
    });
}

/// Replaces `buf` with the slices `visit` hands to its callback, one after another: a pass
/// for the length, then the copies, large ones on both threads (a guarded training step
/// takes a point every step, and the GEMM pool's worker would otherwise wait).
fn gather<T: Float>(buf: &mut Vec<T>, mut visit: impl FnMut(&mut dyn FnMut(&[T]))) {
    let mut n = 0;
    visit(&mut |v| n += v.len());
    buf.resize(n, T::ZERO);
    let mut at = 0;
    visit(&mut |v| {
        let dst = Disjoint::new(&mut buf[at..at + v.len()]);
        // SAFETY: `for_halves` hands out disjoint ranges of `0..v.len()`.
        for_halves(v.len(), &|r| {
            unsafe { dst.range(r.clone()) }.copy_from_slice(&v[r])
        });
        at += v.len();
    });
}

/// Puts [`weights_into`]'s values back.
pub fn put_weights<T: Float, N: Network<T>>(net: &mut N, w: &[T]) {
    let mut c = Cursor { from: w, at: 0 };
    net.visit_params_mut(&mut |_, _, v| c.fill(v));
    net.visit_buffers_mut(&mut |_, v| c.fill(v));
}

/// Hands out consecutive parts of a copy, in the order they were taken.
struct Cursor<'a, T> {
    from: &'a [T],
    at: usize,
}

impl<T: Float> Cursor<'_, T> {
    fn fill(&mut self, v: &mut [T]) {
        let end = (self.at + v.len()).min(self.from.len());
        v[..end - self.at].copy_from_slice(&self.from[self.at..end]);
        self.at = end;
    }
}
