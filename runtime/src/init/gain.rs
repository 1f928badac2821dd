//! Gains that scale an initialiser's spread to keep activations' variance steady through a
//! nonlinearity. Where Glorot and Bengio's (2010) analysis and PyTorch's `calculate_gain`
//! differ, both are given.

/// No nonlinearity (and PyTorch's gain for sigmoid, conv and linear layers).
pub const LINEAR: f64 = 1.0;
/// Xavier gain 4 for the logistic sigmoid: its slope at 0 is 1/4, a quarter of tanh's, so
/// weights four times larger keep the same variance (the usual reading of Glorot and Bengio,
/// 2010, e.g. in the Theano deep-learning tutorials). PyTorch's `calculate_gain("sigmoid")`
/// is 1.
pub const LOGISTIC_GLOROT: f64 = 4.0;
/// The old name of [`LOGISTIC_GLOROT`].
#[deprecated(note = "renamed to LOGISTIC_GLOROT")]
pub const LOGISTIC_NOTES: f64 = LOGISTIC_GLOROT;
/// Xavier gain 1 for tanh, whose slope at 0 is 1 (Glorot and Bengio, 2010, derive their
/// bounds for this case).
pub const TANH_GLOROT: f64 = 1.0;
/// The old name of [`TANH_GLOROT`].
#[deprecated(note = "renamed to TANH_GLOROT")]
pub const TANH_NOTES: f64 = TANH_GLOROT;
/// PyTorch's `calculate_gain("tanh")`.
pub const TANH_PYTORCH: f64 = 5.0 / 3.0;

/// `sqrt(2)`, for ReLU (He et al.; PyTorch's `calculate_gain("relu")`).
pub fn relu() -> f64 {
    core::f64::consts::SQRT_2
}

/// `sqrt(2 / (1 + slope^2))` for a leaky ReLU with negative slope `slope` (PyTorch's
/// `calculate_gain("leaky_relu", slope)`); `relu()` at slope 0. Not validated here: a
/// non-finite result is rejected by [`Init::fill`](super::Init::fill).
pub fn leaky_relu(slope: f64) -> f64 {
    libm::sqrt(2.0 / (1.0 + slope * slope))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values() {
        assert_eq!(relu(), 2.0f64.sqrt());
        assert_eq!(leaky_relu(0.0), relu());
        // PyTorch: calculate_gain('leaky_relu', 0.2) = sqrt(2 / 1.04)
        assert!((leaky_relu(0.2) - 1.386_750_490_563_073).abs() < 1e-15);
        assert!((leaky_relu(5.0f64.sqrt()) - (1.0f64 / 3.0).sqrt()).abs() < 1e-15);
        assert!(leaky_relu(f64::NAN).is_nan());
    }
}
