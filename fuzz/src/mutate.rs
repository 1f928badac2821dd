//! Byte-level mutations of fuzz inputs: bit flips, byte insertion, deletion and duplication,
//! splices with another corpus input, interesting integers written at random offsets, and
//! truncation. Driven by a caller's seeded generator, so a run is reproducible.

use crate::rng::Rng;

/// Inputs never grow past this, so mutations cannot snowball into huge inputs.
pub const MAX_LEN: usize = 1 << 16;

/// Values that tend to sit on boundaries of size and count checks.
const INTERESTING: &[u64] = &[
    0,
    1,
    2,
    0x7f,
    0x80,
    0xff,
    0x100,
    0x7fff,
    0xffff,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_ffff,
    u64::MAX,
];

/// Applies one random mutation to `input`; `other` is another corpus input for splicing.
pub fn mutate_once(rng: &mut Rng, input: &mut Vec<u8>, other: &[u8]) {
    let len = input.len();
    match rng.below(8) {
        // Flip one bit.
        0 if len > 0 => {
            let i = rng.below(len);
            input[i] ^= 1 << rng.below(8);
        }
        // Overwrite a byte with a random value.
        1 if len > 0 => {
            let i = rng.below(len);
            input[i] = rng.next_u64() as u8;
        }
        // Insert random bytes.
        2 => {
            let at = rng.below(len + 1);
            let n = 1 + rng.below(8);
            let bytes: Vec<u8> = (0..n).map(|_| rng.next_u64() as u8).collect();
            input.splice(at..at, bytes);
        }
        // Delete a run of bytes.
        3 if len > 0 => {
            let at = rng.below(len);
            let n = 1 + rng.below((len - at).min(16));
            input.drain(at..at + n);
        }
        // Duplicate a run of bytes in place.
        4 if len > 0 => {
            let at = rng.below(len);
            let n = 1 + rng.below((len - at).min(64));
            let run = input[at..at + n].to_vec();
            input.splice(at..at, run);
        }
        // Splice: our prefix, then the other input from some offset.
        5 if !other.is_empty() => {
            let cut = rng.below(len + 1);
            let from = rng.below(other.len());
            input.truncate(cut);
            input.extend_from_slice(&other[from..]);
        }
        // Write an interesting integer (1, 2, 4 or 8 bytes, either endianness).
        6 if len > 0 => {
            let v = INTERESTING[rng.below(INTERESTING.len())];
            let width = [1, 2, 4, 8][rng.below(4)];
            let bytes = if rng.next_u64() & 1 == 0 {
                v.to_le_bytes()
            } else {
                (v << (64 - 8 * width as u32).min(63)).to_be_bytes()
            };
            let at = rng.below(len);
            let n = width.min(len - at);
            input[at..at + n].copy_from_slice(&bytes[..n]);
        }
        // Truncate.
        7 if len > 0 => input.truncate(rng.below(len)),
        // The chosen mutation needs bytes the input does not have: append one.
        _ => input.push(rng.next_u64() as u8),
    }
    input.truncate(MAX_LEN);
}

/// A mutant of `input`: one to eight stacked mutations.
pub fn mutant(rng: &mut Rng, input: &[u8], other: &[u8]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..1 + rng.below(8) {
        mutate_once(rng, &mut out, other);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mutants_differ_stay_bounded_and_repeat_with_the_seed() {
        let input = b"0,1,2\n3,4,5\n".to_vec();
        let run = |seed| {
            let mut rng = Rng::new(seed);
            (0..200)
                .map(|_| mutant(&mut rng, &input, b"other"))
                .collect::<Vec<_>>()
        };
        let a = run(9);
        assert_eq!(a, run(9));
        assert_ne!(a, run(10));
        assert!(a.iter().filter(|m| **m != input).count() > 150);
        assert!(a.iter().all(|m| m.len() <= MAX_LEN));
        let mut big = vec![0u8; MAX_LEN];
        let mut rng = Rng::new(1);
        for _ in 0..100 {
            mutate_once(&mut rng, &mut big, &[1; 100]);
            assert!(big.len() <= MAX_LEN);
        }
    }
}
