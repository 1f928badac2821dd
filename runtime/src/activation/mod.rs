//! Element-wise activations: in-place forward, the fused bias + activation epilogue of a dense
//! layer, and backward (`d *= f'`), for the common parameter-free activations (those of
//! PyTorch's `torch.nn` plus the slope-1/4 hard sigmoid), and PReLU (learnable slopes,
//! [`prelu`]).
//!
//! Speed: each kernel is a plain loop over slices whose element function is straight-line
//! code (see [`fast_math`]), compiled three times: for AVX-512F, for AVX2+FMA and for the
//! baseline target, with the variant picked once at run time by CPU feature detection. All
//! three give bit-identical results (no FMA contraction, same operation order).

use core::any::TypeId;

use crate::error::{check_hyper, check_len, KilnError, Result};
use crate::float::Float;
use fast_math::FastFloat;

/// Defines a function whose body is compiled for AVX-512F, for AVX2+FMA and for the baseline
/// target, dispatching at run time on the CPU's features (see [`simd_level`]).
///
/// Write the body once, generic over its type parameters; every generic parameter needs one
/// bound. Only safe code goes in the body.
macro_rules! multiversion {
    ($(#[$attr:meta])* $vis:vis fn $name:ident<$($g:ident: $b:path),+>($($a:ident: $t:ty),* $(,)?) $(-> $ret:ty)? $body:block) => {
        $(#[$attr])*
        #[inline]
        $vis fn $name<$($g: $b),+>($($a: $t),*) $(-> $ret)? {
            #[inline(always)]
            fn portable<$($g: $b),+>($($a: $t),*) $(-> $ret)? $body
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f,avx2,fma")]
                unsafe fn avx512<$($g: $b),+>($($a: $t),*) $(-> $ret)? $body
                #[target_feature(enable = "avx2,fma")]
                unsafe fn avx2<$($g: $b),+>($($a: $t),*) $(-> $ret)? $body
                match $crate::activation::simd_level() {
                    // SAFETY: `simd_level` reports a level only if the CPU has its features.
                    $crate::activation::SimdLevel::Avx512 => return unsafe { avx512::<$($g),+>($($a),*) },
                    // SAFETY: as above.
                    $crate::activation::SimdLevel::Avx2 => return unsafe { avx2::<$($g),+>($($a),*) },
                    $crate::activation::SimdLevel::Portable => {}
                }
            }
            portable::<$($g),+>($($a),*)
        }
    };
}
#[cfg(feature = "std")]
pub(crate) use multiversion;

pub mod elu;
pub mod fast_math;
pub mod gelu;
pub mod hard_sigmoid;
pub mod hard_tanh;
pub mod leaky_relu;
pub mod prelu;
pub mod relu;
pub mod sigmoid;
pub mod softplus;
pub mod swish;
pub mod tanh;

/// Which compiled variant of the kernels runs on this CPU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SimdLevel {
    /// Baseline target (SSE2 on x86-64), or any other architecture.
    Portable,
    /// AVX2 and FMA.
    Avx2,
    /// AVX-512F (with AVX2 and FMA).
    Avx512,
}

static LEVEL: core::sync::atomic::AtomicU8 = core::sync::atomic::AtomicU8::new(0);

#[cfg(test)]
std::thread_local! {
    /// Lets a test run the kernels on a chosen path (on its own thread only).
    static FORCED_LEVEL: core::cell::Cell<Option<SimdLevel>> = const { core::cell::Cell::new(None) };
}

/// Runs `f` with the kernels forced onto `level` on this thread (tests only). Levels the
/// CPU lacks are skipped by the caller.
#[cfg(test)]
pub(crate) fn with_level<R>(level: SimdLevel, f: impl FnOnce() -> R) -> R {
    FORCED_LEVEL.with(|c| c.set(Some(level)));
    let r = f();
    FORCED_LEVEL.with(|c| c.set(None));
    r
}

