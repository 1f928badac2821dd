//! AVX2 + FMA micro-kernels: f32 on a 6 x 16 tile, f64 on 6 x 8 (12 ymm accumulators, two
//! B vectors, one broadcast: all 16 registers), the classic Haswell-era shape.

use core::arch::x86_64::*;

use super::dispatch::Kernel;
use super::small::small_avx2;

simd_micro_kernel! {
    name: micro_f32,
    elem: f32,
    features: "avx2,fma",
    lanes: 8,
    mr: 6,
    nv: 2,
    zero: _mm256_setzero_ps,
    set1: _mm256_set1_ps,
    load: _mm256_loadu_ps,
    store: _mm256_storeu_ps,
    fmadd: _mm256_fmadd_ps,
    mul: _mm256_mul_ps,
}

simd_micro_kernel! {
    name: micro_f64,
    elem: f64,
    features: "avx2,fma",
    lanes: 4,
    mr: 6,
    nv: 2,
    zero: _mm256_setzero_pd,
    set1: _mm256_set1_pd,
    load: _mm256_loadu_pd,
    store: _mm256_storeu_pd,
    fmadd: _mm256_fmadd_pd,
    mul: _mm256_mul_pd,
}

pub(crate) static F32: Kernel<f32> = Kernel {
    mr: 6,
    nr: 16,
    kc: 256,
    mc: 120,
    nc: 512,
    micro: micro_f32,
    small: small_avx2::<f32>,
};

pub(crate) static F64: Kernel<f64> = Kernel {
    mr: 6,
    nr: 8,
    kc: 256,
    mc: 60,
    nc: 256,
    micro: micro_f64,
    small: small_avx2::<f64>,
};
