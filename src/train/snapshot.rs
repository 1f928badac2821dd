//! The last good state of a run, kept in memory at the start of every epoch (where the last
//! checkpoint stands): a run that fails on a non-finite loss, gradient or parameter is put
//! back to it, so the network in memory is never worse than the checkpoint on disk.

use kiln_runtime::float::Float;
use kiln_runtime::network::Network;
use kiln_runtime::optim::Optimizer;
use kiln_runtime::KilnError;

use super::TrainError;

/// Parameters, buffers and the optimiser's state, steps, learning rate and scalars.
pub(super) struct Snapshot<T> {
    weights: Vec<T>,
    state: Vec<T>,
    steps: u64,
    lr: f64,
    scalars: Vec<f64>,
}

impl<T: Float> Snapshot<T> {
    /// Copies the current state (one pass over the parameters and the optimiser's state).
    pub fn take<N: Network<T>>(net: &N, opt: &mut dyn Optimizer<T>) -> Snapshot<T> {
        let weights = weights_of(net);
        let mut state = Vec::new();
        opt.visit_state(&mut |_, v| state.extend_from_slice(v));
        let mut scalars = Vec::new();
        opt.visit_scalars(&mut |_, v| scalars.push(*v));
        Snapshot {
            weights,
            state,
            steps: opt.steps(),
            lr: opt.learning_rate(),
            scalars,
        }
    }

    /// Puts the copied state back.
    pub fn restore<N: Network<T>>(
        &self,
        net: &mut N,
        opt: &mut dyn Optimizer<T>,
    ) -> Result<(), TrainError> {
        put_weights(net, &self.weights);
        let mut at = 0;
        opt.visit_state(&mut |_, v| {
            v.copy_from_slice(&self.state[at..at + v.len()]);
            at += v.len();
        });
        let mut it = self.scalars.iter();
        opt.visit_scalars(&mut |_, v| *v = *it.next().unwrap_or(v));
        opt.set_steps(self.steps);
        opt.set_learning_rate(self.lr)?;
        Ok(())
    }
}

/// The parameters and buffers, one after another.
pub(super) fn weights_of<T: Float, N: Network<T>>(net: &N) -> Vec<T> {
    let mut w = Vec::new();
    net.visit_params(&mut |_, _, v| w.extend_from_slice(v));
    net.visit_buffers(&mut |_, v| w.extend_from_slice(v));
    w
}

/// Puts [`weights_of`]'s values back.
pub(super) fn put_weights<T: Float, N: Network<T>>(net: &mut N, w: &[T]) {
    let mut at = 0;
    let mut take = |v: &mut [T]| {
        v.copy_from_slice(&w[at..at + v.len()]);
        at += v.len();
    };
    net.visit_params_mut(&mut |_, _, v| take(v));
    net.visit_buffers_mut(&mut |_, v| take(v));
}

/// Whether `e` is a run going non-finite (which the snapshot is for).
pub(super) fn diverged(e: &TrainError) -> bool {
    matches!(
        e,
        TrainError::Diverged { .. }
            | TrainError::Kiln(
                KilnError::NonFiniteLoss { .. }
                    | KilnError::NonFiniteGradient { .. }
                    | KilnError::NonFiniteParameter { .. }
            )
    )
}