/// The levels this CPU supports (tests compare them against each other).
#[cfg(test)]
pub(crate) fn available_levels() -> Vec<SimdLevel> {
    let best = detect();
    [SimdLevel::Portable, SimdLevel::Avx2, SimdLevel::Avx512]
        .into_iter()
        .filter(|l| *l as u8 <= best as u8)
        .collect()
}

#[cfg(feature = "std")]
fn detect() -> SimdLevel {
    #[cfg(target_arch = "x86_64")]
    {
        let avx2 = std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma");
        if avx2 && std::is_x86_feature_detected!("avx512f") {
            return SimdLevel::Avx512;
        }
        if avx2 {
            return SimdLevel::Avx2;
        }
    }
    SimdLevel::Portable
}

/// Without std there is no run-time detection: the level the build targets.
#[cfg(not(feature = "std"))]
fn detect() -> SimdLevel {
    if cfg!(all(
        target_arch = "x86_64",
        target_feature = "avx512f",
        target_feature = "avx2",
        target_feature = "fma"
    )) {
        SimdLevel::Avx512
    } else if cfg!(all(
        target_arch = "x86_64",
        target_feature = "avx2",
        target_feature = "fma"
    )) {
        SimdLevel::Avx2
    } else {
        SimdLevel::Portable
    }
}

/// The best kernel variant this CPU runs, detected once and cached.
#[inline]
pub(crate) fn simd_level() -> SimdLevel {
    #[cfg(test)]
    if let Some(l) = FORCED_LEVEL.with(|c| c.get()) {
        return l;
    }
    use core::sync::atomic::Ordering::Relaxed;
    match LEVEL.load(Relaxed) {
        1 => SimdLevel::Portable,
        2 => SimdLevel::Avx2,
        3 => SimdLevel::Avx512,
        _ => {
            let l = detect();
            LEVEL.store(l as u8 + 1, Relaxed);
            l
        }
    }
}

/// `Some(x)` viewed as a slice of `U` when `T` is `U`.
#[inline(always)]
pub(crate) fn cast<T: 'static, U: 'static>(x: &[T]) -> Option<&[U]> {
    if TypeId::of::<T>() == TypeId::of::<U>() {
        // SAFETY: `T` and `U` are the same type, so layout and length are unchanged.
        Some(unsafe { &*(x as *const [T] as *const [U]) })
    } else {
        None
    }
}

/// Mutable form of [`cast`].
#[inline(always)]
pub(crate) fn cast_mut<T: 'static, U: 'static>(x: &mut [T]) -> Option<&mut [U]> {
    if TypeId::of::<T>() == TypeId::of::<U>() {
        // SAFETY: `T` and `U` are the same type, so layout and length are unchanged.
        Some(unsafe { &mut *(x as *mut [T] as *mut [U]) })
    } else {
        None
    }
}

/// One activation's element functions, written once for `f32` and `f64`.
pub(crate) trait Elementwise {
    /// Whether [`Elementwise::grad`] reads the pre-activation `x` (else the output `y`).
    fn needs_input(&self) -> bool;
    /// `f(x)`.
    fn value<L: FastFloat>(&self, x: L) -> L;
    /// `d * f'(x)`, from `x` if `needs_input()`, else from `y = f(x)`.
    fn grad<L: FastFloat>(&self, xy: L, d: L) -> L;
}

multiversion! {
    fn forward_kernel<L: FastFloat, E: Elementwise>(e: &E, x: &mut [L]) {
        for v in x.iter_mut() {
            *v = e.value(*v);
        }
    }
}

multiversion! {
    fn forward_bias_kernel<L: FastFloat, E: Elementwise>(e: &E, rows: &mut [L], bias: &[L]) {
        for row in rows.chunks_exact_mut(bias.len()) {
            for (v, b) in row.iter_mut().zip(bias) {
                *v = e.value(*v + *b);
            }
        }
    }
}

multiversion! {
    fn backward_kernel<L: FastFloat, E: Elementwise>(e: &E, xy: &[L], d: &mut [L]) {
        for (g, v) in d.iter_mut().zip(xy) {
            *g = e.grad(*v, *g);
        }
    }
}

