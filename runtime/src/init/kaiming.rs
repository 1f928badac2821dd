//! Kaiming/He scales (He et al., 2015, "Delving Deep into Rectifiers"): keep the variance through ReLU-like layers from one side's fan
//! (PyTorch's `kaiming_*_`). With `gain = sqrt(2 / (1 + a^2))` (see [`super::gain`]) and
//! `a = 0` they give He's `U(-sqrt(6/fan), sqrt(6/fan))` and `N(0, 2/fan)`.

/// Uniform bound `gain * sqrt(3 / fan)` (variance `gain^2 / fan`).
pub fn uniform_bound(gain: f64, fan: usize) -> f64 {
    gain * libm::sqrt(3.0 / fan as f64)
}

/// Normal standard deviation `gain / sqrt(fan)`.
pub fn normal_std(gain: f64, fan: usize) -> f64 {
    gain / libm::sqrt(fan as f64)
}
