//! Reductions over time, `[steps, batch, F] -> [batch, F]`: the last step, the mean over
//! time or the maximum over time of each feature. They end the per-step part of a sequence
//! network, so a sentence or sensor-window classifier can follow with per-sequence layers and
//! one label per sequence. Driven through [`Recurrent`] like the cells (they need the step
//! count), with no parameters; in streaming use the state holds the running reduction, so
//! each step's output is the reduction of the sequence so far.

use core::marker::PhantomData;

use super::lengths::length_of;
use super::{GradVisitor, Recurrent};
use crate::error::{KilnError, Result};
use crate::fixed;
use crate::float::Float;
use crate::param::ParamKind;

/// Which reduction over time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeReduction {
    /// The output of the last step (PyTorch: `y[-1]`).
    Last,
    /// The mean over steps (PyTorch: `y.mean(dim=0)`).
    Mean,
    /// The maximum over steps per feature (PyTorch: `y.amax(dim=0)`; the gradient goes to the
    /// first step holding the maximum).
    Max,
}

/// A reduction over time of `F` features per step.
#[derive(Clone, Debug)]
pub struct OverTime<T, const F: usize> {
    /// How the steps are reduced: last step, mean or maximum.
    pub reduction: TimeReduction,
    _t: PhantomData<T>,
}

impl<T, const F: usize> OverTime<T, F> {
    /// The reduction `reduction` over time; it has no parameters, so it cannot fail.
    pub fn new(reduction: TimeReduction) -> Self {
        OverTime {
            reduction,
            _t: PhantomData,
        }
    }
}

/// For `Max`, the step of each maximum (`[batch, F]`), kept for backward; each sequence's
/// length (empty: all full).
#[derive(Default)]
pub struct OverTimeCache {
    argmax: Vec<u32>,
    lengths: Vec<usize>,
}