/// `x = f(x)` in place.
#[inline]
pub(crate) fn map_forward<T: Float, E: Elementwise>(e: &E, x: &mut [T]) {
    if let Some(x) = cast_mut::<T, f32>(x) {
        forward_kernel(e, x);
    } else if let Some(x) = cast_mut::<T, f64>(x) {
        forward_kernel(e, x);
    } else {
        // A `Float` implemented outside this crate: compute in f64.
        for v in x.iter_mut() {
            *v = T::from_f64(e.value(v.to_f64()));
        }
    }
}

/// `x = f(x)` in place, inlined into the caller's instruction set (no dispatch): for kernels
/// that apply an activation to values still in registers.
#[inline(always)]
pub(crate) fn map_inline<T: Float, E: Elementwise>(e: &E, x: &mut [T]) {
    if let Some(x) = cast_mut::<T, f32>(x) {
        for v in x.iter_mut() {
            *v = e.value(*v);
        }
    } else if let Some(x) = cast_mut::<T, f64>(x) {
        for v in x.iter_mut() {
            *v = e.value(*v);
        }
    } else {
        for v in x.iter_mut() {
            *v = T::from_f64(e.value(v.to_f64()));
        }
    }
}

/// Checks a `[n, bias.len()]` row block against its bias.
pub(crate) fn check_rows(what: &'static str, len: usize, width: usize) -> Result<()> {
    if width == 0 {
        return if len == 0 {
            Ok(())
        } else {
            Err(KilnError::EmptyShape { what })
        };
    }
    check_len(what, len.div_ceil(width) * width, len)
}

/// `rows = f(rows + bias)` per row of the row-major `[n, bias.len()]` block, in one pass.
pub(crate) fn map_forward_bias<T: Float, E: Elementwise>(
    e: &E,
    rows: &mut [T],
    bias: &[T],
) -> Result<()> {
    check_rows(
        "activation input (rows of bias length)",
        rows.len(),
        bias.len(),
    )?;
    if rows.is_empty() {
        return Ok(());
    }
    if TypeId::of::<T>() == TypeId::of::<f32>() {
        let rows = cast_mut::<T, f32>(rows).expect("T is f32");
        let bias = cast::<T, f32>(bias).expect("T is f32");
        forward_bias_kernel(e, rows, bias);
    } else if TypeId::of::<T>() == TypeId::of::<f64>() {
        let rows = cast_mut::<T, f64>(rows).expect("T is f64");
        let bias = cast::<T, f64>(bias).expect("T is f64");
        forward_bias_kernel(e, rows, bias);
    } else {
        for row in rows.chunks_exact_mut(bias.len()) {
            for (v, b) in row.iter_mut().zip(bias) {
                *v = T::from_f64(e.value((*v + *b).to_f64()));
            }
        }
    }
    Ok(())
}

/// `d *= f'` from `xy` (the input or the output, per [`Elementwise::needs_input`]).
pub(crate) fn map_backward<T: Float, E: Elementwise>(e: &E, xy: &[T], d: &mut [T]) -> Result<()> {
    let what = if e.needs_input() {
        "activation input (pre-activation x)"
    } else {
        "activation output (y)"
    };
    check_len(what, d.len(), xy.len())?;
    if TypeId::of::<T>() == TypeId::of::<f32>() {
        let xy = cast::<T, f32>(xy).expect("T is f32");
        let d = cast_mut::<T, f32>(d).expect("T is f32");
        backward_kernel(e, xy, d);
    } else if TypeId::of::<T>() == TypeId::of::<f64>() {
        let xy = cast::<T, f64>(xy).expect("T is f64");
        let d = cast_mut::<T, f64>(d).expect("T is f64");
        backward_kernel(e, xy, d);
    } else {
        for (g, v) in d.iter_mut().zip(xy) {
            *g = T::from_f64(e.grad(v.to_f64(), g.to_f64()));
        }
    }
    Ok(())
}

