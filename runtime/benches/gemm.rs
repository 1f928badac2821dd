//! GEMM throughput of kiln's own `gemm` next to `matrixmultiply` (threading on), for square
//! products and the shapes of a 784-256-128-10 MLP at batch 64 and a batch-1 layer.
//!
//! cargo bench -p kiln-runtime --bench gemm
//! (KILN_NUM_THREADS / MATMUL_NUM_THREADS limit the threads; both default to all cores.)
//! Both libraries are timed alternately in the same run, so compare the ratio column.

use std::hint::black_box;
use std::time::Instant;

use kiln_runtime::gemm::{gemm, Trans};
use kiln_runtime::Float;

/// `matrixmultiply`'s entry point for one element type.
trait Mm: Float {
    #[allow(clippy::too_many_arguments)]
    unsafe fn mm(
        m: usize,
        k: usize,
        n: usize,
        a: *const Self,
        rsa: isize,
        csa: isize,
        b: *const Self,
        rsb: isize,
        csb: isize,
        c: *mut Self,
        rsc: isize,
    );
}

macro_rules! impl_mm {
    ($t:ty, $f:ident) => {
        impl Mm for $t {
            unsafe fn mm(
                m: usize,
                k: usize,
                n: usize,
                a: *const Self,
                rsa: isize,
                csa: isize,
                b: *const Self,
                rsb: isize,
                csb: isize,
                c: *mut Self,
                rsc: isize,
            ) {
                // SAFETY: forwarded from the caller.
                unsafe {
                    matrixmultiply::$f(m, k, n, 1.0, a, rsa, csa, b, rsb, csb, 0.0, c, rsc, 1)
                }
            }
        }
    };
}
impl_mm!(f32, sgemm);
impl_mm!(f64, dgemm);

/// Median seconds per call of `f` and `g`, timed in alternating batches of `inner` calls.
fn median_pair(
    repeats: usize,
    inner: usize,
    mut f: impl FnMut(),
    mut g: impl FnMut(),
) -> (f64, f64) {
    for _ in 0..inner.max(3) {
        f();
        g();
    }
    let time = |h: &mut dyn FnMut()| {
        let t = Instant::now();
        for _ in 0..inner {
            h();
        }
        t.elapsed().as_secs_f64() / inner as f64
    };
    let (mut tf, mut tg) = (Vec::new(), Vec::new());
    for _ in 0..repeats {
        tf.push(time(&mut f));
        tg.push(time(&mut g));
    }
    tf.sort_by(f64::total_cmp);
    tg.sort_by(f64::total_cmp);
    (tf[repeats / 2], tg[repeats / 2])
}

/// GFLOP/s of kiln and of matrixmultiply for `C (m x n) = op(A) op(B)` with depth `k`.
fn bench<T: Mm>(ta: Trans, tb: Trans, m: usize, k: usize, n: usize) -> (f64, f64) {
    let a: Vec<T> = (0..m * k)
        .map(|i| T::from_f64(((i % 17) as f64 - 8.0) * 0.01))
        .collect();
    let b: Vec<T> = (0..k * n)
        .map(|i| T::from_f64(((i % 13) as f64 - 6.0) * 0.01))
        .collect();
    let mut c = vec![T::ZERO; m * n];
    let mut c2 = vec![T::ZERO; m * n];
    let (lda, rsa, csa) = match ta {
        Trans::No => (k, k as isize, 1),
        Trans::Yes => (m, 1, m as isize),
    };
    let (ldb, rsb, csb) = match tb {
        Trans::No => (n, n as isize, 1),
        Trans::Yes => (k, 1, k as isize),
    };
    let flops = 2.0 * (m * n * k) as f64;
    let inner = ((1e8 / flops) as usize).clamp(1, 200_000);
    let (kiln, mm) = median_pair(
        9,
        inner,
        || {
            gemm(
                ta,
                tb,
                m,
                n,
                k,
                T::ONE,
                black_box(&a),
                lda,
                black_box(&b),
                ldb,
                T::ZERO,
                &mut c,
                n,
            )
            .unwrap();
            black_box(&c);
        },
        || {
            // SAFETY: the strides describe `a`, `b` and `c` exactly.
            unsafe {
                T::mm(
                    m,
                    k,
                    n,
                    black_box(a.as_ptr()),
                    rsa,
                    csa,
                    black_box(b.as_ptr()),
                    rsb,
                    csb,
                    c2.as_mut_ptr(),
                    n as isize,
                )
            };
            black_box(&c2);
        },
    );
    (flops / kiln / 1e9, flops / mm / 1e9)
}

fn row(label: &str, ta: Trans, tb: Trans, m: usize, k: usize, n: usize) {
    let (k32, m32) = bench::<f32>(ta, tb, m, k, n);
    let (k64, m64) = bench::<f64>(ta, tb, m, k, n);
    println!(
        "| {label} | {m}x{k}x{n} | {k32:.1} | {m32:.1} | {:.2} | {k64:.1} | {m64:.1} | {:.2} |",
        k32 / m32,
        k64 / m64
    );
}

fn main() {
    let env = |v: &str| std::env::var(v).unwrap_or_else(|_| "default".into());
    println!(
        "GEMM GFLOP/s (m x k x n), kiln vs matrixmultiply; KILN_NUM_THREADS={}, MATMUL_NUM_THREADS={}\n",
        env("KILN_NUM_THREADS"),
        env("MATMUL_NUM_THREADS")
    );
    println!("| product | m x k x n | kiln f32 | mm f32 | ratio | kiln f64 | mm f64 | ratio |");
    println!("|---|---|---|---|---|---|---|---|");
    for n in [64, 256, 1024] {
        row("A B", Trans::No, Trans::No, n, n, n);
    }
    row("A^T B", Trans::Yes, Trans::No, 256, 256, 256);
    row("A B^T", Trans::No, Trans::Yes, 256, 256, 256);
    // 784-256-128-10 MLP, batch 64: forward x W^T, backward dW = dz^T x, dx = dz W.
    row("fwd L1 x W^T", Trans::No, Trans::Yes, 64, 784, 256);
    row("fwd L2 x W^T", Trans::No, Trans::Yes, 64, 256, 128);
    row("fwd L3 x W^T", Trans::No, Trans::Yes, 64, 128, 10);
    row("bwd L1 dz^T x", Trans::Yes, Trans::No, 256, 64, 784);
    row("bwd L2 dz^T x", Trans::Yes, Trans::No, 128, 64, 256);
    row("bwd L2 dz W", Trans::No, Trans::No, 64, 128, 256);
    row("bwd L3 dz W", Trans::No, Trans::No, 64, 10, 128);
    // 16-64-64-8 MLP at batch 1.
    row("batch-1 x W^T", Trans::No, Trans::Yes, 1, 16, 64);
    row("batch-1 x W^T", Trans::No, Trans::Yes, 1, 64, 64);
}
