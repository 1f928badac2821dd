//! Perplexity of a language model: the exponential of its mean cross-entropy per
//! token, i.e. the effective number of equally likely next tokens.

use crate::float::Float;

/// `exp(mean_ce)`, where `mean_ce` is [`SoftmaxCrossEntropy`](super::SoftmaxCrossEntropy)
/// with [`Reduction::Mean`](super::Reduction::Mean) over all predicted tokens (natural log).
/// 1 for a perfect model, `K` for a uniform guess over `K` tokens; NaN stays NaN.
pub fn perplexity<T: Float>(mean_ce: T) -> T {
    mean_ce.exp()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loss::{Loss, SoftmaxCrossEntropy};

    #[test]
    fn uniform_guess_over_k_tokens_has_perplexity_k() {
        let logits = [0.5f64; 3 * 7];
        let ce = SoftmaxCrossEntropy::default()
            .loss(&logits, 7, &[0, 3, 6])
            .unwrap();
        assert!((perplexity(ce) - 7.0).abs() < 1e-12);
        assert_eq!(perplexity(0.0f32), 1.0);
        assert!(perplexity(f64::NAN).is_nan());
    }
}
