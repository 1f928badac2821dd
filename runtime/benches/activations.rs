//! Throughput of kiln's activation and softmax kernels against the naive scalar loop with
//! std maths, on 1<<16 `f32` elements. Prints a markdown table (elements per second, median
//! of 9 repeats of 20 calls each; the input is restored before every call, untimed).
//!
//! Run: `cargo bench -p kiln-runtime --bench activations`

use std::hint::black_box;
use std::time::{Duration, Instant};

use kiln_runtime::activation::Activation;
use kiln_runtime::softmax::softmax_rows;

const N: usize = 1 << 16;
const CALLS: usize = 20;
const REPEATS: usize = 9;
const WARMUPS: usize = 3;

/// Median elements per second of `f` on a fresh copy of `src` per call.
fn throughput(src: &[f32], buf: &mut [f32], mut f: impl FnMut(&mut [f32])) -> f64 {
    let mut one_repeat = |buf: &mut [f32]| {
        let mut t = Duration::ZERO;
        for _ in 0..CALLS {
            buf.copy_from_slice(src);
            let t0 = Instant::now();
            f(black_box(&mut *buf));
            t += t0.elapsed();
            black_box(&*buf);
        }
        t
    };
    for _ in 0..WARMUPS {
        one_repeat(buf);
    }
    let mut times: Vec<Duration> = (0..REPEATS).map(|_| one_repeat(buf)).collect();
    times.sort();
    (src.len() * CALLS) as f64 / times[REPEATS / 2].as_secs_f64()
}

fn inputs(lo: f32, hi: f32, seed: u64) -> Vec<f32> {
    let mut s = seed;
    (0..N)
        .map(|_| {
            s = s
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            lo + (hi - lo) * ((s >> 40) as f32 / (1u64 << 24) as f32)
        })
        .collect()
}

const SQRT_2_OVER_PI: f32 = 0.797_884_6;

fn norm_cdf(v: f32) -> f32 {
    0.5 * (1.0 + libm::erff(v * std::f32::consts::FRAC_1_SQRT_2))
}

