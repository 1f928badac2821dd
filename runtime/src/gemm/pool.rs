//! A persistent pool of GEMM worker threads, started lazily on the first large product.
//!
//! Work is handed over through a per-worker `Mutex`/`Condvar` slot holding a plain function
//! pointer and a data pointer, so dispatch allocates nothing; idle workers sleep on the
//! condition variable. One product uses the pool at a time: a call that finds it busy (another
//! user thread is multiplying) runs single-threaded instead of waiting.

use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock, PoisonError};

/// Upper bound on `KILN_NUM_THREADS`, so a typo cannot spawn thousands of threads.
const MAX_THREADS: usize = 64;

/// Threads a product may use: `KILN_NUM_THREADS` if set to a positive integer, else the
/// machine's available parallelism. Read once.
pub(crate) fn max_threads() -> usize {
    *max_threads_cell().get_or_init(|| {
        std::env::var("KILN_NUM_THREADS")
            .ok()
            .and_then(|s| s.trim().parse::<usize>().ok())
            .filter(|&t| t > 0)
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
            .min(MAX_THREADS)
    })
}

/// Caps the threads a product may use at `n` (at least 1) for the rest of the process, when
/// `KILN_NUM_THREADS` is not set and no product has run yet: for several processes sharing a
/// machine (data-parallel training across processes), so they do not oversubscribe its
/// cores. Returns whether the cap took effect.
pub fn limit_threads(n: usize) -> bool {
    if std::env::var_os("KILN_NUM_THREADS").is_some() {
        return false;
    }
    let cap = n.clamp(1, MAX_THREADS);
    max_threads_cell().set(cap).is_ok()
}

fn max_threads_cell() -> &'static OnceLock<usize> {
    static THREADS: OnceLock<usize> = OnceLock::new();
    &THREADS
}

