//! Xavier/Glorot scales (Glorot and Bengio, 2010, "Understanding the difficulty of training
//! deep feedforward neural networks"): keep the variance of activations and of
//! gradients alike by using the mean of fan-in and fan-out (PyTorch's `xavier_*_`).

/// Uniform bound `gain * sqrt(6 / (fan_in + fan_out))`, so the variance is
/// `gain^2 * 2 / (fan_in + fan_out)`.
pub fn uniform_bound(gain: f64, fan_in: usize, fan_out: usize) -> f64 {
    gain * libm::sqrt(6.0 / (fan_in as f64 + fan_out as f64))
}

/// Normal standard deviation `gain * sqrt(2 / (fan_in + fan_out))`.
pub fn normal_std(gain: f64, fan_in: usize, fan_out: usize) -> f64 {
    gain * libm::sqrt(2.0 / (fan_in as f64 + fan_out as f64))
}
