//! The element types kiln computes in (`f32`, `f64`), behind one trait so every kernel is
//! written once. Maths goes through `libm` so the same code builds without `std`.

use core::fmt::{Debug, Display};
use core::iter::Sum;
use core::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

/// A floating-point element type kiln can compute in: implemented for `f32` and `f64`.
///
/// Kernels are written once against this trait. Its maths goes through `libm`, so results
/// are the same with and without `std`, and `max`/`min` ignore a NaN argument the way
/// `f64::max` does.
///
/// ```
/// use kiln_runtime::Float;
///
/// /// The logistic sigmoid, written once for `f32` and `f64`.
/// fn sigmoid<T: Float>(x: T) -> T {
///     T::ONE / (T::ONE + (-x).exp())
/// }
///
/// assert_eq!(sigmoid(0.0f32), 0.5);
/// assert!((sigmoid(2.0f64) - 0.880_797_077_977_882_4).abs() < 1e-15);
/// assert_eq!(<f32 as Float>::NAME, "f32");
/// assert_eq!(f64::from_f64(0.1).to_f64(), 0.1);
/// // A NaN argument loses against a number.
/// assert_eq!(Float::max(1.5f64, f64::NAN), 1.5);
/// ```
pub trait Float:
    Copy
    + Send
    + Sync
    + 'static
    + Default
    + Debug
    + Display
    + PartialEq
    + PartialOrd
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + SubAssign
    + MulAssign
    + DivAssign
    + Sum
{
    /// Additive identity, `0.0`.
    const ZERO: Self;
    /// Multiplicative identity, `1.0`.
    const ONE: Self;
    /// Machine epsilon.
    const EPSILON: Self;
    /// Name used in messages and file headers: `"f32"` or `"f64"`.
    const NAME: &'static str;

    /// Converts from `f64`, rounding to nearest (`as` semantics: out-of-range values become
    /// infinite in `f32`).
    fn from_f64(x: f64) -> Self;
    /// Widens (or, for `f64`, copies) to `f64`, exactly.
    fn to_f64(self) -> f64;
    /// Converts a count (a batch size, a number of elements) to this type, for averages.
    fn from_usize(x: usize) -> Self {
        Self::from_f64(x as f64)
    }
    /// `e^self`.
    fn exp(self) -> Self;
    /// Natural logarithm; NaN below 0, `-inf` at 0.
    fn ln(self) -> Self;
    /// `ln(1 + self)`, accurate for `self` near 0 (where `(1 + x).ln()` loses digits).
    fn ln_1p(self) -> Self;
    /// Hyperbolic tangent, in `[-1, 1]`.
    fn tanh(self) -> Self;
    /// Square root; NaN below 0.
    fn sqrt(self) -> Self;
    /// Gauss error function, in `[-1, 1]` (used by the exact GELU).
    fn erf(self) -> Self;
    /// Cosine of an angle in radians (used by cosine learning-rate schedules).
    fn cos(self) -> Self;
    /// `self` raised to the power `e`.
    fn powf(self, e: Self) -> Self;
    /// Absolute value.
    fn abs(self) -> Self;
    /// Whether the value is neither NaN nor infinite.
    fn is_finite(self) -> bool;
    /// Whether the value is NaN.
    fn is_nan(self) -> bool;
    /// Fused multiply-add `self * a + b`, exact where the hardware has FMA.
    fn mul_add(self, a: Self, b: Self) -> Self;
    /// The larger of the two; if one is NaN, the other (as `f64::max`).
    #[inline(always)]
    fn max(self, other: Self) -> Self {
        if self > other || other.is_nan() {
            self
        } else {
            other
        }
    }
    /// The smaller of the two; if one is NaN, the other (as `f64::min`).
    #[inline(always)]
    fn min(self, other: Self) -> Self {
        if self < other || other.is_nan() {
            self
        } else {
            other
        }
    }
    #[cfg(feature = "std")]
    /// `C = alpha * A B + beta * C` with general strides (row stride, column stride) for each
    /// matrix; `A` is `m x k`, `B` is `k x n`, `C` is `m x n`. See [`crate::gemm()`].
    ///
    /// # Safety
    /// The pointers and strides must describe matrices lying inside live allocations, `C`'s
    /// elements must be distinct and must not overlap `A` or `B`.
    #[allow(clippy::too_many_arguments)]
    #[inline]
    unsafe fn gemm_raw(
        m: usize,
        k: usize,
        n: usize,
        alpha: Self,
        a: *const Self,
        rsa: isize,
        csa: isize,
        b: *const Self,
        rsb: isize,
        csb: isize,
        beta: Self,
        c: *mut Self,
        rsc: isize,
        csc: isize,
    ) {
        let p = crate::gemm::Strided {
            m,
            n,
            k,
            alpha,
            a,
            rsa,
            csa,
            b,
            rsb,
            csb,
            beta,
            c,
            rsc,
            csc,
        };
        // SAFETY: the caller's contract is `gemm_strided`'s.
        unsafe { crate::gemm::gemm_strided(&p) }
    }
    /// The GEMM micro-kernel set for this element type and instruction set (kiln-internal).
    #[cfg(feature = "std")]
    #[doc(hidden)]
    fn gemm_kernel(isa: crate::gemm::Isa) -> &'static crate::gemm::Kernel<Self>;
    /// Sums `v` across processes in this element type (kiln-internal).
    #[cfg(feature = "std")]
    #[doc(hidden)]
    fn sum_across(processes: &dyn crate::processes::Processes, v: &mut [Self]);
    /// `self * a + b` through the hardware fused multiply-add when the calling code is
    /// compiled with FMA (kiln-internal: elsewhere it may be a slow software routine).
    #[doc(hidden)]
    fn mul_add_hw(self, a: Self, b: Self) -> Self;
}

