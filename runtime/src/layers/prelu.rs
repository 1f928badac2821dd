//! PReLU with learnable slopes (PyTorch's `nn.PReLU`): `y = x` for `x > 0`, `a x` otherwise;
//! one slope shared by all features (`C = 1`) or one per channel (`C * S = F`), where a channel
//! is a run of `S` values: `S = 1` for flat features, `S = H * W` (or `L`) for feature maps
//! `[C, H, W]` (or `[C, L]`), as PyTorch's `nn.PReLU(num_parameters = C)`. Initialised to 0.25.
//! Backward: `dx = dy` (x > 0) or `a dy`; `da = sum dy x` over the elements with `x <= 0`.

use super::{boxed_vector, GradVisitor, Layer};
use crate::activation::prelu::{prelu_backward, prelu_forward};
use crate::float::Float;
use crate::param::ParamKind;
use crate::train_ctx::TrainCtx;
use crate::Result;

/// PReLU over `F` values with `C` slopes, each shared by a run of `S` values (`C` is 1 or
/// `F / S`).
#[derive(Debug, Clone)]
pub struct PRelu<T: Float, const F: usize, const C: usize, const S: usize = 1> {
    /// Learned slopes `a` for negative inputs: one shared, or one per channel.
    pub weight: Box<[T; C]>,
}

impl<T: Float, const F: usize, const C: usize, const S: usize> PRelu<T, F, C, S> {
    const VALID: () = assert!(
        S > 0 && (C == 1 || C * S == F),
        "PReLU has one slope or one per channel of S values"
    );

    /// Every slope set to `init` (PyTorch's default is 0.25).
    pub fn new(init: f64) -> Self {
        #[allow(clippy::let_unit_value)]
        let () = Self::VALID;
        let mut p = PRelu {
            weight: boxed_vector(),
        };
        p.weight.fill(T::from_f64(init));
        p
    }
}

impl<T: Float, const F: usize, const C: usize, const S: usize> Layer<T> for PRelu<T, F, C, S> {
    const IN: usize = F;
    const OUT: usize = F;
    type Cache = ();

    fn param_names(&self) -> &'static [&'static str] {
        &["weight"]
    }

    fn zeros_like(&self) -> Self {
        Self::new(0.0)
    }

    fn forward(&self, x: &[T], y: &mut [T], _batch: usize, _cache: &mut ()) {
        y.copy_from_slice(x);
        let r = prelu_forward(y, &self.weight[..], S);
        debug_assert!(r.is_ok(), "PReLU layout is fixed by F and C");
    }

    fn forward_train(
        &mut self,
        x: &[T],
        y: &mut [T],
        b: usize,
        c: &mut (),
        _r: &mut TrainCtx,
    ) -> Result<()> {
        self.forward(x, y, b, c);
        Ok(())
    }

    fn backward(
        &self,
        x: &[T],
        _y: &[T],
        dy: &mut [T],
        dx: Option<&mut [T]>,
        _batch: usize,
        _cache: &mut (),
        grads: &mut Self,
    ) {
        grads.weight.fill(T::ZERO);
        // dy is scratch: it becomes dL/dx in place, the slope gradients accumulate.
        let r = prelu_backward(x, &self.weight[..], S, dy, &mut grads.weight[..]);
        debug_assert!(r.is_ok(), "PReLU layout is fixed by F and C");
        if let Some(dx) = dx {
            dx.copy_from_slice(dy);
        }
    }

    fn visit_params(&self, f: &mut dyn FnMut(usize, ParamKind, &[T])) {
        f(0, ParamKind::Slope, &self.weight[..]);
    }

    fn visit_params_mut(&mut self, f: &mut dyn FnMut(usize, ParamKind, &mut [T])) {
        f(0, ParamKind::Slope, &mut self.weight[..]);
    }

    fn visit_with_grads(&mut self, g: &Self, f: &mut GradVisitor<'_, T>) {
        f(0, ParamKind::Slope, &mut self.weight[..], &g.weight[..]);
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{check_layer, probe_input};
    use super::*;

    #[test]
    fn forward_and_finite_differences() {
        let p = PRelu::<f64, 2, 2>::new(0.25);
        let mut y = [0.0; 4];
        p.forward(&[1.0, -2.0, -4.0, 3.0], &mut y, 2, &mut ());
        assert_eq!(y, [1.0, -0.5, -1.0, 3.0]);
        // Channels of two values each: slope 0.5 for the first run, 0.25 for the second.
        let mut p = PRelu::<f64, 4, 2, 2>::new(0.25);
        p.weight[0] = 0.5;
        p.forward(&[-2.0, -4.0, -4.0, 1.0], &mut y, 1, &mut ());
        assert_eq!(y, [-1.0, -2.0, -1.0, 1.0]);
        let err = check_layer(&mut PRelu::<f64, 4, 4>::new(0.3), &probe_input(12), 3, 0);
        assert!(err < 1e-7, "{err}");
        let err = check_layer(&mut PRelu::<f64, 4, 1>::new(0.1), &probe_input(12), 3, 0);
        assert!(err < 1e-7, "{err}");
        let mut maps = PRelu::<f64, 12, 3, 4>::new(0.2);
        maps.weight.copy_from_slice(&[0.1, -0.3, 0.5]);
        let err = check_layer(&mut maps, &probe_input(24), 2, 0);
        assert!(err < 1e-7, "{err}");
    }
}