/// An element-wise activation function without learnable parameters. Hyper-parameters and
/// derivatives at kinks follow PyTorch's definitions and autograd.
///
/// ```
/// use kiln_runtime::activation::Activation;
///
/// let x = [-2.0f64, 0.0, 3.0];
/// let mut y = x;
/// Activation::LEAKY_RELU.forward(&mut y);
/// assert_eq!(y, [-0.02, 0.0, 3.0]);
///
/// // Backward multiplies an incoming gradient by f'(x) in place (f'(0) is the slope, as in
/// // PyTorch's autograd).
/// let mut d = [1.0, 1.0, 1.0];
/// Activation::LEAKY_RELU.backward(&x, &y, &mut d);
/// assert_eq!(d, [0.01, 0.01, 1.0]);
///
/// // Dense-layer epilogue: sigmoid(rows + bias), row by row.
/// let mut rows = [0.0f32, 1.0, -1.0, 0.0];
/// Activation::Sigmoid.forward_bias(&mut rows, &[0.0, -1.0]);
/// let want = [0.5, 0.5, 0.268_941_4, 0.268_941_4];
/// assert!(rows.iter().zip(want).all(|(r, w)| (r - w).abs() < 1e-6));
///
/// // Hyper-parameters are checked by the constructors.
/// assert!(Activation::elu(f64::NAN).is_err());
/// assert_eq!(Activation::elu(0.5).unwrap().name(), "elu");
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Activation {
    /// `f(x) = x`.
    Identity,
    /// Logistic `1 / (1 + e^-x)`; `f' = y (1 - y)`.
    Sigmoid,
    /// `tanh x`; `f' = 1 - y^2`.
    Tanh,
    /// `max(x, 0)`; `f'(0) = 0` as in PyTorch.
    Relu,
    /// `x` for `x > 0`, else `slope * x` (PyTorch default slope 0.01); `f'(0) = slope`.
    LeakyRelu {
        /// Multiplier applied to negative inputs (0.01 in PyTorch); any finite value.
        slope: f64,
    },
    /// `x` for `x > 0`, else `alpha (e^x - 1)` (PyTorch default alpha 1); `f'(0) = alpha`.
    Elu {
        /// Scale of the negative part: the output tends to `-alpha` for very negative
        /// inputs (1 in PyTorch); any finite value.
        alpha: f64,
    },
    /// `ln(1 + e^x)` (beta 1), and `x` above PyTorch's threshold 20; `f' = sigmoid(x)`.
    Softplus,
    /// Hard sigmoid with the logistic's slope at 0: `max(min(x/4 + 1/2, 1), 0)`, the sigmoid's
    /// tangent at 0 clipped to `[0, 1]` (as in Gulcehre et al., 2016); `f' = 1/4` on
    /// `(-2, 2)`, else 0.
    HardSigmoid,
    /// PyTorch's `nn.Hardsigmoid`, `max(min(x/6 + 1/2, 1), 0)`; `f' = 1/6` on `(-3, 3)`.
    HardSigmoidTorch,
    /// `max(min(x, 1), -1)`; `f' = 1` on `(-1, 1)`, 0 elsewhere (also at `+-1`, as PyTorch).
    HardTanh,
    /// Exact GELU `x Phi(x)` (PyTorch's default, `approximate='none'`).
    Gelu,
    /// GELU's tanh approximation (PyTorch's `approximate='tanh'`).
    GeluTanh,
    /// Swish / SiLU `x sigmoid(x)`.
    Swish,
}

impl Activation {
    /// Leaky ReLU with PyTorch's default slope 0.01.
    pub const LEAKY_RELU: Activation = Activation::LeakyRelu { slope: 0.01 };
    /// ELU with PyTorch's default alpha 1.
    pub const ELU: Activation = Activation::Elu { alpha: 1.0 };

    /// Leaky ReLU with a checked slope (finite; PyTorch allows negative slopes too).
    pub fn leaky_relu(slope: f64) -> Result<Self> {
        let a = Activation::LeakyRelu { slope };
        a.validate()?;
        Ok(a)
    }

    /// ELU with a checked alpha (finite).
    pub fn elu(alpha: f64) -> Result<Self> {
        let a = Activation::Elu { alpha };
        a.validate()?;
        Ok(a)
    }

