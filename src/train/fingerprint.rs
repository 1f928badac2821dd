//! A training set's fingerprint, kept in training checkpoints so a run resumes only on the
//! data it was trained on: its size and shape, and a hash of every feature and target.

use kiln_runtime::float::Float;

use super::{TargetKind, TrainError};
use crate::data::Samples;

/// Samples hashed per gathered chunk (bounds the memory the hashing needs).
const CHUNK: usize = 1024;

/// `samples=N width=W steps=S hash=<16 hex digits>`: FNV-1a over the bits of every feature
/// and target, in sample order. One pass over the data.
pub(super) fn fingerprint<T: Float, Y: TargetKind>(
    data: &dyn Samples<T, Y>,
) -> Result<String, TrainError> {
    let mut hash = Fnv::new();
    let (mut x, mut targets) = (Vec::new(), Vec::new());
    let order: Vec<usize> = (0..data.len()).collect();
    for idx in order.chunks(CHUNK) {
        data.gather(idx, &mut x, &mut targets)?;
        x.iter().for_each(|v| hash.add(v.to_f64().to_bits()));
        targets.iter().for_each(|y| hash.add(y.bits()));
    }
    Ok(format!(
        "samples={} width={} steps={} hash={:016x}",
        data.len(),
        data.width(),
        data.steps(),
        hash.0
    ))
}

/// 64-bit FNV-1a over 8-byte words.
struct Fnv(u64);

impl Fnv {
    fn new() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }

    fn add(&mut self, word: u64) {
        for b in word.to_le_bytes() {
            self.0 = (self.0 ^ b as u64).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Dataset;

    fn digits(n: usize) -> Dataset {
        Dataset {
            features: (0..n * 4).map(|i| (i % 7) as f32).collect(),
            labels: (0..n).map(|i| i % 3).collect(),
            width: 4,
        }
    }

    #[test]
    fn differs_when_any_value_label_or_size_differs() {
        let base = fingerprint::<f32, usize>(&digits(3000)).unwrap();
        assert_eq!(base, fingerprint::<f32, usize>(&digits(3000)).unwrap());
        assert!(base.starts_with("samples=3000 width=4 steps=1 hash="));
        let mut d = digits(3000);
        d.features[2500 * 4] += 0.5;
        assert_ne!(base, fingerprint::<f32, usize>(&d).unwrap());
        let mut d = digits(3000);
        d.labels[2999] = 0;
        assert_ne!(base, fingerprint::<f32, usize>(&d).unwrap());
        assert_ne!(base, fingerprint::<f32, usize>(&digits(2999)).unwrap());
    }
}
