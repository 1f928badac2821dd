//! Gains that scale an initialiser's spread to keep activations' variance steady through a
//! nonlinearity. Where the notes and PyTorch's `calculate_gain` differ, both are given.

/// No nonlinearity (and PyTorch's gain for sigmoid, conv and linear layers).
pub const LINEAR: f64 = 1.0;
/// Xavier gain for the logistic sigmoid from the notes [OPT Table 7.2] (x4; [FF (5.90)-(5.91)]
/// swap logistic and tanh by mistake). PyTorch's `calculate_gain("sigmoid")` is 1.
pub const LOGISTIC_NOTES: f64 = 4.0;
/// Xavier gain for tanh from the notes [OPT Table 7.2].
pub const TANH_NOTES: f64 = 1.0;
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