    /// Checks the hyper-parameters of a variant built directly.
    pub fn validate(&self) -> Result<()> {
        match *self {
            Activation::LeakyRelu { slope } => {
                check_hyper("leaky ReLU slope", slope, true, "must be finite")
            }
            Activation::Elu { alpha } => check_hyper("ELU alpha", alpha, true, "must be finite"),
            _ => Ok(()),
        }
    }

    /// The activation's name as written in `network!` and in messages.
    pub fn name(&self) -> &'static str {
        match self {
            Activation::Identity => "identity",
            Activation::Sigmoid => "sigmoid",
            Activation::Tanh => "tanh",
            Activation::Relu => "relu",
            Activation::LeakyRelu { .. } => "leaky_relu",
            Activation::Elu { .. } => "elu",
            Activation::Softplus => "softplus",
            Activation::HardSigmoid => "hard_sigmoid",
            Activation::HardSigmoidTorch => "hard_sigmoid_torch",
            Activation::HardTanh => "hard_tanh",
            Activation::Gelu => "gelu",
            Activation::GeluTanh => "gelu_tanh",
            Activation::Swish => "swish",
        }
    }

    /// Whether [`Activation::backward`] reads the output `y` (and `y` may be empty
    /// otherwise): every activation but the identity that does not read `x`.
    pub fn needs_output(&self) -> bool {
        !self.needs_input() && !matches!(self, Activation::Identity)
    }

    /// Whether [`Activation::backward`] reads the pre-activation `x`; if `false` it reads
    /// only the output `y` (and `x` may be empty), so the caller need not keep `x`.
    pub fn needs_input(&self) -> bool {
        match *self {
            Activation::Identity
            | Activation::Sigmoid
            | Activation::Tanh
            | Activation::Relu
            | Activation::HardTanh => false,
            Activation::LeakyRelu { slope } => leaky_relu::LeakyRelu::new(slope).needs_input(),
            Activation::Elu { .. }
            | Activation::Softplus
            | Activation::HardSigmoid
            | Activation::HardSigmoidTorch
            | Activation::Gelu
            | Activation::GeluTanh
            | Activation::Swish => true,
        }
    }

    /// `x = f(x)` in place.
    pub fn forward<T: Float>(&self, x: &mut [T]) {
        match *self {
            Activation::Identity => {}
            Activation::Sigmoid => map_forward(&sigmoid::Sigmoid, x),
            Activation::Tanh => map_forward(&tanh::Tanh, x),
            Activation::Relu => map_forward(&relu::Relu, x),
            Activation::LeakyRelu { slope } => map_forward(&leaky_relu::LeakyRelu::new(slope), x),
            Activation::Elu { alpha } => map_forward(&elu::Elu::new(alpha), x),
            Activation::Softplus => map_forward(&softplus::Softplus, x),
            Activation::HardSigmoid => map_forward(&hard_sigmoid::HardSigmoid, x),
            Activation::HardSigmoidTorch => map_forward(&hard_sigmoid::HardSigmoidTorch, x),
            Activation::HardTanh => map_forward(&hard_tanh::HardTanh, x),
            Activation::Gelu => map_forward(&gelu::Gelu, x),
            Activation::GeluTanh => map_forward(&gelu::GeluTanh, x),
            Activation::Swish => map_forward(&swish::Swish, x),
        }
    }

    /// Fused epilogue of a dense layer: `rows = f(rows + bias)` per row of the row-major
    /// `[n, bias.len()]` block, in one pass. Checked form: [`Activation::try_forward_bias`].
    ///
    /// # Panics
    /// If `rows.len()` is not a multiple of `bias.len()` (generated code fixes the shapes).
    pub fn forward_bias<T: Float>(&self, rows: &mut [T], bias: &[T]) {
        if let Err(e) = self.try_forward_bias(rows, bias) {
            panic!("{}: {e}", self.name());
        }
    }

    /// [`Activation::forward_bias`] returning an error for mismatched lengths.
    pub fn try_forward_bias<T: Float>(&self, rows: &mut [T], bias: &[T]) -> Result<()> {
        match *self {
            Activation::Identity => map_forward_bias(&Identity, rows, bias),
            Activation::Sigmoid => map_forward_bias(&sigmoid::Sigmoid, rows, bias),
            Activation::Tanh => map_forward_bias(&tanh::Tanh, rows, bias),
            Activation::Relu => map_forward_bias(&relu::Relu, rows, bias),
            Activation::LeakyRelu { slope } => {
                map_forward_bias(&leaky_relu::LeakyRelu::new(slope), rows, bias)
            }
            Activation::Elu { alpha } => map_forward_bias(&elu::Elu::new(alpha), rows, bias),
            Activation::Softplus => map_forward_bias(&softplus::Softplus, rows, bias),
            Activation::HardSigmoid => map_forward_bias(&hard_sigmoid::HardSigmoid, rows, bias),
            Activation::HardSigmoidTorch => {
                map_forward_bias(&hard_sigmoid::HardSigmoidTorch, rows, bias)
            }
            Activation::HardTanh => map_forward_bias(&hard_tanh::HardTanh, rows, bias),
            Activation::Gelu => map_forward_bias(&gelu::Gelu, rows, bias),
            Activation::GeluTanh => map_forward_bias(&gelu::GeluTanh, rows, bias),
            Activation::Swish => map_forward_bias(&swish::Swish, rows, bias),
        }
    }

    /// `d *= f'(x)` in place, given the pre-activation `x` and the output `y`; only the one
    /// [`Activation::needs_input`] names is read (the other may be empty). Checked form:
    /// [`Activation::try_backward`].
    ///
    /// # Panics
    /// If the slice read has a different length from `d`.
    pub fn backward<T: Float>(&self, x: &[T], y: &[T], d: &mut [T]) {
        if let Err(e) = self.try_backward(x, y, d) {
            panic!("{} backward: {e}", self.name());
        }
    }

    /// [`Activation::backward`] returning an error for mismatched lengths.
    pub fn try_backward<T: Float>(&self, x: &[T], y: &[T], d: &mut [T]) -> Result<()> {
        let xy = if self.needs_input() { x } else { y };
        match *self {
            // d * 1: nothing to read or change.
            Activation::Identity => Ok(()),
            Activation::Sigmoid => map_backward(&sigmoid::Sigmoid, xy, d),
            Activation::Tanh => map_backward(&tanh::Tanh, xy, d),
            Activation::Relu => map_backward(&relu::Relu, xy, d),
            Activation::LeakyRelu { slope } => {
                map_backward(&leaky_relu::LeakyRelu::new(slope), xy, d)
            }
            Activation::Elu { alpha } => map_backward(&elu::Elu::new(alpha), xy, d),
            Activation::Softplus => map_backward(&softplus::Softplus, xy, d),
            Activation::HardSigmoid => map_backward(&hard_sigmoid::HardSigmoid, xy, d),
            Activation::HardSigmoidTorch => map_backward(&hard_sigmoid::HardSigmoidTorch, xy, d),
            Activation::HardTanh => map_backward(&hard_tanh::HardTanh, xy, d),
            Activation::Gelu => map_backward(&gelu::Gelu, xy, d),
            Activation::GeluTanh => map_backward(&gelu::GeluTanh, xy, d),
            Activation::Swish => map_backward(&swish::Swish, xy, d),
        }
    }
}

