//! GEMM against a naive product on the shapes the conv and dense layers of LeNet-5 and the
//! MLP workloads use, every transpose form, with beta 0 and 1 (layers accumulate into C).

use kiln_runtime::gemm::{gemm, Trans};

#[allow(clippy::too_many_arguments)]
fn naive(
    ta: Trans,
    tb: Trans,
    m: usize,
    n: usize,
    k: usize,
    a: &[f64],
    b: &[f64],
    beta: f64,
    c0: &[f64],
) -> Vec<f64> {
    let mut c: Vec<f64> = c0.iter().map(|v| v * beta).collect();
    for i in 0..m {
        for j in 0..n {
            let mut s = 0.0;
            for p in 0..k {
                let x = if ta == Trans::No {
                    a[i * k + p]
                } else {
                    a[p * m + i]
                };
                let y = if tb == Trans::No {
                    b[p * n + j]
                } else {
                    b[j * k + p]
                };
                s += x * y;
            }
            c[i * n + j] += s;
        }
    }
    c
}

#[test]
fn layer_shapes_match_naive() {
    let shapes = [
        (6, 784, 25),
        (16, 100, 150),
        (6, 25, 784),
        (25, 784, 6),
        (150, 100, 16),
        (64, 120, 400),
        (400, 120, 64),
        (64, 400, 120),
        (64, 256, 784),
        (256, 784, 64),
        (1, 64, 16),
        (3, 128, 64),
        (33, 517, 129),
    ];
    for &(m, n, k) in &shapes {
        for ta in [Trans::No, Trans::Yes] {
            for tb in [Trans::No, Trans::Yes] {
                for beta in [0.0, 1.0] {
                    let a: Vec<f64> = (0..m * k)
                        .map(|i| ((i * 31 % 19) as f64 - 9.0) / 7.0)
                        .collect();
                    let b: Vec<f64> = (0..k * n)
                        .map(|i| ((i * 17 % 23) as f64 - 11.0) / 5.0)
                        .collect();
                    let c0: Vec<f64> = (0..m * n).map(|i| ((i * 13 % 7) as f64) - 3.0).collect();
                    let lda = if ta == Trans::No { k } else { m };
                    let ldb = if tb == Trans::No { n } else { k };
                    let want = naive(ta, tb, m, n, k, &a, &b, beta, &c0);
                    let mut c = c0.clone();
                    gemm(ta, tb, m, n, k, 1.0, &a, lda, &b, ldb, beta, &mut c, n).unwrap();
                    for (i, (x, y)) in c.iter().zip(&want).enumerate() {
                        assert!(
                            (x - y).abs() <= 1e-9 * y.abs().max(1.0),
                            "f64 {m}x{n}x{k} {ta:?} {tb:?} beta {beta} at {i}: {x} vs {y}"
                        );
                    }
                    let a32: Vec<f32> = a.iter().map(|&v| v as f32).collect();
                    let b32: Vec<f32> = b.iter().map(|&v| v as f32).collect();
                    let mut c32: Vec<f32> = c0.iter().map(|&v| v as f32).collect();
                    gemm(
                        ta,
                        tb,
                        m,
                        n,
                        k,
                        1.0,
                        &a32,
                        lda,
                        &b32,
                        ldb,
                        beta as f32,
                        &mut c32,
                        n,
                    )
                    .unwrap();
                    for (i, (x, y)) in c32.iter().zip(&want).enumerate() {
                        assert!(
                            (*x as f64 - y).abs() <= 2e-4 * y.abs().max(1.0) * (k as f64).sqrt(),
                            "f32 {m}x{n}x{k} {ta:?} {tb:?} beta {beta} at {i}: {x} vs {y}"
                        );
                    }
                }
            }
        }
    }
}