fn check(x: usize, y: usize, steps: usize, batch: usize, f: usize) -> Result<()> {
    let checks = [
        ("sequence input [steps, batch, F]", steps * batch * f, x),
        ("reduced output [batch, F]", batch * f, y),
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

impl<T: Float, const F: usize> OverTime<T, F> {
    /// `y[b] = reduce_t x[t, b]` over each sequence's own steps; for `Max`, the arg max is
    /// kept in `cache`.
    fn run(&self, x: &[T], y: &mut [T], steps: usize, batch: usize, cache: &mut OverTimeCache) {
        let row = |t: usize, b: usize| &x[(t * batch + b) * F..(t * batch + b + 1) * F];
        let len = |b: usize| length_of(&cache.lengths, b, steps);
        match self.reduction {
            TimeReduction::Last => {
                for b in 0..batch {
                    y[b * F..(b + 1) * F].copy_from_slice(row(len(b) - 1, b));
                }
            }
            TimeReduction::Mean => {
                for b in 0..batch {
                    let inv = T::from_f64(1.0 / len(b) as f64);
                    let out = &mut y[b * F..(b + 1) * F];
                    out.fill(T::ZERO);
                    for t in 0..len(b) {
                        for (o, &v) in out.iter_mut().zip(row(t, b)) {
                            *o += v;
                        }
                    }
                    out.iter_mut().for_each(|o| *o *= inv);
                }
            }
            TimeReduction::Max => {
                let mut argmax = core::mem::take(&mut cache.argmax);
                argmax.clear();
                argmax.resize(batch * F, 0);
                for b in 0..batch {
                    let out = &mut y[b * F..(b + 1) * F];
                    let arg = &mut argmax[b * F..(b + 1) * F];
                    out.copy_from_slice(row(0, b));
                    arg.fill(0);
                    for t in 1..len(b) {
                        for ((o, a), &v) in out.iter_mut().zip(arg.iter_mut()).zip(row(t, b)) {
                            if v > *o {
                                *o = v;
                                *a = t as u32;
                            }
                        }
                    }
                }
                cache.argmax = argmax;
            }
        }
    }
}

impl<T: Float, const F: usize> Recurrent<T> for OverTime<T, F> {
    const IN: usize = F;
    const OUT: usize = F;
    /// The running reduction (`F`) and the number of steps seen, for streaming.
    const STATE: usize = F + 1;
    type Cache = OverTimeCache;

    fn cache_bytes(c: &Self::Cache) -> usize {
        crate::layers::vec_bytes(&c.argmax) + crate::layers::vec_bytes(&c.lengths)
    }

    fn set_lengths(cache: &mut Self::Cache, lengths: &[usize]) {
        super::lengths::store(&mut cache.lengths, lengths);
    }

    fn param_names(&self) -> &'static [&'static str] {
        &[]
    }

    fn zeros_like(&self) -> Self {
        self.clone()
    }

    /// `y` is `[batch, F]` (one row per sequence), not `[steps, batch, F]`.
    fn forward(
        &self,
        x: &[T],
        y: &mut [T],
        steps: usize,
        batch: usize,
        _state: &mut [T],
        cache: &mut Self::Cache,
    ) {
        if let Err(e) = check(x.len(), y.len(), steps, batch, F) {
            panic!("generated code sizes reductions over time: {e}");
        }
        self.run(x, y, steps.max(1), batch, cache);
    }

    #[allow(clippy::too_many_arguments)]
    fn forward_train(
        &mut self,
        x: &[T],
        y: &mut [T],
        steps: usize,
        batch: usize,
        _state: &mut [T],
        cache: &mut Self::Cache,
        _rng: &mut crate::train_ctx::TrainCtx,
    ) -> Result<()> {
        check(x.len(), y.len(), steps, batch, F)?;
        self.run(x, y, steps.max(1), batch, cache);
        Ok(())
    }

    /// `dy` is `[batch, F]`; `dx` gets `[steps, batch, F]`.
    fn backward(
        &self,
        _x: &[T],
        _y: &[T],
        dy: &mut [T],
        dx: Option<&mut [T]>,
        steps: usize,
        batch: usize,
        cache: &mut Self::Cache,
        _grads: &mut Self,
    ) {
        let Some(dx) = dx else { return };
        let steps = steps.max(1);
        let len = |b: usize| length_of(&cache.lengths, b, steps);
        let at = |t: usize, b: usize| (t * batch + b) * F;
        match self.reduction {
            TimeReduction::Last => {
                dx.fill(T::ZERO);
                for b in 0..batch {
                    let i = at(len(b) - 1, b);
                    dx[i..i + F].copy_from_slice(&dy[b * F..(b + 1) * F]);
                }
            }
            TimeReduction::Mean => {
                dx.fill(T::ZERO);
                for b in 0..batch {
                    let inv = T::from_f64(1.0 / len(b) as f64);
                    for t in 0..len(b) {
                        let d = &mut dx[at(t, b)..at(t, b) + F];
                        for (d, &g) in d.iter_mut().zip(&dy[b * F..(b + 1) * F]) {
                            *d = g * inv;
                        }
                    }
                }
            }
            TimeReduction::Max => {
                dx.fill(T::ZERO);
                for (i, (&g, &t)) in dy.iter().zip(&cache.argmax).enumerate() {
                    dx[t as usize * batch * F + i] = g;
                }
            }
        }
    }

    /// The reduction of the sequence so far: `state` is `[running value (F), steps seen]`.
    fn step(&self, x: &[T], y: &mut [T], batch: usize, state: &mut [T], _cache: &mut Self::Cache) {
        for b in 0..batch {
            let (run, seen) = state[b * (F + 1)..(b + 1) * (F + 1)].split_at_mut(F);
            let xb = &x[b * F..(b + 1) * F];
            let f = match self.reduction {
                TimeReduction::Last => fixed::keep_last,
                TimeReduction::Mean => fixed::running_mean,
                TimeReduction::Max => fixed::running_max,
            };
            fixed::advance(run, &mut seen[0], xb, f);
            y[b * F..(b + 1) * F].copy_from_slice(run);
        }
    }

    fn visit_params(&self, _f: &mut dyn FnMut(usize, ParamKind, &[T])) {}
    fn visit_params_mut(&mut self, _f: &mut dyn FnMut(usize, ParamKind, &mut [T])) {}
    fn visit_with_grads(&mut self, _grads: &Self, _f: &mut GradVisitor<'_, T>) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    /// x[t, b, f] = 10 t + 3 b + f - 7 (t * b) so the maximum moves between steps.
    fn sample(steps: usize, batch: usize) -> Vec<f64> {
        let mut x = Vec::new();
        for t in 0..steps {
            for b in 0..batch {
                for f in 0..2 {
                    x.push((10 * t + 3 * b + f) as f64 - (7 * t * b) as f64);
                }
            }
        }
        x
    }

    #[test]
    fn whole_sequence_and_streaming_agree() {
        let (steps, batch) = (4, 3);
        let x = sample(steps, batch);
        for r in [TimeReduction::Last, TimeReduction::Mean, TimeReduction::Max] {
            let layer = OverTime::<f64, 2>::new(r);
            let mut y = vec![0.0; batch * 2];
            layer.forward(&x, &mut y, steps, batch, &mut [], &mut Default::default());
            let mut state = vec![0.0; batch * 3];
            let mut ys = vec![0.0; batch * 2];
            for t in 0..steps {
                let xt = &x[t * batch * 2..(t + 1) * batch * 2];
                layer.step(xt, &mut ys, batch, &mut state, &mut Default::default());
            }
            for (a, b) in y.iter().zip(&ys) {
                assert!((a - b).abs() < 1e-12, "{r:?}: {y:?} vs {ys:?}");
            }
        }
    }

    #[test]
    fn backward_routes_the_gradient() {
        let (steps, batch) = (3, 2);
        let x = sample(steps, batch);
        let dy: Vec<f64> = (0..batch * 2).map(|i| 1.0 + i as f64).collect();
        for r in [TimeReduction::Last, TimeReduction::Mean, TimeReduction::Max] {
            let mut layer = OverTime::<f64, 2>::new(r);
            let mut y = vec![0.0; batch * 2];
            let mut cache = OverTimeCache::default();
            layer
                .forward_train(
                    &x,
                    &mut y,
                    steps,
                    batch,
                    &mut [],
                    &mut cache,
                    &mut crate::train_ctx::TrainCtx::new(0),
                )
                .unwrap();
            let mut dx = vec![f64::NAN; x.len()];
            let g = layer.zeros_like();
            let mut d = dy.clone();
            layer.backward(
                &x,
                &y,
                &mut d,
                Some(&mut dx),
                steps,
                batch,
                &mut cache,
                &mut g.clone(),
            );
            // The gradient of sum(y * dy) w.r.t. x by finite differences (each x enters y
            // linearly or through a clear maximum).
            for i in 0..x.len() {
                let mut xp = x.clone();
                xp[i] += 1e-3;
                let mut yp = vec![0.0; batch * 2];
                layer.forward(&xp, &mut yp, steps, batch, &mut [], &mut Default::default());
                let num: f64 = yp
                    .iter()
                    .zip(&y)
                    .zip(&dy)
                    .map(|((a, b), g)| (a - b) * g)
                    .sum::<f64>()
                    / 1e-3;
                assert!(
                    (num - dx[i]).abs() < 1e-6,
                    "{r:?} x[{i}]: {num} vs {}",
                    dx[i]
                );
            }
        }
    }
}
