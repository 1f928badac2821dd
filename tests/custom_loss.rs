//! A user-defined loss named in `loss:`: a type implementing the runtime's `Loss` (with
//! `Default` to build it and `Clone`), used by the generated training step, `eval_loss` and
//! `gradcheck` like a built-in loss.

use kiln::prelude::*;
use kiln::runtime::loss::Loss;
use kiln::runtime::rng::uniform;

/// Squared error with the second output weighted 3x: `mean_i sum_j w_j (x_ij - y_ij)^2`.
#[derive(Clone, Default)]
pub struct WeightedSquares;

impl<T: kiln::runtime::Float> Loss<T> for WeightedSquares {
    type Target = [T];

    fn loss_and_grad(
        &self,
        output: &[T],
        width: usize,
        target: &[T],
        grad: &mut [T],
    ) -> kiln::runtime::Result<T> {
        let rows = output.len() / width;
        let mut total = T::ZERO;
        for (i, ((&x, &y), g)) in output.iter().zip(target).zip(grad.iter_mut()).enumerate() {
            let w = T::from_f64(if i % width == 1 { 3.0 } else { 1.0 });
            let d = x - y;
            total += w * d * d;
            *g = T::from_f64(2.0) * w * d / T::from_usize(rows);
        }
        Ok(total / T::from_usize(rows))
    }

    fn loss(&self, output: &[T], width: usize, target: &[T]) -> kiln::runtime::Result<T> {
        let mut grad = vec![T::ZERO; output.len()];
        self.loss_and_grad(output, width, target, &mut grad)
    }
}

network! {
    /// A regression head trained with the user's loss.
    struct Regressor {
        input: [4],
        layers: [dense(8), tanh, dense(2)],
        loss: WeightedSquares,
    }
}

#[test]
fn a_user_loss_trains_and_gradchecks() {
    let mut rng = seeded(1);
    let x: Vec<f64> = (0..6 * 4).map(|_| uniform(&mut rng, -1.0, 1.0)).collect();
    let target: Vec<f64> = (0..6 * 2).map(|_| uniform(&mut rng, -1.0, 1.0)).collect();
    let r = gradcheck(
        &mut Regressor::<f64>::new(&mut seeded(2)),
        &x,
        &target,
        Default::default(),
    )
    .unwrap();
    assert!(r.max_rel_error <= 1e-6 && r.checked > 40, "{r:?}");

    let mut net = Regressor::<f64>::new(&mut seeded(3));
    let mut opt = kiln::runtime::optim::Adam::new(0.02).unwrap();
    let mut t = net.train_state(1);
    let xs = x.as_chunks::<4>().0;
    let before = net.eval_loss(xs, &target, &mut net.scratch()).unwrap();
    for _ in 0..200 {
        net.train_step(xs, &target, &mut opt, &mut t).unwrap();
    }
    let after = net.eval_loss(xs, &target, &mut net.scratch()).unwrap();
    assert!(
        after < before * 0.2,
        "the user's loss fell from {before} to {after} only"
    );
}
