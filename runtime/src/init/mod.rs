//! Weight initialisers: constant, uniform, normal, Xavier (Glorot and Bengio, 2010), Kaiming
//! (He et al., 2015) and orthogonal (Saxe et al., 2014), with the formulas of PyTorch's
//! `torch.nn.init`, filled reproducibly from a seeded [`KilnRng`].
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
///
/// Build one, then [`Init::fill`] a flattened tensor with its fans from a seeded generator;
/// the same seed always gives the same values.
///
/// ```
/// use kiln_runtime::init::{gain, Init};
/// use kiln_runtime::rng::seeded;
///
/// // A 4 x 3 weight (fan_in 3, fan_out 4) with Glorot's uniform bound sqrt(6 / (3 + 4)).
/// let init = Init::XavierUniform { gain: gain::LINEAR };
/// let mut w = [0.0f64; 12];
/// init.fill(&mut w, 3, 4, &mut seeded(7)).unwrap();
/// let bound = (6.0f64 / 7.0).sqrt();
/// assert!(w.iter().all(|v| v.abs() <= bound));
///
/// // Reproducible: the same seed gives the same weights, in f32 the rounded f64 ones.
/// let mut w32 = [0.0f32; 12];
/// init.fill(&mut w32, 3, 4, &mut seeded(7)).unwrap();
/// assert!(w.iter().zip(&w32).all(|(a, b)| *a as f32 == *b));
///
/// // A bad hyper-parameter is an error, not a panic.
/// assert!(Init::Normal { mean: 0.0, std: -1.0 }.validate().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Init {
    /// All zeros: for biases (as weights, zeros would give every unit of a layer the same
    /// gradient, so they would never become different from each other).
    Zeros,
    /// Every element set to the value.
    Constant(f64),
    /// `U(low, high)`, e.g. a small fixed `U(-0.01, 0.01)`.
    Uniform {
        /// Lower end of the range (inclusive); must be finite and below `high`.
        low: f64,
        /// Upper end of the range (exclusive); must be finite.
        high: f64,
    },
    /// `N(mean, std^2)`, e.g. a small fixed `N(0, 0.01^2)`.
    Normal {
        /// Centre of the distribution; must be finite.
        mean: f64,
        /// Standard deviation (not the variance); finite and `>= 0`.
        std: f64,
    },
    /// `U(-r, r)`, `r = gain * sqrt(6 / (fan_in + fan_out))` (Glorot and Bengio, 2010).
    XavierUniform {
        /// Factor for the nonlinearity that follows (see [`gain`]); finite and `> 0`.
        gain: f64,
    },
    /// `N(0, s^2)`, `s = gain * sqrt(2 / (fan_in + fan_out))` (Glorot and Bengio, 2010).
    XavierNormal {
        /// Factor for the nonlinearity that follows (see [`gain`]); finite and `> 0`.
        gain: f64,
    },
    /// `U(-r, r)`, `r = gain * sqrt(3 / fan)`; `gain = `[`gain::leaky_relu`]`(a)` for
    /// PyTorch's `kaiming_uniform_(a=a)`, [`gain::relu`] for He's `sqrt(6 / fan_in)`.
    KaimingUniform {
        /// Factor for the nonlinearity that follows (see [`gain`]); finite and `> 0`.
        gain: f64,
        /// Which fan sets the scale: fan-in keeps activations steady, fan-out gradients.
        mode: FanMode,
    },
    /// `N(0, s^2)`, `s = gain / sqrt(fan)`; [`gain::relu`] gives He's `2 / fan_in`.
    KaimingNormal {
        /// Factor for the nonlinearity that follows (see [`gain`]); finite and `> 0`.
        gain: f64,
        /// Which fan sets the scale: fan-in keeps activations steady, fan-out gradients.
        mode: FanMode,
    },
    /// `gain` times a random orthogonal matrix; see [`fill_orthogonal`].
    Orthogonal {
        /// Factor the orthogonal matrix is multiplied by; finite and `> 0`.
        gain: f64,
    },
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
