//! Softmax and log-softmax of one sample, in place, for the embedded form: the largest value
//! subtracted first, so no exponential overflows (as PyTorch computes them).

use crate::float::Float;

/// `x = softmax(x)`, or `log_softmax(x)` with `log`.
pub fn softmax<T: Float>(x: &mut [T], log: bool) {
    let Some(&first) = x.first() else {
        return;
    };
    let max = x.iter().fold(first, |m, &v| m.max(v));
    let sum = x.iter().fold(T::ZERO, |s, &v| s + (v - max).exp());
    if log {
        let shift = max + sum.ln();
        x.iter_mut().for_each(|v| *v -= shift);
    } else {
        x.iter_mut().for_each(|v| *v = (*v - max).exp() / sum);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixed::testutil::{close, values};

    #[test]
    fn matches_the_heap_backed_kernels() {
        for log in [false, true] {
            let x = values(7, 4);
            let mut want = x.clone();
            if log {
                crate::softmax::log_softmax_rows(&mut want, 7).unwrap();
            } else {
                crate::softmax::softmax_rows(&mut want, 7).unwrap();
            }
            let mut got = x.clone();
            softmax(&mut got, log);
            close(&got, &want, 1e-14);
        }
        // Large logits do not overflow.
        let mut big = [1000.0f32, 999.0, -1000.0];
        softmax(&mut big, false);
        assert!(big.iter().all(|v| v.is_finite()) && (big.iter().sum::<f32>() - 1.0).abs() < 1e-6);
    }
}
