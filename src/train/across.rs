//! What a run across processes exchanges besides gradients: every process's outputs and
//! targets of a batch (so each counts the metrics of the whole batch, in rank order, as one
//! process would), and decisions only process 0 makes.

use kiln_runtime::float::Float;
use kiln_runtime::processes::Processes;

use super::{TargetKind, TrainError};

/// One process's outputs of a batch, with their targets and the loss over them.
pub(super) struct PartOutputs<T, Y> {
    pub loss: f64,
    pub out: Vec<T>,
    pub targets: Vec<Y>,
}

/// Every process's `(loss, out, targets)`, in rank order.
pub(super) fn gather_outputs<T: Float, Y: TargetKind>(
    processes: &dyn Processes,
    loss: f64,
    out: &[T],
    targets: &[Y],
) -> Result<Vec<PartOutputs<T, Y>>, TrainError> {
    let mut bytes = Vec::with_capacity(16 + 8 * (out.len() + targets.len()));
    bytes.extend(loss.to_le_bytes());
    bytes.extend((out.len() as u64).to_le_bytes());
    bytes.extend(out.iter().flat_map(|v| v.to_f64().to_le_bytes()));
    bytes.extend(targets.iter().flat_map(|y| y.bits().to_le_bytes()));
    processes
        .gather_bytes(&bytes)
        .iter()
        .map(|b| decode(b).ok_or_else(garbled))
        .collect()
}

fn decode<T: Float, Y: TargetKind>(bytes: &[u8]) -> Option<PartOutputs<T, Y>> {
    let mut words = bytes
        .chunks_exact(8)
        .map(|w| u64::from_le_bytes(w.try_into().expect("8 bytes")));
    let loss = f64::from_bits(words.next()?);
    let n = usize::try_from(words.next()?).ok()?;
    let out = words
        .by_ref()
        .take(n)
        .map(|w| T::from_f64(f64::from_bits(w)))
        .collect::<Vec<_>>();
    (out.len() == n).then_some(())?;
    let targets = words.map(Y::from_bits).collect();
    Some(PartOutputs { loss, out, targets })
}

fn garbled() -> TrainError {
    TrainError::Invalid {
        what: "data-parallel run",
        why: "a process sent outputs this one cannot read (are all processes running the same program?)".into(),
    }
}

/// Process 0's `verdict` on every process: `Err` carries process 0's error message to the
/// others (whose own result is then that error), so they stop together.
pub(super) fn agree(
    processes: &dyn Processes,
    verdict: Result<bool, TrainError>,
) -> Result<bool, TrainError> {
    let bytes = verdict.map(|v| vec![u8::from(v)]);
    from_process_0(processes, bytes, "data-parallel run", "process 0 stopped").map(|b| b == [1])
}

/// The bytes of the file at `path`: read by process 0 and sent to the others (which may not
/// see its file system); read directly without processes.
pub(super) fn read_shared(
    processes: Option<&dyn Processes>,
    path: &std::path::Path,
) -> Result<Vec<u8>, TrainError> {
    let read = || {
        std::fs::read(path).map_err(|source| {
            TrainError::from(crate::checkpoint::CheckpointError::Io {
                file: path.display().to_string(),
                source,
            })
        })
    };
    let Some(p) = processes else { return read() };
    let mine = if p.rank() == 0 {
        read()
    } else {
        Ok(Vec::new())
    };
    let failed = "process 0 could not read it";
    from_process_0(p, mine, "checkpoint to resume", failed)
}

/// Process 0's `result` on every process (the others' is not read): its bytes, or its
/// error, which the others report as an invalid `what`, "`failed`: <process 0's message>".
fn from_process_0(
    processes: &dyn Processes,
    result: Result<Vec<u8>, TrainError>,
    what: &'static str,
    failed: &str,
) -> Result<Vec<u8>, TrainError> {
    let mut bytes = match &result {
        Ok(b) => [&[0u8][..], b].concat(),
        Err(e) => [&[2u8][..], e.to_string().as_bytes()].concat(),
    };
    processes.broadcast_bytes(&mut bytes);
    if processes.rank() == 0 {
        return result;
    }
    match bytes.split_first() {
        Some((0, b)) => Ok(b.to_vec()),
        Some((2, why)) => Err(TrainError::Invalid {
            what,
            why: format!("{failed}: {}", String::from_utf8_lossy(why)),
        }),
        _ => Err(garbled()),
    }
}
