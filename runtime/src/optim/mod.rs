//! TEMPORARY stub.
use crate::{Float, ParamSet, Result};
pub trait Optimizer<T: Float> {
    fn step(&mut self, params: &mut dyn ParamSet<T>) -> Result<()>;
    fn learning_rate(&self) -> f64;
    fn set_learning_rate(&mut self, lr: f64) -> Result<()>;
    fn steps(&self) -> u64;
    fn visit_state(&mut self, f: &mut dyn FnMut(&str, &mut [T]));
}
pub struct Sgd {
    pub lr: f64,
}
impl<T: Float> Optimizer<T> for Sgd {
    fn step(&mut self, params: &mut dyn ParamSet<T>) -> Result<()> {
        let lr = T::from_f64(self.lr);
        params.visit(&mut |p| {
            for (v, g) in p.value.iter_mut().zip(p.grad) {
                *v -= lr * *g;
            }
        });
        Ok(())
    }
    fn learning_rate(&self) -> f64 {
        self.lr
    }
    fn set_learning_rate(&mut self, lr: f64) -> Result<()> {
        self.lr = lr;
        Ok(())
    }
    fn steps(&self) -> u64 {
        0
    }
    fn visit_state(&mut self, _f: &mut dyn FnMut(&str, &mut [T])) {}
}
