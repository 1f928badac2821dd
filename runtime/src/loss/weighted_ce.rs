//! Class-weighted softmax cross-entropy, PyTorch's `nn.CrossEntropyLoss(weight=w,
//! label_smoothing=eps)`: per row `i` with log-probabilities `l_i = log_softmax(x_i)`,
//! `(1 - eps) w_{y_i} (-l_{i,y_i}) + (eps / K) sum_c w_c (-l_{i,c})`; the mean divides the
//! total by `D = sum_i w_{y_i}` (NaN when every row's label weighs 0, as in PyTorch). The
//! gradient of row `i` is `(1 - eps) w_{y_i} (p_i - e_{y_i}) + (eps / K) (W p_i - w)` with
//! `W = sum_c w_c`, over `D` for the mean.

use super::Reduction;
use crate::float::Float;
use crate::loss::LabelSmoothing;

/// The loss (labels and lengths already checked), its gradient written into `grad` if given.
pub(crate) fn eval<T: Float>(
    output: &[T],
    width: usize,
    labels: &[usize],
    mut grad: Option<&mut [T]>,
    w: &[f64],
    smoothing: LabelSmoothing,
    reduction: Reduction,
) -> f64 {
    let eps = match smoothing {
        LabelSmoothing::PyTorch(e) => e,
        _ => 0.0,
    };
    let spread = eps / width as f64;
    let w_all: f64 = w.iter().sum();
    let denom = match reduction {
        Reduction::Mean => labels.iter().map(|&y| w[y]).sum::<f64>(),
        Reduction::Sum => 1.0,
    };
    let mut total = 0.0;
    let mut logp = vec![0.0f64; width];
    for (r, (x, &y)) in output.chunks_exact(width).zip(labels).enumerate() {
        let m = x.iter().fold(x[0], |a, &b| a.max(b)).to_f64();
        let ln_sum = x.iter().map(|&v| (v.to_f64() - m).exp()).sum::<f64>().ln();
        for (l, &v) in logp.iter_mut().zip(x) {
            *l = v.to_f64() - m - ln_sum;
        }
        let smooth: f64 = w.iter().zip(&logp).map(|(wc, l)| -wc * l).sum();
        total += (1.0 - eps) * w[y] * -logp[y] + spread * smooth;
        if let Some(g) = grad.as_deref_mut() {
            let g = &mut g[r * width..(r + 1) * width];
            for (k, gk) in g.iter_mut().enumerate() {
                let p = logp[k].exp();
                let hit = if k == y { 1.0 } else { 0.0 };
                let d = (1.0 - eps) * w[y] * (p - hit) + spread * (w_all * p - w[k]);
                *gk = T::from_f64(d / denom);
            }
        }
    }
    total / denom
}
