//! TEMPORARY stub.
pub type KilnRng = rand_chacha::ChaCha8Rng;
pub fn seeded(seed: u64) -> KilnRng { use rand::SeedableRng; KilnRng::seed_from_u64(seed) }
pub fn uniform<T: crate::Float>(rng: &mut KilnRng, lo: f64, hi: f64) -> T { use rand::Rng; T::from_f64(lo + (hi - lo) * rng.random::<f64>()) }
