//! Held-out evaluation in eval mode: the mean loss and the metrics of the data's task.

use kiln_runtime::float::Float;
use kiln_runtime::loss::Loss;
use kiln_runtime::network::Network;
use kiln_runtime::processes::Processes;
use kiln_runtime::replica::part_of;

use super::across::gather_outputs;
use super::{Metrics, Tally, TargetKind, TrainError};
use crate::data::Samples;

/// Evaluates `net` in eval mode over every sample of `data`, `batch` samples at a time. The
/// step count of a sequence network comes from `data`, whatever was run on `net` before.
///
/// ```
/// use kiln::data::digits;
/// use kiln::prelude::*;
/// use kiln::train::evaluate;
///
/// network! {
///     struct Mlp {
///         input: [64],
///         layers: [dense(32), relu, dense(10)],
///         loss: softmax_cross_entropy,
///     }
/// }
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let data = digits()?;
/// let net = Mlp::<f32>::new(&mut seeded(1));
/// let m = evaluate(&net, &data, 256)?;
/// // A classifier's metrics: the loss, accuracy and the confusion matrix.
/// assert!(m.loss.is_finite() && m.loss > 0.0);
/// assert!((0.0..=1.0).contains(&m.accuracy.unwrap()));
/// assert!(m.confusion.is_some() && m.rmse.is_none());
/// # Ok(())
/// # }
/// ```
pub fn evaluate<T, Y, N>(
    net: &N,
    data: &dyn Samples<T, Y>,
    batch: usize,
) -> Result<Metrics, TrainError>
where
    T: Float,
    Y: TargetKind,
    N: Network<T>,
    N::Loss: Loss<T, Target = [Y]>,
{
    evaluate_across(net, data, batch, None)
}

/// [`evaluate`] shared by `processes`: each evaluates its part of every batch and all count
/// every part, in rank order, so every process gets the same metrics.
pub(super) fn evaluate_across<T, Y, N>(
    net: &N,
    data: &dyn Samples<T, Y>,
    batch: usize,
    processes: Option<&dyn Processes>,
) -> Result<Metrics, TrainError>
where
    T: Float,
    Y: TargetKind,
    N: Network<T>,
    N::Loss: Loss<T, Target = [Y]>,
{
    check_fits::<T, Y, N>(data)?;
    let mut scratch = net.new_scratch();
    N::set_scratch_steps(&mut scratch, data.steps());
    let (mut x, mut targets, mut out) = (Vec::new(), Vec::new(), Vec::new());
    let mut tally = Tally::new(data.task(), N::OUTPUT, data.target_scaler());
    let order: Vec<usize> = (0..data.len()).collect();
    for idx in order.chunks(batch.max(1)) {
        let idx = match processes {
            Some(p) => &idx[part_of(idx.len(), p.size(), p.rank())],
            None => idx,
        };
        let mut loss = 0.0;
        out.clear();
        targets.clear();
        if !idx.is_empty() {
            data.gather(idx, &mut x, &mut targets)?;
            out.resize(Y::rows(&targets, N::OUTPUT) * N::OUTPUT, T::ZERO);
            net.forward_flat(&x, &mut out, &mut scratch)?;
            loss = net.loss_fn().loss(&out, N::OUTPUT, &targets)?.to_f64();
        }
        let Some(p) = processes else {
            tally.add_loss(loss, targets.len());
            Y::count(&mut tally, &out, &targets);
            continue;
        };
        for part in gather_outputs(p, loss, &out, &targets)? {
            if !part.targets.is_empty() {
                tally.add_loss(part.loss, part.targets.len());
                Y::count(&mut tally, &part.out, &part.targets);
            }
        }
    }
    Ok(tally.finish())
}

/// Checks that `data` is non-empty and its rows are as wide as the network's input.
pub(super) fn check_fits<T: Float, Y, N: Network<T>>(
    data: &dyn Samples<T, Y>,
) -> Result<(), TrainError> {
    if data.is_empty() {
        return Err(TrainError::Invalid {
            what: "data set",
            why: "it holds no samples".into(),
        });
    }
    data.validate()?;
    data.check_targets(N::OUTPUT)?;
    if data.width() != N::INPUT {
        return Err(TrainError::Invalid {
            what: "data set",
            why: format!(
                "its rows have {} features, the network takes {}",
                data.width(),
                N::INPUT
            ),
        });
    }
    Ok(())
}