/// `f(x) = x`: used for the bias-only epilogue.
pub(crate) struct Identity;

impl Elementwise for Identity {
    fn needs_input(&self) -> bool {
        false
    }
    #[inline(always)]
    fn value<L: FastFloat>(&self, x: L) -> L {
        x
    }
    #[inline(always)]
    fn grad<L: FastFloat>(&self, _y: L, d: L) -> L {
        d
    }
}

/// Shared checks the per-activation test modules run.
#[cfg(test)]
pub(crate) mod test_util {
    use super::*;

    /// All activations with their default hyper-parameters, and a few variations.
    pub(crate) const ALL: [Activation; 15] = [
        Activation::Identity,
        Activation::Sigmoid,
        Activation::Tanh,
        Activation::Relu,
        Activation::LEAKY_RELU,
        Activation::LeakyRelu { slope: -0.5 },
        Activation::ELU,
        Activation::Elu { alpha: 0.5 },
        Activation::Softplus,
        Activation::HardSigmoid,
        Activation::HardSigmoidTorch,
        Activation::HardTanh,
        Activation::Gelu,
        Activation::GeluTanh,
        Activation::Swish,
    ];

    pub(crate) fn value(a: Activation, x: f64) -> f64 {
        let mut v = [x];
        a.forward(&mut v);
        v[0]
    }

