//! Property tests: kiln's kernels against naive references over random shapes, strides and
//! values (proptest shrinks any failure to a minimal case): GEMM (every transpose, leading
//! dimensions wider than the matrix, alpha/beta), the SIMD activations (every width, so
//! every tail), softmax, and convolution/pooling (the im2col + GEMM layers against the
//! direct batch-1 kernels, several shapes, random values).

use kiln_runtime::activation::Activation;
use kiln_runtime::fixed;
use kiln_runtime::layers::{AvgPool2d, Conv2d, Layer, MaxPool2d};
use kiln_runtime::softmax::softmax_rows;
use kiln_runtime::{gemm, Trans};
use proptest::prelude::*;

/// `C = alpha op(A) op(B) + beta C` by the definition, in f64.
#[allow(clippy::too_many_arguments)]
fn naive(
    ta: bool,
    tb: bool,
    m: usize,
    n: usize,
    k: usize,
    alpha: f64,
    a: &[f64],
    lda: usize,
    b: &[f64],
    ldb: usize,
    beta: f64,
    c: &mut [f64],
    ldc: usize,
) {
    for i in 0..m {
        for j in 0..n {
            let mut s = 0.0;
            for p in 0..k {
                let av = if ta { a[p * lda + i] } else { a[i * lda + p] };
                let bv = if tb { b[j * ldb + p] } else { b[p * ldb + j] };
                s += av * bv;
            }
            c[i * ldc + j] = alpha * s + beta * c[i * ldc + j];
        }
    }
}

fn values(n: usize) -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(-1.0f64..1.0, n)
}