macro_rules! impl_float {
    ($t:ident, $kernel:ident, $sum:ident) => {
        impl Float for $t {
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            const EPSILON: Self = $t::EPSILON;
            const NAME: &'static str = stringify!($t);
            #[inline(always)]
            fn from_f64(x: f64) -> Self {
                x as $t
            }
            #[inline(always)]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline(always)]
            fn exp(self) -> Self {
                libm::Libm::<$t>::exp(self)
            }
            #[inline(always)]
            fn ln(self) -> Self {
                libm::Libm::<$t>::log(self)
            }
            #[inline(always)]
            fn ln_1p(self) -> Self {
                libm::Libm::<$t>::log1p(self)
            }
            #[inline(always)]
            fn tanh(self) -> Self {
                libm::Libm::<$t>::tanh(self)
            }
            #[inline(always)]
            fn sqrt(self) -> Self {
                libm::Libm::<$t>::sqrt(self)
            }
            #[inline(always)]
            fn erf(self) -> Self {
                libm::Libm::<$t>::erf(self)
            }
            #[inline(always)]
            fn cos(self) -> Self {
                libm::Libm::<$t>::cos(self)
            }
            #[inline(always)]
            fn powf(self, e: Self) -> Self {
                libm::Libm::<$t>::pow(self, e)
            }
            #[inline(always)]
            fn abs(self) -> Self {
                libm::Libm::<$t>::fabs(self)
            }
            #[inline(always)]
            fn is_finite(self) -> bool {
                $t::is_finite(self)
            }
            #[inline(always)]
            fn is_nan(self) -> bool {
                $t::is_nan(self)
            }
            #[inline(always)]
            fn mul_add(self, a: Self, b: Self) -> Self {
                libm::Libm::<$t>::fma(self, a, b)
            }
            #[inline]
            #[cfg(feature = "std")]
            fn gemm_kernel(isa: crate::gemm::Isa) -> &'static crate::gemm::Kernel<Self> {
                crate::gemm::$kernel(isa)
            }
            #[cfg(feature = "std")]
            fn sum_across(processes: &dyn crate::processes::Processes, v: &mut [Self]) {
                processes.$sum(v)
            }
            #[inline(always)]
            fn mul_add_hw(self, a: Self, b: Self) -> Self {
                $t::mul_add(self, a, b)
            }
        }
    };
}

impl_float!(f32, kernel_f32, sum_f32);
impl_float!(f64, kernel_f64, sum_f64);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maths_matches_known_values() {
        assert!((Float::exp(1.0f64) - core::f64::consts::E).abs() < 1e-15);
        assert!((Float::ln(core::f32::consts::E) - 1.0).abs() < 1e-6);
        assert!((Float::erf(0.5f64) - 0.520_499_877_813_046_5).abs() < 1e-15);
        assert_eq!(Float::max(2.0f32, f32::NAN), 2.0);
        assert_eq!(<f64 as Float>::NAME, "f64");
    }
}
