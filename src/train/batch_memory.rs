//! A training batch's memory, estimated before the run from two small passes (two and four
//! samples: what the network keeps per sample and what it keeps regardless), so a batch too
//! large for the machine is refused with a typed error instead of aborting the process.

use kiln_runtime::float::Float;
use kiln_runtime::loss::Loss;
use kiln_runtime::network::Network;
use kiln_runtime::optim::Optimizer;
use kiln_runtime::restore_point::RestorePoint;

use super::{TargetKind, TrainError};
use crate::data::Samples;

/// The batch sizes of the two probe passes (batch norm needs two samples or more).
const PROBES: [usize; 2] = [2, 4];

/// Refuses a batch of `batch` samples whose training buffers would need more than `limit`
/// bytes (default: the memory the system reports available). The network is left as it was.
pub(super) fn check_batch_memory<T, Y, N>(
    net: &mut N,
    opt: &mut dyn Optimizer<T>,
    state: &mut N::Train,
    train: &dyn Samples<T, Y>,
    batch: usize,
    limit: Option<u64>,
) -> Result<(), TrainError>
where
    T: Float,
    Y: TargetKind,
    N: Network<T>,
    N::Loss: Loss<T, Target = [Y]>,
{
    let Some(limit) = limit.or_else(available_memory) else {
        return Ok(());
    };
    let batch = batch.min(train.len());
    if batch <= PROBES[1] {
        return Ok(());
    }
    // The probes move batch norm's running statistics: put them back.
    let mut point = RestorePoint::new();
    point.take(&*net, opt);
    let small = probe(net, state, train, PROBES[0]);
    let large = probe(net, state, train, PROBES[1]);
    point.restore(net, opt)?;
    let (small, large) = (small?, large?);
    let grown = large.saturating_sub(small) / (PROBES[1] - PROBES[0]);
    let input = train.steps() * train.width() * size_of::<T>();
    let per_sample = grown + input;
    // The layers' borrowed scratch stops growing with the batch once their chunks reach
    // full width (convolutions); counted as the larger probe had it.
    let fixed = small.saturating_sub(grown * PROBES[0]) + kiln_runtime::layers::scratch_bytes();
    let need = (fixed as u64).saturating_add(per_sample as u64 * batch as u64);
    if need <= limit {
        return Ok(());
    }
    let fits = (limit.saturating_sub(fixed as u64) / per_sample.max(1) as u64).max(1);
    Err(TrainError::Invalid {
        what: "batch size",
        why: format!(
            "a batch of {batch} needs about {} for training ({} per sample), more than the {} available; a batch of at most {fits} fits",
            bytes_text(need),
            bytes_text(per_sample as u64),
            bytes_text(limit)
        ),
    })
}

/// Forward, loss and backward over the first `n` samples; returns the state's buffer bytes.
fn probe<T, Y, N>(
    net: &mut N,
    state: &mut N::Train,
    train: &dyn Samples<T, Y>,
    n: usize,
) -> Result<usize, TrainError>
where
    T: Float,
    Y: TargetKind,
    N: Network<T>,
    N::Loss: Loss<T, Target = [Y]>,
{
    let idx: Vec<usize> = (0..n).collect();
    let (mut x, mut targets) = (Vec::new(), Vec::new());
    train.gather(&idx, &mut x, &mut targets)?;
    net.forward_train_flat(&x, state)?;
    let (out, d_out) = N::output_and_grad(state);
    net.loss_fn()
        .loss_and_grad(out, N::OUTPUT, &targets, d_out)?;
    net.backward_flat(&x, state, None)?;
    Ok(N::train_bytes(state))
}

/// The memory the system reports available (Linux: `MemAvailable`), if it reports any.
fn available_memory() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// `1.5 GiB`, `340 KiB`.
fn bytes_text(b: u64) -> String {
    const UNITS: [&str; 5] = ["bytes", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{b} bytes")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(bytes_text(512), "512 bytes");
        assert_eq!(bytes_text(1536), "1.5 KiB");
        assert_eq!(bytes_text(3 << 30), "3.0 GiB");
        assert!(available_memory().is_some_and(|m| m > 0));
    }
}
