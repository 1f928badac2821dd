//! AVX-512F micro-kernels: f32 on an 8 x 32 tile, f64 on 8 x 16 (16 zmm accumulators; two
//! B vectors and broadcast A operands per step). The `KC x NR` B micro-panel streams from L2
//! while the `MR x KC` A micro-panel stays in L1 (32 KiB); a `KC x NC` B block fills about
//! half of the 1 MiB L2.

use core::arch::x86_64::*;

use super::dispatch::Kernel;
use super::small::small_avx2;

simd_micro_kernel! {
    name: micro_f32,
    elem: f32,
    features: "avx512f",
    lanes: 16,
    mr: 8,
    nv: 2,
    zero: _mm512_setzero_ps,
    set1: _mm512_set1_ps,
    load: _mm512_loadu_ps,
    store: _mm512_storeu_ps,
    fmadd: _mm512_fmadd_ps,
    mul: _mm512_mul_ps,
}

simd_micro_kernel! {
    name: micro_f64,
    elem: f64,
    features: "avx512f",
    lanes: 8,
    mr: 8,
    nv: 2,
    zero: _mm512_setzero_pd,
    set1: _mm512_set1_pd,
    load: _mm512_loadu_pd,
    store: _mm512_storeu_pd,
    fmadd: _mm512_fmadd_pd,
    mul: _mm512_mul_pd,
}

pub(crate) static F32: Kernel<f32> = Kernel {
    mr: 8,
    nr: 32,
    kc: 256,
    mc: 128,
    nc: 512,
    micro: micro_f32,
    small: small_avx2::<f32>,
};

pub(crate) static F64: Kernel<f64> = Kernel {
    mr: 8,
    nr: 16,
    kc: 256,
    mc: 64,
    nc: 256,
    micro: micro_f64,
    small: small_avx2::<f64>,
};
