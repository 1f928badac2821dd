//! Weight initialisers [OPT 4.3, FF 5.7.4, SL]: constant, uniform, normal, Xavier, Kaiming and
//! orthogonal, with PyTorch's formulas, filled reproducibly from a seeded [`KilnRng`].
//!
//! Every random draw is made in f64 by [`crate::rng`] and rounded to `T`, so a seed gives the
//! same weights on every machine, and f32 weights are the rounded f64 ones.

mod basic;
pub mod gain;
pub mod kaiming;
mod orthogonal;
mod qr;
pub mod xavier;

pub use orthogonal::fill_orthogonal;

use crate::error::{check_hyper, KilnError, Result};
use crate::float::Float;
use crate::rng::KilnRng;

/// Which fan a Kaiming initialiser preserves the variance of (PyTorch's `mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FanMode {
    /// Forward pass: activations keep their variance (the default, as in PyTorch).
    #[default]
    FanIn,
    /// Backward pass: gradients keep their variance.
    FanOut,
}

/// How to fill a parameter tensor.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Init {
    /// All zeros: for biases (zero weights never break the symmetry between units \[SL\]).
    Zeros,
    /// Every element set to the value.
    Constant(f64),
    /// `U(low, high)`, e.g. the notes' fixed `U(-0.01, 0.01)`.
    Uniform { low: f64, high: f64 },
    /// `N(mean, std^2)`, e.g. the notes' fixed `N(0, 0.01^2)`.
    Normal { mean: f64, std: f64 },
    /// `U(-r, r)`, `r = gain * sqrt(6 / (fan_in + fan_out))`.
    XavierUniform { gain: f64 },
    /// `N(0, s^2)`, `s = gain * sqrt(2 / (fan_in + fan_out))`.
    XavierNormal { gain: f64 },
    /// `U(-r, r)`, `r = gain * sqrt(3 / fan)`; `gain = `[`gain::leaky_relu`]`(a)` for
    /// PyTorch's `kaiming_uniform_(a=a)`, [`gain::relu`] for He's `sqrt(6 / fan_in)`.
    KaimingUniform { gain: f64, mode: FanMode },
    /// `N(0, s^2)`, `s = gain / sqrt(fan)`; [`gain::relu`] gives He's `2 / fan_in`.
    KaimingNormal { gain: f64, mode: FanMode },
    /// `gain` times a random orthogonal matrix; see [`fill_orthogonal`].
    Orthogonal { gain: f64 },
}

impl Init {
    /// He uniform (`kaiming_uniform_(nonlinearity="relu")`): `U(-sqrt(6/fan_in), sqrt(6/fan_in))`.
    pub fn he_uniform() -> Self {
        Init::KaimingUniform {
            gain: gain::relu(),
            mode: FanMode::FanIn,
        }
    }

    /// He normal (`kaiming_normal_(nonlinearity="relu")`): `N(0, 2/fan_in)`.
    pub fn he_normal() -> Self {
        Init::KaimingNormal {
            gain: gain::relu(),
            mode: FanMode::FanIn,
        }
    }

    /// Checks the hyper-parameters alone (fans and lengths are checked by [`Init::fill`]), so a
    /// model can reject a bad initialiser when it is configured.
    pub fn validate(&self) -> Result<()> {
        match *self {
            Init::Zeros => Ok(()),
            Init::Constant(c) => check_hyper("constant init value", c, true, "must be finite"),
            Init::Uniform { low, high } => {
                check_hyper("uniform init high", high, true, "must be finite")?;
                check_hyper(
                    "uniform init low",
                    low,
                    low < high,
                    "must be finite and below high",
                )
            }
            Init::Normal { mean, std } => {
                check_hyper("normal init mean", mean, true, "must be finite")?;
                check_hyper(
                    "normal init std",
                    std,
                    std >= 0.0,
                    "must be finite and non-negative",
                )
            }
            Init::XavierUniform { gain }
            | Init::XavierNormal { gain }
            | Init::KaimingUniform { gain, .. }
            | Init::KaimingNormal { gain, .. }
            | Init::Orthogonal { gain } => {
                check_hyper("init gain", gain, gain > 0.0, "must be finite and positive")
            }
        }
    }

