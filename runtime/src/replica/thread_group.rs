//! [`Collective`] for replicas that are threads of one process: each sum is one rendezvous
//! on a mutex, where the last replica to arrive adds the parts in rank order.

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use crate::collective::{add_in_rank_order, Collective};

/// The sums across `n` thread replicas. A replica whose pass fails calls
/// [`ThreadGroup::abort`], which releases the others from every sum until
/// [`ThreadGroup::reset`], so a failing step returns its error instead of hanging.
#[derive(Debug)]
pub struct ThreadGroup {
    n: usize,
    state: Mutex<Round>,
    done: Condvar,
}

#[derive(Debug, Default)]
struct Round {
    parts: Vec<Vec<f64>>,
    arrived: usize,
    /// Rounds completed; a waiter leaves when it moves on.
    generation: u64,
    total: Vec<f64>,
    aborted: bool,
    /// The replica that aborted first: its error is the step's, the others' are knock-on.
    first_abort: Option<usize>,
}

impl ThreadGroup {
    /// A group of `n` replicas.
    pub fn new(n: usize) -> Self {
        ThreadGroup {
            n,
            state: Mutex::new(Round {
                parts: vec![Vec::new(); n],
                ..Round::default()
            }),
            done: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Round> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Releases every replica waiting in a sum, now and until [`ThreadGroup::reset`]; `rank`
    /// is the replica that failed.
    pub fn abort(&self, rank: usize) {
        let mut r = self.lock();
        r.aborted = true;
        r.first_abort.get_or_insert(rank);
        drop(r);
        self.done.notify_all();
    }

    /// The replica whose failure aborted the group first, if one did since the last reset.
    pub fn first_abort(&self) -> Option<usize> {
        self.lock().first_abort
    }

    /// Makes the group usable again after an abort (call it while no replica runs).
    pub fn reset(&self) {
        let mut r = self.lock();
        r.aborted = false;
        r.first_abort = None;
        r.arrived = 0;
    }
}

impl Collective for ThreadGroup {
    fn replicas(&self) -> usize {
        self.n
    }

    fn sum(&self, rank: usize, v: &mut [f64]) {
        let mut r = self.lock();
        if r.aborted {
            return;
        }
        r.parts[rank].clear();
        r.parts[rank].extend_from_slice(v);
        r.arrived += 1;
        if r.arrived == self.n {
            let Round { parts, total, .. } = &mut *r;
            total.resize(v.len(), 0.0);
            add_in_rank_order(parts.iter().map(Vec::as_slice), total);
            r.arrived = 0;
            r.generation += 1;
            self.done.notify_all();
        } else {
            let generation = r.generation;
            while r.generation == generation && !r.aborted {
                r = self.done.wait(r).unwrap_or_else(PoisonError::into_inner);
            }
            if r.aborted {
                return;
            }
        }
        // The total stays until every replica of this round has arrived at the next one.
        v.copy_from_slice(&r.total[..v.len()]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_replica_gets_the_rank_ordered_sum() {
        let g = ThreadGroup::new(3);
        let results: Vec<Vec<f64>> = std::thread::scope(|s| {
            let hs: Vec<_> = (0..3)
                .map(|rank| {
                    let g = &g;
                    s.spawn(move || {
                        let mut out = Vec::new();
                        for round in 0..50 {
                            let mut v = [rank as f64 + round as f64, 0.1 * rank as f64];
                            g.sum(rank, &mut v);
                            out.extend(v);
                        }
                        out
                    })
                })
                .collect();
            hs.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for (round, pair) in results[0].chunks(2).enumerate() {
            assert_eq!(pair[0], 3.0 * round as f64 + 3.0);
            assert_eq!(pair[1], (0.0 + 0.1) + 0.2);
        }
        assert!(results.iter().all(|r| *r == results[0]));
    }

    #[test]
    fn abort_releases_the_waiters() {
        let g = ThreadGroup::new(2);
        std::thread::scope(|s| {
            let h = s.spawn(|| {
                let mut v = [1.0];
                g.sum(0, &mut v);
                v[0]
            });
            g.abort(1);
            assert_eq!(h.join().unwrap(), 1.0, "left as it was");
        });
        assert_eq!(g.first_abort(), Some(1));
        g.reset();
        assert_eq!(g.first_abort(), None);
    }
}
