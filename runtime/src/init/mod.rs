//! TEMPORARY stub.
use crate::{Float, Result};
use crate::rng::KilnRng;
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FanMode { FanIn, FanOut }
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Init { Zeros, Constant(f64), Uniform { low: f64, high: f64 }, Normal { mean: f64, std: f64 }, XavierUniform { gain: f64 }, XavierNormal { gain: f64 }, KaimingUniform { negative_slope: f64, mode: FanMode }, KaimingNormal { negative_slope: f64, mode: FanMode }, Orthogonal { gain: f64 } }
impl Init {
    pub fn fill<T: Float>(&self, w: &mut [T], fan_in: usize, fan_out: usize, rng: &mut KilnRng) -> Result<()> {
        use rand::Rng;
        let r = (6.0 / (fan_in + fan_out) as f64).sqrt();
        for v in w { *v = T::from_f64(match self { Init::Zeros => 0.0, Init::Constant(c) => *c, _ => rng.random_range(-r..r) }); }
        Ok(())
    }
}
pub mod gain { pub const LINEAR: f64 = 1.0; pub fn relu() -> f64 { 2f64.sqrt() } }