fn main() {
    #[cfg(target_arch = "x86_64")]
    println!(
        "CPU: avx512f={} avx2={} fma={}; {N} f32 elements, median of {REPEATS} x {CALLS} calls\n",
        std::is_x86_feature_detected!("avx512f"),
        std::is_x86_feature_detected!("avx2"),
        std::is_x86_feature_detected!("fma"),
    );
    println!("| kernel | kiln (Melem/s) | naive scalar (Melem/s) | speed-up |");
    println!("|---|---:|---:|---:|");
    let x = inputs(-8.0, 8.0, 1);
    let mut buf = vec![0.0f32; N];
    let row = |name: &str, kiln: f64, naive: f64| {
        println!(
            "| {name} | {:.0} | {:.0} | {:.1}x |",
            kiln / 1e6,
            naive / 1e6,
            kiln / naive
        );
    };

    type Naive = fn(&mut [f32]);
    let forward: [(Activation, Naive); 12] = [
        (Activation::Sigmoid, |x| {
            for v in x {
                *v = 1.0 / (1.0 + (-*v).exp())
            }
        }),
        (Activation::Tanh, |x| {
            for v in x {
                *v = v.tanh()
            }
        }),
        (Activation::Relu, |x| {
            for v in x {
                *v = v.max(0.0)
            }
        }),
        (Activation::LEAKY_RELU, |x| {
            for v in x {
                *v = if *v > 0.0 { *v } else { 0.01 * *v }
            }
        }),
        (Activation::ELU, |x| {
            for v in x {
                *v = if *v > 0.0 { *v } else { v.exp_m1() }
            }
        }),
        (Activation::Softplus, |x| {
            for v in x {
                *v = if *v > 20.0 { *v } else { v.exp().ln_1p() }
            }
        }),
        (Activation::HardSigmoid, |x| {
            for v in x {
                *v = (0.25 * *v + 0.5).clamp(0.0, 1.0)
            }
        }),
        (Activation::HardSigmoidTorch, |x| {
            for v in x {
                *v = (*v + 3.0).clamp(0.0, 6.0) / 6.0
            }
        }),
        (Activation::HardTanh, |x| {
            for v in x {
                *v = v.clamp(-1.0, 1.0)
            }
        }),
        (Activation::Gelu, |x| {
            for v in x {
                *v *= norm_cdf(*v)
            }
        }),
        (Activation::GeluTanh, |x| {
            for v in x {
                let u = SQRT_2_OVER_PI * (*v + 0.044_715 * *v * *v * *v);
                *v = 0.5 * *v * (1.0 + u.tanh())
            }
        }),
        (Activation::Swish, |x| {
            for v in x {
                *v /= 1.0 + (-*v).exp()
            }
        }),
    ];
    for (act, naive) in forward {
        let kiln = throughput(&x, &mut buf, |b| act.forward(b));
        let plain = throughput(&x, &mut buf, naive);
        row(&format!("{} forward", act.name()), kiln, plain);
    }

    // Backward: d *= f'(.) given y (sigmoid, tanh) or x (gelu).
    let d0 = inputs(-1.0, 1.0, 2);
    let mut y_sig = x.clone();
    Activation::Sigmoid.forward(&mut y_sig);
    let mut y_tanh = x.clone();
    Activation::Tanh.forward(&mut y_tanh);
    let kiln = throughput(&d0, &mut buf, |d| {
        Activation::Sigmoid.backward(&[], black_box(&y_sig), d)
    });
    let plain = throughput(&d0, &mut buf, |d| {
        for (g, y) in d.iter_mut().zip(black_box(&y_sig)) {
            *g *= y * (1.0 - y)
        }
    });
    row("sigmoid backward", kiln, plain);
    let kiln = throughput(&d0, &mut buf, |d| {
        Activation::Tanh.backward(&[], black_box(&y_tanh), d)
    });
    let plain = throughput(&d0, &mut buf, |d| {
        for (g, y) in d.iter_mut().zip(black_box(&y_tanh)) {
            *g *= 1.0 - y * y
        }
    });
    row("tanh backward", kiln, plain);
    let kiln = throughput(&d0, &mut buf, |d| {
        Activation::Gelu.backward(black_box(&x), &[], d)
    });
    let plain = throughput(&d0, &mut buf, |d| {
        for (g, &v) in d.iter_mut().zip(black_box(&x)) {
            let pdf = 0.398_942_3 * (-0.5 * v * v).exp();
            *g *= norm_cdf(v) + v * pdf
        }
    });
    row("gelu backward", kiln, plain);

    // Fused bias + ReLU epilogue (rows of 256) against add-then-max.
    let bias = inputs(-1.0, 1.0, 3)[..256].to_vec();
    let kiln = throughput(&x, &mut buf, |r| Activation::Relu.forward_bias(r, &bias));
    let plain = throughput(&x, &mut buf, |r| {
        for row in r.chunks_exact_mut(256) {
            for (v, b) in row.iter_mut().zip(&bias) {
                *v = (*v + b).max(0.0)
            }
        }
    });
    row("relu forward_bias (rows of 256)", kiln, plain);

    // Softmax over rows of 1024.
    let kiln = throughput(&x, &mut buf, |r| softmax_rows(r, 1024).unwrap());
    let plain = throughput(&x, &mut buf, |r| {
        for row in r.chunks_exact_mut(1024) {
            let m = row.iter().fold(f32::NEG_INFINITY, |a, &b| a.max(b));
            let mut s = 0.0;
            for v in row.iter_mut() {
                *v = (*v - m).exp();
                s += *v;
            }
            for v in row.iter_mut() {
                *v /= s;
            }
        }
    });
    row("softmax rows of 1024", kiln, plain);
}