    pub(crate) fn value32(a: Activation, x: f32) -> f32 {
        let mut v = [x];
        a.forward(&mut v);
        v[0]
    }

    /// `f'(x)` through `backward` with `d = 1`.
    pub(crate) fn derivative(a: Activation, x: f64) -> f64 {
        let y = value(a, x);
        let mut d = [1.0];
        a.backward(&[x], &[y], &mut d);
        d[0]
    }

    /// Asserts `backward` agrees with central differences at `xs` (kept away from kinks).
    pub(crate) fn check_finite_differences(a: Activation, xs: &[f64]) {
        for &x in xs {
            let h = 1e-6 * x.abs().max(1.0);
            let fd = (value(a, x + h) - value(a, x - h)) / (2.0 * h);
            let an = derivative(a, x);
            assert!(
                (fd - an).abs() <= 1e-8 * an.abs().max(1.0),
                "{}: f'({x}) = {an}, central difference {fd}",
                a.name()
            );
        }
    }

    /// Assert each entry of `got` is within `tol` (relative to max(1, |want|)) of `want`.
    pub(crate) fn assert_close(what: &str, got: &[f64], want: &[f64], tol: f64) {
        assert_eq!(got.len(), want.len());
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            assert!(
                (g - w).abs() <= tol * w.abs().max(1.0),
                "{what}[{i}]: got {g}, want {w}"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::test_util::*;
    use super::*;

    /// Inputs covering both signs, kinks, the tails, and values that round oddly.
    fn inputs() -> Vec<f64> {
        let mut v: Vec<f64> = (-400..=400).map(|i| i as f64 * 0.0371).collect();
        v.extend([
            0.0, -0.0, 1.0, -1.0, 2.0, -2.0, 3.0, -3.0, 20.0, 25.0, -90.0, 90.0, 1e-7,
        ]);
        v
    }

    #[test]
    fn names_are_unique_and_needs_input_matches_backward() {
        let mut names: Vec<&str> = ALL.iter().map(|a| a.name()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), 13);
        // An activation that claims not to need x must work with x empty.
        for a in ALL {
            if !a.needs_input() {
                let mut d = vec![1.0f64; 3];
                a.backward(&[], &[0.5, -0.5, 2.0], &mut d);
            }
        }
    }

    #[test]
    fn forward_bias_equals_add_then_forward() {
        let bias = [0.3f64, -1.2, 2.5, 0.0, -0.7];
        let x: Vec<f64> = (0..35).map(|i| (i as f64 * 0.77).sin() * 4.0).collect();
        for a in ALL {
            let mut fused = x.clone();
            a.forward_bias(&mut fused, &bias);
            let mut separate: Vec<f64> = x
                .iter()
                .enumerate()
                .map(|(i, v)| v + bias[i % bias.len()])
                .collect();
            a.forward(&mut separate);
            assert_eq!(fused, separate, "{}", a.name());
            // f32 too.
            let bias32: Vec<f32> = bias.iter().map(|&b| b as f32).collect();
            let mut fused32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
            let mut separate32: Vec<f32> = fused32
                .iter()
                .enumerate()
                .map(|(i, v)| v + bias32[i % 5])
                .collect();
            a.forward_bias(&mut fused32, &bias32);
            a.forward(&mut separate32);
            assert_eq!(fused32, separate32, "{} f32", a.name());
        }
    }

    #[test]
    fn length_errors() {
        let a = Activation::Sigmoid;
        let mut rows = vec![0.0f32; 7];
        assert_eq!(
            a.try_forward_bias(&mut rows, &[0.0; 3]),
            Err(KilnError::LengthMismatch {
                what: "activation input (rows of bias length)",
                expected: 9,
                actual: 7
            })
        );
        assert!(matches!(
            a.try_forward_bias(&mut rows, &[]),
            Err(KilnError::EmptyShape { .. })
        ));
        assert!(a.try_forward_bias(&mut [0.0f32; 0], &[]).is_ok());
        let mut d = vec![1.0f64; 4];
        assert_eq!(
            a.try_backward(&[], &[0.5; 3], &mut d),
            Err(KilnError::LengthMismatch {
                what: "activation output (y)",
                expected: 4,
                actual: 3
            })
        );
        // Gelu reads x, so an empty x is an error.
        assert!(Activation::Gelu
            .try_backward(&[], &[0.5; 4], &mut d)
            .is_err());
    }

    #[test]
    #[should_panic(expected = "sigmoid backward")]
    fn unchecked_backward_panics_on_mismatch() {
        Activation::Sigmoid.backward(&[], &[0.5f64; 3], &mut [1.0; 4]);
    }

    #[test]
    fn hyper_parameters_are_checked() {
        assert!(Activation::leaky_relu(0.2).is_ok());
        assert!(Activation::leaky_relu(f64::NAN).is_err());
        assert!(Activation::elu(f64::INFINITY).is_err());
        assert_eq!(Activation::elu(1.0), Ok(Activation::ELU));
    }

    #[test]
    fn all_simd_paths_agree_bitwise_with_each_other() {
        let x64 = inputs();
        let x32: Vec<f32> = x64.iter().map(|&v| v as f32).collect();
        let bias32 = [0.25f32, -0.5, 1.0];
        let run = |a: Activation| {
            let mut y32 = x32.clone();
            a.forward(&mut y32);
            let mut yb32 = x32[..x32.len() / 3 * 3].to_vec();
            a.forward_bias(&mut yb32, &bias32);
            let mut d32 = vec![0.75f32; x32.len()];
            a.backward(&x32, &y32, &mut d32);
            let mut y64 = x64.clone();
            a.forward(&mut y64);
            let mut d64 = vec![0.75f64; x64.len()];
            a.backward(&x64, &y64, &mut d64);
            let bits32: Vec<u32> = y32
                .iter()
                .chain(&yb32)
                .chain(&d32)
                .map(|v| v.to_bits())
                .collect();
            let bits64: Vec<u64> = y64.iter().chain(&d64).map(|v| v.to_bits()).collect();
            (bits32, bits64)
        };
        for a in ALL {
            let reference = with_level(SimdLevel::Portable, || run(a));
            for level in available_levels() {
                assert!(
                    with_level(level, || run(a)) == reference,
                    "{} on {level:?}",
                    a.name()
                );
            }
        }
    }

    #[test]
    fn f32_kernels_match_f64_reference() {
        // The fast f32 maths against the f64 path (libm-accurate), on values and derivatives.
        // Derivatives read from an f32 output (`y (1 - y)` near y = 1) carry its rounding,
        // hence the absolute term.
        for a in ALL {
            for x in inputs() {
                let x32 = x as f32;
                let want = value(a, x32 as f64);
                let got = value32(a, x32) as f64;
                assert!(
                    (got - want).abs() <= 1e-6 * want.abs().max(1e-3),
                    "{}({x32}) = {got}, f64 gives {want}",
                    a.name()
                );
                let want = derivative(a, x32 as f64);
                let y = value32(a, x32);
                let mut d = [1.0f32];
                a.backward(&[x32], &[y], &mut d);
                assert!(
                    (d[0] as f64 - want).abs() <= 1e-7 + 2e-6 * want.abs(),
                    "{}'({x32}) = {}, f64 gives {want}",
                    a.name(),
                    d[0]
                );
            }
        }
    }

    #[test]
    fn nan_propagates_through_forward() {
        for a in ALL {
            assert!(value(a, f64::NAN).is_nan(), "{}", a.name());
            assert!(value32(a, f32::NAN).is_nan(), "{} f32", a.name());
        }
    }
}
