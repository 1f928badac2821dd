//! Gradient clipping by global L2 norm and by value, as PyTorch's `clip_grad_norm_` and
//! `clip_grad_value_`, over any [`GradSet`].

use crate::error::{check_hyper, KilnError, Result};
use crate::float::Float;
use crate::param::GradSet;

/// The flat index (over the whole set, in visit order) of the first non-finite gradient.
fn first_non_finite<T: Float, G: GradSet<T> + ?Sized>(grads: &mut G) -> Option<usize> {
    let (mut offset, mut found) = (0usize, None);
    grads.visit_grads(&mut |_, g| {
        if found.is_none() {
            found = crate::finite::first_non_finite(g).map(|i| offset + i);
        }
        offset += g.len();
    });
    found
}

/// Scales every gradient by `max_norm / (total_norm + 1e-6)` when that is below 1, where
/// `total_norm` is the L2 norm of all gradients together; returns `total_norm` (before
/// clipping).
///
/// This is PyTorch's `clip_grad_norm_`. The textbook `g * min(1, theta / ||g||)` (Pascanu et
/// al., 2013) differs only by the `1e-6` guard in the denominator, which kiln keeps so
/// results match PyTorch's.
///
/// Takes any [`GradSet`], sized or not (`&mut dyn GradSet<T>`, or a slice of
/// `(name, gradient)` pairs directly). The norm is accumulated in `f64` (rescaled if the sum
/// of squares overflows). `max_norm` must be finite and `> 0`. A NaN or infinite gradient is
/// [`KilnError::NonFinite`] with the flat index of the first one (PyTorch would silently
/// return a non-finite norm unless `error_if_nonfinite=True`); the gradients are then left
/// untouched.
pub fn clip_grad_norm<T: Float, G: GradSet<T> + ?Sized>(
    grads: &mut G,
    max_norm: f64,
) -> Result<f64> {
    check_hyper(
        "max_norm",
        max_norm,
        max_norm > 0.0,
        "must be finite and > 0",
    )?;
    if let Some(index) = first_non_finite(grads) {
        return Err(KilnError::NonFinite {
            what: "gradient",
            index,
        });
    }
    let mut sum = 0.0f64;
    grads.visit_grads(&mut |_, g| sum += g.iter().map(|x| x.to_f64().powi(2)).sum::<f64>());
    let mut total = sum.sqrt();
    if !total.is_finite() {
        // Every element is finite, so the squares overflowed: rescale by the largest.
        let mut scale = 0.0f64;
        grads.visit_grads(&mut |_, g| scale = g.iter().fold(scale, |s, x| s.max(x.to_f64().abs())));
        let mut sum = 0.0f64;
        grads.visit_grads(&mut |_, g| {
            sum += g.iter().map(|x| (x.to_f64() / scale).powi(2)).sum::<f64>()
        });
        total = scale * sum.sqrt();
    }
    let coef = max_norm / (total + 1e-6);
    if coef < 1.0 {
        let c = T::from_f64(coef);
        grads.visit_grads(&mut |_, g| g.iter_mut().for_each(|x| *x *= c));
    }
    Ok(total)
}

/// Clamps every gradient element to `[-clip, clip]`, as PyTorch's `clip_grad_value_`.
///
/// `clip` must be finite and `> 0`. Unlike PyTorch (which clamps infinities to `±clip` and
/// passes NaN through), a non-finite gradient is [`KilnError::NonFinite`] with the flat index
/// of the first one, and the gradients are left untouched: a blown-up step should not turn
/// silently into a full-size one.
pub fn clip_grad_value<T: Float, G: GradSet<T> + ?Sized>(grads: &mut G, clip: f64) -> Result<()> {
    check_hyper("clip value", clip, clip > 0.0, "must be finite and > 0")?;
    if let Some(index) = first_non_finite(grads) {
        return Err(KilnError::NonFinite {
            what: "gradient",
            index,
        });
    }
    let (hi, lo) = (T::from_f64(clip), T::from_f64(-clip));
    grads.visit_grads(&mut |_, g| g.iter_mut().for_each(|x| *x = x.max(lo).min(hi)));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn norm_clipping_by_hand() {
        // ||(3, 4, 0, 12)|| = 13; clip to 6.5: every element times 6.5 / (13 + 1e-6).
        let (mut a, mut b) = ([3.0f64, 4.0], [0.0f64, 12.0]);
        let mut set = [("a", &mut a[..]), ("b", &mut b[..])];
        let n = clip_grad_norm(&mut set[..], 6.5).unwrap();
        assert_eq!(n, 13.0);
        let c = 6.5 / (13.0 + 1e-6);
        assert_eq!((a, b), ([3.0 * c, 4.0 * c], [0.0, 12.0 * c]));
        // Clipped norm is just under 6.5.
        let after = (a[0] * a[0] + a[1] * a[1] + b[1] * b[1]).sqrt();
        assert!(after < 6.5 && after > 6.5 - 1e-6);

        // Below the threshold nothing changes (f32).
        let mut g = [0.3f32, -0.4];
        let mut set = [("g", &mut g[..])];
        assert!((clip_grad_norm(&mut set[..], 1.0).unwrap() - 0.5).abs() < 1e-7);
        assert_eq!(g, [0.3, -0.4]);
    }

    #[test]
    fn norm_survives_overflowing_squares() {
        let mut g = [3e200f64, -4e200];
        let mut set = [("g", &mut g[..])];
        let n = clip_grad_norm(&mut set[..], 1.0).unwrap();
        assert!((n / 5e200 - 1.0).abs() < 1e-15, "{n}");
        assert!(
            (g[0] - 0.6).abs() < 1e-15 && (g[1] + 0.8).abs() < 1e-15,
            "{g:?}"
        );
    }

    #[test]
    fn non_finite_is_an_error_and_leaves_grads() {
        let (mut a, mut b) = ([1.0f64, 2.0], [3.0f64, f64::NAN]);
        let mut set = [("a", &mut a[..]), ("b", &mut b[..])];
        assert_eq!(
            clip_grad_norm(&mut set[..], 0.1),
            Err(KilnError::NonFinite {
                what: "gradient",
                index: 3
            })
        );
        let mut set = [("a", &mut a[..]), ("b", &mut b[..])];
        assert!(clip_grad_value(&mut set[..], 0.1).is_err());
        assert_eq!(a, [1.0, 2.0]);
        assert_eq!(b[0], 3.0);
        let mut g = [f32::INFINITY];
        let mut set = [("g", &mut g[..])];
        assert_eq!(
            clip_grad_norm(&mut set[..], 1.0),
            Err(KilnError::NonFinite {
                what: "gradient",
                index: 0
            })
        );
    }

    #[test]
    fn value_clipping_by_hand() {
        let mut g = [-3.0f32, -0.5, 0.0, 0.5, 2.0];
        let mut set = [("g", &mut g[..])];
        clip_grad_value(&mut set[..], 1.0).unwrap();
        assert_eq!(g, [-1.0, -0.5, 0.0, 0.5, 1.0]);
    }

    #[test]
    fn rejects_bad_thresholds() {
        let mut g = [1.0f64];
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            let mut set = [("g", &mut g[..])];
            assert!(matches!(
                clip_grad_norm(&mut set[..], bad),
                Err(KilnError::InvalidHyperParameter { .. })
            ));
            assert!(clip_grad_value(&mut set[..], bad).is_err());
        }
        assert_eq!(g, [1.0]);
    }
}
