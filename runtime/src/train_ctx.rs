//! What a training forward pass draws from besides its input: the random generator (dropout
//! masks) and, in data-parallel training, the replica's place in the global batch, so that
//! dropout draws each sample's mask as the single-process run would and batch norm
//! normalises with the statistics of the whole global batch (synchronised batch norm).

use std::sync::Arc;

use crate::collective::Collective;
use crate::rng::{seeded, KilnRng};

/// One replica's part of a data-parallel step's global batch.
#[derive(Clone)]
pub struct Shard {
    /// This replica's rank, `0..sync.replicas()`.
    pub rank: usize,
    /// The first of its samples (sequences, in a sequence network) in the global batch.
    pub offset: usize,
    /// Its samples.
    pub samples: usize,
    /// Samples of the global batch.
    pub global: usize,
    /// The sums across replicas.
    pub sync: Arc<dyn Collective>,
}

impl core::fmt::Debug for Shard {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "Shard {{ rank: {}, samples {}..{} of {} }}",
            self.rank,
            self.offset,
            self.offset + self.samples,
            self.global
        )
    }
}

impl Shard {
    /// Element-wise sum of `v` across the replicas (see [`Collective::sum`]).
    pub fn sum(&self, v: &mut [f64]) {
        self.sync.sum(self.rank, v);
    }
}

/// The training pass's random generator and, in data-parallel training, its [`Shard`].
/// Dereferences to the generator, so a layer draws with `rng.random::<f64>()` as before.
#[derive(Debug, Clone)]
pub struct TrainCtx {
    rng: KilnRng,
    shard: Option<Shard>,
}

impl TrainCtx {
    /// A single-process context seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        TrainCtx {
            rng: seeded(seed),
            shard: None,
        }
    }

    /// Restarts the generator from `seed`, keeping the shard.
    pub fn reseed(&mut self, seed: u64) {
        self.rng = seeded(seed);
    }

    /// The replica's part of the global batch, in data-parallel training.
    pub fn shard(&self) -> Option<&Shard> {
        self.shard.as_ref()
    }

    /// Sets (or clears) the replica's part of the global batch for the next passes.
    pub fn set_shard(&mut self, shard: Option<Shard>) {
        self.shard = shard;
    }

    /// Calls `draw(row, rng)` for each of the pass's `rows` rows, where each row takes
    /// exactly `per_row` `u64`s from the generator, and leaves the generator where the
    /// single-process pass over the global batch would leave it. Rows are `[steps, samples]`
    /// time-major (a feed-forward pass has one step); with a shard, row `(t, j)` gets the
    /// draws of global row `t * global + offset + j`, so every sample's draws are the ones
    /// it gets in a single-process run, however the batch is split.
    pub fn draw_rows(
        &mut self,
        rows: usize,
        per_row: usize,
        mut draw: impl FnMut(usize, &mut KilnRng),
    ) {
        let Some(s) = self.shard.as_ref().filter(|s| s.samples > 0) else {
            (0..rows).for_each(|r| draw(r, &mut self.rng));
            return;
        };
        let steps = rows / s.samples;
        debug_assert_eq!(steps * s.samples, rows, "rows are steps x samples");
        // ChaCha counts 32-bit words; a u64 takes two.
        let words = 2 * per_row as u128;
        let base = self.rng.get_word_pos();
        for t in 0..steps {
            let first = (t * s.global + s.offset) as u128;
            self.rng.set_word_pos(base + first * words);
            for j in 0..s.samples {
                draw(t * s.samples + j, &mut self.rng);
            }
        }
        self.rng
            .set_word_pos(base + (steps * s.global) as u128 * words);
    }
}

impl core::ops::Deref for TrainCtx {
    type Target = KilnRng;
    fn deref(&self) -> &KilnRng {
        &self.rng
    }
}

impl core::ops::DerefMut for TrainCtx {
    fn deref_mut(&mut self) -> &mut KilnRng {
        &mut self.rng
    }
}

impl From<KilnRng> for TrainCtx {
    fn from(rng: KilnRng) -> Self {
        TrainCtx { rng, shard: None }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngCore;

    struct Alone;
    impl Collective for Alone {
        fn replicas(&self) -> usize {
            2
        }
        fn sum(&self, _rank: usize, _v: &mut [f64]) {}
    }

    /// Rows drawn by two shards equal the rows of one single-process pass, and both leave
    /// the generator where it does.
    #[test]
    fn shards_draw_the_global_rows() {
        let (steps, global, per_row) = (3, 5, 7);
        let mut whole = TrainCtx::new(9);
        let mut expected = vec![0u64; steps * global * per_row];
        whole.draw_rows(steps * global, per_row, |r, g| {
            for k in 0..per_row {
                expected[r * per_row + k] = g.next_u64();
            }
        });
        let after = whole.next_u64();
        for (offset, samples) in [(0, 2), (2, 3)] {
            let mut ctx = TrainCtx::new(9);
            ctx.set_shard(Some(Shard {
                rank: usize::from(offset > 0),
                offset,
                samples,
                global,
                sync: Arc::new(Alone),
            }));
            let mut got = Vec::new();
            ctx.draw_rows(steps * samples, per_row, |_, g| {
                got.extend((0..per_row).map(|_| g.next_u64()))
            });
            for t in 0..steps {
                for j in 0..samples {
                    let (l, g) = (t * samples + j, t * global + offset + j);
                    assert_eq!(
                        got[l * per_row..(l + 1) * per_row],
                        expected[g * per_row..(g + 1) * per_row]
                    );
                }
            }
            assert_eq!(ctx.next_u64(), after);
        }
    }
}
