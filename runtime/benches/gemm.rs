//! GEMM throughput through kiln's `gemm` (matrixmultiply, threading on) for square f32 and
//! f64 products, and the transposed forms the backward pass uses.
//!
//! cargo bench -p kiln-runtime --bench gemm     (MATMUL_NUM_THREADS=1 for one core)

use std::hint::black_box;
use std::time::Instant;

use kiln_runtime::gemm::{gemm, Trans};
use kiln_runtime::Float;

/// Median seconds of one call over `repeats` timed batches of `inner` calls.
fn median_secs(repeats: usize, inner: usize, mut f: impl FnMut()) -> f64 {
    for _ in 0..inner.max(2) {
        f();
    }
    let mut times: Vec<f64> = (0..repeats)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..inner {
                f();
            }
            t.elapsed().as_secs_f64() / inner as f64
        })
        .collect();
    times.sort_by(|a, b| a.total_cmp(b));
    times[times.len() / 2]
}

fn bench<T: Float>(n: usize, ta: Trans, tb: Trans) -> f64 {
    let a: Vec<T> = (0..n * n)
        .map(|i| T::from_f64(((i % 17) as f64 - 8.0) * 0.01))
        .collect();
    let b: Vec<T> = (0..n * n)
        .map(|i| T::from_f64(((i % 13) as f64 - 6.0) * 0.01))
        .collect();
    let mut c = vec![T::ZERO; n * n];
    let flops = 2.0 * (n * n * n) as f64;
    let inner = ((2e8 / flops) as usize).clamp(1, 10_000);
    let secs = median_secs(7, inner, || {
        gemm(
            ta,
            tb,
            n,
            n,
            n,
            T::ONE,
            black_box(&a),
            n,
            black_box(&b),
            n,
            T::ZERO,
            &mut c,
            n,
        )
        .unwrap();
        black_box(&c);
    });
    flops / secs / 1e9
}

fn main() {
    let threads =
        std::env::var("MATMUL_NUM_THREADS").unwrap_or_else(|_| "default (all cores)".into());
    println!("GEMM GFLOP/s, C = A B (square n x n), matrixmultiply threads: {threads}\n");
    println!("| n | f32 A B | f32 A^T B | f32 A B^T | f64 A B |");
    println!("|---|---|---|---|---|");
    for n in [64, 256, 1024] {
        println!(
            "| {n} | {:.1} | {:.1} | {:.1} | {:.1} |",
            bench::<f32>(n, Trans::No, Trans::No),
            bench::<f32>(n, Trans::Yes, Trans::No),
            bench::<f32>(n, Trans::No, Trans::Yes),
            bench::<f64>(n, Trans::No, Trans::No),
        );
    }
}