proptest! {
    // A fixed seed: the same cases in every run, so a failure reproduces.
    #![proptest_config(ProptestConfig {
        cases: 200,
        rng_seed: proptest::test_runner::RngSeed::Fixed(20261203),
        ..ProptestConfig::default()
    })]

    #[test]
    fn gemm_matches_the_definition(
        (m, n, k) in (1usize..48, 1usize..48, 1usize..48),
        ta in any::<bool>(), tb in any::<bool>(),
        pad in (0usize..5, 0usize..5, 0usize..5),
        alpha in -2.0f64..2.0, beta in prop_oneof![Just(0.0), -1.0f64..1.0],
        seed in any::<u64>(),
    ) {
        let (ar, ac) = if ta { (k, m) } else { (m, k) };
        let (br, bc) = if tb { (n, k) } else { (k, n) };
        let (lda, ldb, ldc) = (ac + pad.0, bc + pad.1, n + pad.2);
        let mut r = seed;
        let mut next = || { r = r.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407); ((r >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0 };
        let a: Vec<f64> = (0..ar * lda).map(|_| next()).collect();
        let b: Vec<f64> = (0..br * ldb).map(|_| next()).collect();
        let c0: Vec<f64> = (0..m * ldc).map(|_| next()).collect();
        let mut want = c0.clone();
        naive(ta, tb, m, n, k, alpha, &a, lda, &b, ldb, beta, &mut want, ldc);
        let t = |x: bool| if x { Trans::Yes } else { Trans::No };
        let mut got = c0.clone();
        gemm(t(ta), t(tb), m, n, k, alpha, &a, lda, &b, ldb, beta, &mut got, ldc).unwrap();
        for i in 0..m {
            for j in 0..n {
                let (g, w) = (got[i * ldc + j], want[i * ldc + j]);
                prop_assert!((g - w).abs() <= 1e-12 * (1.0 + w.abs()) * k as f64, "f64 ({i},{j}): {g} vs {w}");
            }
            // Padding columns of C are never written.
            for j in n..ldc {
                prop_assert_eq!(got[i * ldc + j], c0[i * ldc + j]);
            }
        }
        let f = |v: &[f64]| v.iter().map(|&x| x as f32).collect::<Vec<f32>>();
        let mut got32 = f(&c0);
        gemm(t(ta), t(tb), m, n, k, alpha as f32, &f(&a), lda, &f(&b), ldb, beta as f32, &mut got32, ldc).unwrap();
        for i in 0..m {
            for j in 0..n {
                let (g, w) = (got32[i * ldc + j] as f64, want[i * ldc + j]);
                prop_assert!((g - w).abs() <= 1e-5 * (1.0 + w.abs()) * (k as f64).sqrt(), "f32 ({i},{j}): {g} vs {w}");
            }
        }
    }

    #[test]
    fn activations_match_their_f64_definition_at_every_width(
        x in prop::collection::vec(-12.0f64..12.0, 0..200),
        which in 0usize..13,
    ) {
        let acts = [
            Activation::Identity, Activation::Sigmoid, Activation::Tanh, Activation::Relu,
            Activation::leaky_relu(0.1).unwrap(), Activation::elu(0.7).unwrap(),
            Activation::Softplus, Activation::HardSigmoid, Activation::HardSigmoidTorch,
            Activation::HardTanh, Activation::Gelu, Activation::GeluTanh, Activation::Swish,
        ];
        let act = acts[which];
        let mut y64 = x.clone();
        act.forward(&mut y64);
        let mut y32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
        act.forward(&mut y32);
        for (i, (&a, &b)) in y32.iter().zip(&y64).enumerate() {
            // f32 input rounding moves the value by up to |f'| * 6e-8 * |x|.
            let tol = 2e-6 * (1.0 + b.abs()) + 1e-6 * x[i].abs();
            prop_assert!((a as f64 - b).abs() <= tol, "{} at {}: f32 {a} vs f64 {b}", act.name(), x[i]);
        }
        // Backward: the derivative against central differences of the f64 forward.
        let mut d = vec![1.0; x.len()];
        act.backward(&x, &y64, &mut d);
        for (i, &xi) in x.iter().enumerate() {
            let h = 1e-6;
            let (mut p, mut q) = ([xi + h], [xi - h]);
            act.forward(&mut p);
            act.forward(&mut q);
            let fd = (p[0] - q[0]) / (2.0 * h);
            // Kinks (ReLU-like at 0, hard clips) have no derivative: skip points next to them.
            let near_kink = [0.0, -2.5, 2.5, -3.0, 3.0, -1.0, 1.0].iter().any(|k| (xi - k).abs() < 1e-5);
            if !near_kink {
                prop_assert!((d[i] - fd).abs() <= 1e-5 * (1.0 + fd.abs()), "{} d/dx at {xi}: {} vs {fd}", act.name(), d[i]);
            }
        }
    }

    #[test]
    fn softmax_rows_are_the_normalised_exponentials(
        (rows, width) in (1usize..8, 1usize..70),
        scale in 0.1f64..60.0,
        seed in any::<u64>(),
    ) {
        let mut r = seed;
        let x: Vec<f64> = (0..rows * width).map(|_| { r = r.wrapping_mul(6364136223846793005).wrapping_add(1); ((r >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * scale }).collect();
        let mut y = x.clone();
        softmax_rows(&mut y, width).unwrap();
        for (xr, yr) in x.chunks(width).zip(y.chunks(width)) {
            let m = xr.iter().cloned().fold(f64::MIN, f64::max);
            let z: f64 = xr.iter().map(|v| (v - m).exp()).sum();
            for (a, b) in yr.iter().zip(xr) {
                let want = (b - m).exp() / z;
                prop_assert!((a - want).abs() <= 1e-13, "{a} vs {want}");
            }
            prop_assert!((yr.iter().sum::<f64>() - 1.0).abs() <= 1e-12);
        }
    }

    #[test]
    fn convolution_and_pooling_match_the_direct_kernels(
        x in values(3 * 9 * 8),
        w in values(4 * 3 * 3 * 3),
        bias in values(4),
    ) {
        // im2col + GEMM (training layers) against the direct batch-1 loops, with stride and
        // padding, on random values; two samples per batch to cover the batched path.
        let mut conv = Conv2d::<f64, 3, 9, 8, 4, 3, 3, 2, 2, 1, 1, 5, 4>::new(
            true, Activation::Identity, kiln_runtime::init::Init::Constant(0.0),
            &mut kiln_runtime::rng::seeded(0),
        ).unwrap();
        conv.visit_params_mut(&mut |i, _, v| v.copy_from_slice(if i == 0 { &w } else { &bias }));
        let mut direct = fixed::Conv2d::<f64, 3, 4, 3, 3>::ZERO;
        direct.weight.as_flattened_mut().as_flattened_mut().as_flattened_mut().copy_from_slice(&w);
        direct.bias.copy_from_slice(&bias);
        let two: Vec<f64> = x.iter().chain(x.iter().rev()).copied().collect();
        let mut got = vec![0.0; 2 * 4 * 5 * 4];
        conv.forward(&two, &mut got, 2, &mut Default::default());
        for (s, sample) in two.chunks(3 * 9 * 8).enumerate() {
            let mut want = [0.0; 4 * 5 * 4];
            direct.forward::<9, 8, 2, 2, 1, 1, 5, 4>(sample, &mut want, Activation::Identity);
            for (g, w) in got[s * 80..(s + 1) * 80].iter().zip(&want) {
                prop_assert!((g - w).abs() <= 1e-12 * (1.0 + w.abs()), "conv: {g} vs {w}");
            }
        }
        let mut got = vec![0.0; 2 * 3 * 5 * 4];
        MaxPool2d::<f64, 3, 9, 8, 3, 3, 2, 2, 1, 1, 5, 4>::new().forward(&two, &mut got, 2, &mut Default::default());
        let mut want = [0.0; 3 * 5 * 4];
        fixed::max_pool2d::<f64, 3, 9, 8, 3, 3, 2, 2, 1, 1, 5, 4>(&two[..216], &mut want);
        prop_assert_eq!(&got[..60], &want[..]);
        AvgPool2d::<f64, 3, 9, 8, 3, 3, 2, 2, 1, 1, 5, 4>::new().forward(&two, &mut got, 2, &mut Default::default());
        fixed::avg_pool2d::<f64, 3, 9, 8, 3, 3, 2, 2, 1, 1, 5, 4>(&two[216..], &mut want);
        for (g, w) in got[60..].iter().zip(&want) {
            prop_assert!((g - w).abs() <= 1e-14, "avg pool: {g} vs {w}");
        }
    }
}