    /// Fills `w` (a tensor with the given fan-in and fan-out; for conv kernels
    /// fan = channels * kh * kw as PyTorch computes it, see [`conv_fans`]) reproducibly from
    /// `rng`: elements are drawn in order, one `u64` per uniform and two per normal draw.
    ///
    /// The fans are only checked (non-zero) by the schemes that use them: Xavier (both),
    /// Kaiming (the one `mode` picks), orthogonal (`fan_out`). Orthogonal assumes PyTorch's
    /// layout with the output dimension first (Linear `[out, in]`, conv
    /// `[c_out, c_in, kh, kw]`): it uses `rows = fan_out`, `cols = w.len() / rows`; call
    /// [`fill_orthogonal`] directly for any other layout.
    pub fn fill<T: Float>(
        &self,
        w: &mut [T],
        fan_in: usize,
        fan_out: usize,
        rng: &mut KilnRng,
    ) -> Result<()> {
        self.validate()?;
        match *self {
            Init::Zeros => basic::fill_constant(w, 0.0),
            Init::Constant(c) => basic::fill_constant(w, c),
            Init::Uniform { low, high } => basic::fill_uniform(w, low, high, rng),
            Init::Normal { mean, std } => basic::fill_normal(w, mean, std, rng),
            Init::XavierUniform { gain } => {
                check_fans(fan_in, fan_out)?;
                let r = xavier::uniform_bound(gain, fan_in, fan_out);
                basic::fill_uniform(w, -r, r, rng)
            }
            Init::XavierNormal { gain } => {
                check_fans(fan_in, fan_out)?;
                basic::fill_normal(w, 0.0, xavier::normal_std(gain, fan_in, fan_out), rng)
            }
            Init::KaimingUniform { gain, mode } => {
                let r = kaiming::uniform_bound(gain, pick_fan(mode, fan_in, fan_out)?);
                basic::fill_uniform(w, -r, r, rng)
            }
            Init::KaimingNormal { gain, mode } => {
                let s = kaiming::normal_std(gain, pick_fan(mode, fan_in, fan_out)?);
                basic::fill_normal(w, 0.0, s, rng)
            }
            Init::Orthogonal { gain } => {
                if fan_out == 0 {
                    return Err(KilnError::EmptyShape { what: "fan_out" });
                }
                let cols = w.len() / fan_out;
                if cols * fan_out != w.len() {
                    return Err(KilnError::LengthMismatch {
                        what: "orthogonal weight (must be fan_out rows of equal length)",
                        expected: fan_out * cols.max(1),
                        actual: w.len(),
                    });
                }
                return fill_orthogonal(w, fan_out, cols, gain, rng);
            }
        }
        Ok(())
    }
}

/// `(fan_in, fan_out)` of a conv kernel `[c_out, c_in, kh, kw]`, as PyTorch computes them:
/// `c_in * kh * kw` and `c_out * kh * kw`.
pub fn conv_fans(c_out: usize, c_in: usize, kh: usize, kw: usize) -> (usize, usize) {
    (c_in * kh * kw, c_out * kh * kw)
}

fn check_fans(fan_in: usize, fan_out: usize) -> Result<()> {
    if fan_in == 0 {
        return Err(KilnError::EmptyShape { what: "fan_in" });
    }
    if fan_out == 0 {
        return Err(KilnError::EmptyShape { what: "fan_out" });
    }
    Ok(())
}

fn pick_fan(mode: FanMode, fan_in: usize, fan_out: usize) -> Result<usize> {
    let (fan, what) = match mode {
        FanMode::FanIn => (fan_in, "fan_in"),
        FanMode::FanOut => (fan_out, "fan_out"),
    };
    if fan == 0 {
        Err(KilnError::EmptyShape { what })
    } else {
        Ok(fan)
    }
}

#[cfg(test)]
mod tests;