std::thread_local! {
    /// Set while [`serial`] runs: this thread's products and batch parts do not use the pool.
    static SERIAL: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f` with every product and batch split on this thread single-threaded: for threads
/// that are themselves one of several running side by side (data-parallel replicas), so
/// they do not also compete for the worker pool.
pub fn serial<R>(f: impl FnOnce() -> R) -> R {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            SERIAL.with(|s| s.set(self.0));
        }
    }
    let _restore = Restore(SERIAL.with(|s| s.replace(true)));
    f()
}

/// A unit of work: run `run(data, part)`.
#[derive(Clone, Copy)]
struct Task {
    run: unsafe fn(*const (), usize),
    data: *const (),
    part: usize,
}

// SAFETY: a `Task` only travels to a worker inside `try_parallel`, whose caller guarantees
// that `run(data, part)` may execute on another thread while the caller waits for it.
unsafe impl Send for Task {}

#[derive(Default)]
struct Slot {
    task: Option<Task>,
    /// The last task handed over has finished.
    done: bool,
    /// ... by panicking.
    panicked: bool,
}

/// One worker thread's mailbox.
#[derive(Default)]
struct Worker {
    slot: Mutex<Slot>,
    /// Signalled when a task is posted.
    posted: Condvar,
    /// Signalled when a task has finished.
    finished: Condvar,
    /// Mirror of `slot.done` the caller can poll briefly before sleeping.
    done: AtomicBool,
    /// Mirror of `slot.task.is_some()` the worker polls briefly before sleeping.
    pending: AtomicBool,
}

/// How long an idle worker polls for the next task before sleeping: the products of a
/// recurrent layer's time steps come tens of microseconds apart, and a sleeping worker
/// would add a wake-up latency to each (measured: 8% of an LSTM training step). Bounded so
/// a worker whose products are over goes to sleep almost at once. `KILN_GEMM_POLL_US`
/// overrides the default of 50 microseconds (0: sleep at once, for cores shared with
/// other busy processes, where polling takes time they need).
fn idle_poll() -> std::time::Duration {
    static POLL: OnceLock<std::time::Duration> = OnceLock::new();
    *POLL.get_or_init(|| {
        let us = std::env::var("KILN_GEMM_POLL_US")
            .ok()
            .and_then(|s| s.trim().parse::<u64>().ok())
            .unwrap_or(50)
            .min(100_000);
        std::time::Duration::from_micros(us)
    })
}

struct Pool {
    workers: Vec<Worker>,
    /// Workers whose threads actually started (a spawn can fail).
    started: AtomicUsize,
    /// Some product currently owns the pool.
    busy: AtomicBool,
}

fn lock(m: &Mutex<Slot>) -> MutexGuard<'_, Slot> {
    // The slot's invariants hold at every unlock, so a poisoned lock is still consistent.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The pool, created and its threads spawned on first use.
fn pool() -> &'static Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    static SPAWN: std::sync::Once = std::sync::Once::new();
    let pool = POOL.get_or_init(|| Pool {
        workers: (1..max_threads()).map(|_| Worker::default()).collect(),
        started: AtomicUsize::new(0),
        busy: AtomicBool::new(false),
    });
    SPAWN.call_once(|| {
        for (i, w) in pool.workers.iter().enumerate() {
            let spawned = std::thread::Builder::new()
                .name(format!("kiln-gemm-{}", i + 1))
                .spawn(move || worker_main(w));
            if spawned.is_err() {
                break;
            }
            pool.started.fetch_add(1, Ordering::Release);
        }
    });
    pool
}

fn worker_main(w: &'static Worker) {
    loop {
        let (polled, limit) = (std::time::Instant::now(), idle_poll());
        'poll: while !limit.is_zero() && !w.pending.load(Ordering::Acquire) {
            for _ in 0..64 {
                core::hint::spin_loop();
                if w.pending.load(Ordering::Acquire) {
                    break 'poll;
                }
            }
            if polled.elapsed() > limit {
                break;
            }
        }
        let task = {
            let mut slot = lock(&w.slot);
            loop {
                if let Some(t) = slot.task.take() {
                    w.pending.store(false, Ordering::Relaxed);
                    break t;
                }
                slot = w.posted.wait(slot).unwrap_or_else(PoisonError::into_inner);
            }
        };
        // SAFETY: `try_parallel`'s caller guarantees the task may run here, and keeps its
        // data alive until `done` is observed below.
        let ok = catch_unwind(AssertUnwindSafe(|| unsafe {
            (task.run)(task.data, task.part)
        }))
        .is_ok();
        let mut slot = lock(&w.slot);
        slot.done = true;
        slot.panicked = !ok;
        w.done.store(true, Ordering::Release);
        drop(slot);
        w.finished.notify_one();
    }
}

/// Releases the pool when the product that owns it ends (normally or by unwinding).
struct Owned<'a>(&'a Pool);

impl Drop for Owned<'_> {
    fn drop(&mut self) {
        self.0.busy.store(false, Ordering::Release);
    }
}

/// Waits for the posted tasks; on drop too, so borrowed data outlives the workers' use of it
/// even if the calling thread's own part panics.
struct Join<'a> {
    workers: &'a [Worker],
    /// Whether some worker's task panicked.
    panicked: bool,
}

impl Join<'_> {
    fn wait_all(&mut self) {
        for w in self.workers {
            // A short poll first: both halves usually finish together, and a sleeping
            // caller would add a wake-up latency to every product.
            for _ in 0..4096 {
                if w.done.load(Ordering::Acquire) {
                    break;
                }
                core::hint::spin_loop();
            }
            let mut slot = lock(&w.slot);
            while !slot.done {
                slot = w
                    .finished
                    .wait(slot)
                    .unwrap_or_else(PoisonError::into_inner);
            }
            self.panicked |= slot.panicked;
        }
        self.workers = &[];
    }
}

impl Drop for Join<'_> {
    fn drop(&mut self) {
        self.wait_all();
    }
}

/// Run `run(data, part)` for `part in 0..parts`: part 0 on the calling thread, the others on
/// pool workers, returning once all have finished. Returns `false` without running anything
/// if the pool is owned by another product or has too few threads: the caller should then do
/// the work itself.
///
/// # Panics
/// If a part panics (after every part has finished).
///
/// # Safety
/// `run(data, part)` must be safe to call for each part concurrently from different threads
/// (the parts touch disjoint outputs) for as long as this function runs.
pub(crate) unsafe fn try_parallel(
    parts: usize,
    run: unsafe fn(*const (), usize),
    data: *const (),
) -> bool {
    if parts < 2 || SERIAL.with(Cell::get) {
        return false;
    }
    let pool = pool();
    if pool.started.load(Ordering::Acquire) < parts - 1 {
        return false;
    }
    if pool
        .busy
        .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
        .is_err()
    {
        return false;
    }
    let _owned = Owned(pool);
    let workers = &pool.workers[..parts - 1];
    for (i, w) in workers.iter().enumerate() {
        let mut slot = lock(&w.slot);
        *slot = Slot {
            task: Some(Task {
                run,
                data,
                part: i + 1,
            }),
            done: false,
            panicked: false,
        };
        w.done.store(false, Ordering::Relaxed);
        w.pending.store(true, Ordering::Release);
        drop(slot);
        w.posted.notify_one();
    }
    let mut join = Join {
        workers,
        panicked: false,
    };
    // SAFETY: caller contract.
    unsafe { run(data, 0) };
    join.wait_all();
    if join.panicked {
        panic!("kiln gemm: a worker thread panicked");
    }
    true
}

/// [`try_parallel`] for a closure: `f(part)` for `part in 0..parts`, part 0 on the caller.
/// Returns `false`, having run nothing, when the pool is busy or too small. Layers use it to
/// split a batch into parts whose own products then run single-threaded.
pub(crate) fn try_parallel_fn(parts: usize, f: &(dyn Fn(usize) + Sync)) -> bool {
    /// # Safety
    /// `data` points to a live `&(dyn Fn(usize) + Sync)`.
    unsafe fn call(data: *const (), part: usize) {
        // SAFETY: `try_parallel_fn` passes a pointer to its local reference, alive until
        // every part has been joined.
        let f = unsafe { *data.cast::<&(dyn Fn(usize) + Sync)>() };
        f(part);
    }
    let data: *const &(dyn Fn(usize) + Sync) = &f;
    // SAFETY: `f` is `Sync`, so calling it from several threads at once is sound, and it
    // outlives the call since `try_parallel` joins every part before returning.
    unsafe { try_parallel(parts, call, data.cast()) }
}
