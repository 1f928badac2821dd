//! TEMPORARY stub.
use crate::{Float, Result};
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Reduction { Mean, Sum }
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LabelSmoothing { None, PyTorch(f64), Notes(f64) }
pub trait Loss<T: Float> {
    type Target: ?Sized;
    fn loss_and_grad(&self, output: &[T], width: usize, target: &Self::Target, grad: &mut [T]) -> Result<T>;
    fn loss(&self, output: &[T], width: usize, target: &Self::Target) -> Result<T>;
}
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SoftmaxCrossEntropy { pub label_smoothing: LabelSmoothing, pub reduction: Reduction }
impl Default for SoftmaxCrossEntropy { fn default() -> Self { Self { label_smoothing: LabelSmoothing::None, reduction: Reduction::Mean } } }
impl<T: Float> Loss<T> for SoftmaxCrossEntropy {
    type Target = [usize];
    fn loss_and_grad(&self, o: &[T], w: usize, t: &[usize], g: &mut [T]) -> Result<T> {
        let rows = o.len() / w; let mut total = T::ZERO;
        for r in 0..rows { let row = &o[r*w..(r+1)*w]; let m = row.iter().fold(row[0], |a, &b| a.max(b)); let s: T = row.iter().map(|&v| (v-m).exp()).sum(); let lse = m + s.ln(); total += lse - row[t[r]];
            for j in 0..w { g[r*w+j] = ((row[j]-lse).exp() - if j == t[r] { T::ONE } else { T::ZERO }) / T::from_usize(rows); } }
        Ok(total / T::from_usize(rows))
    }
    fn loss(&self, o: &[T], w: usize, t: &[usize]) -> Result<T> { let mut g = vec![T::ZERO; o.len()]; self.loss_and_grad(o, w, t, &mut g) }
}
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Mse { pub half: bool }
impl<T: Float> Loss<T> for Mse {
    type Target = [T];
    fn loss_and_grad(&self, o: &[T], _w: usize, t: &[T], g: &mut [T]) -> Result<T> { let n = T::from_usize(o.len()); let mut s = T::ZERO; for i in 0..o.len() { let d = o[i]-t[i]; s += d*d; g[i] = (T::ONE+T::ONE)*d/n; } Ok(s/n) }
    fn loss(&self, o: &[T], w: usize, t: &[T]) -> Result<T> { let mut g = vec![T::ZERO; o.len()]; self.loss_and_grad(o, w, t, &mut g) }
}
