//! Held-out evaluation of a classifier: mean loss and accuracy in eval mode.

use kiln_runtime::loss::{metrics::argmax_rows, Loss};
use kiln_runtime::network::Network;
use kiln_runtime::Result;

use crate::data::Dataset;

/// Loss and accuracy over a data set.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Evaluation {
    pub loss: f64,
    pub accuracy: f64,
}

/// Evaluates a classifier (a network whose loss takes class labels) in eval mode.
pub fn evaluate_classifier<N>(net: &N, data: &Dataset, batch: usize) -> Result<Evaluation>
where
    N: Network<f32>,
    N::Loss: Loss<f32, Target = [usize]>,
{
    let mut scratch = net.new_scratch();
    let mut out = Vec::new();
    let (mut loss, mut correct) = (0.0f64, 0usize);
    for (x, labels) in data.batches(batch) {
        out.resize(labels.len() * N::OUTPUT, 0.0);
        net.forward_flat(x, &mut out, &mut scratch)?;
        loss += net.loss_fn().loss(&out, N::OUTPUT, labels)? as f64 * labels.len() as f64;
        let pred = argmax_rows(&out, N::OUTPUT)?;
        correct += pred.iter().zip(labels).filter(|(p, l)| p == l).count();
    }
    let n = data.len().max(1) as f64;
    Ok(Evaluation {
        loss: loss / n,
        accuracy: correct as f64 / n,
    })
}
