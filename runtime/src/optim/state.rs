//! Per-parameter optimiser state (moment estimates, accumulators), keyed by the order in which
//! a [`ParamSet`] visits its tensors, plus the step count.

use crate::error::{check_len, KilnError, Result};
use crate::float::Float;
use crate::param::{Param, ParamSet};

/// The state buffers of one optimiser: `bufs[param][buffer]`, each as long as its parameter.
#[derive(Debug, Clone)]
pub(crate) struct State<T> {
    /// Buffer names and initial values, fixed when the state is created.
    layout: Vec<(&'static str, f64)>,
    lens: Vec<usize>,
    bufs: Vec<Vec<Vec<T>>>,
    ready: bool,
    /// Steps taken.
    pub steps: u64,
    /// The name [`State::visit`] hands out, reused so visiting allocates nothing after the
    /// first time (the training guard visits the state every step).
    name: String,
}

impl<T: Float> State<T> {
    pub fn new() -> Self {
        State {
            layout: Vec::new(),
            lens: Vec::new(),
            bufs: Vec::new(),
            ready: false,
            steps: 0,
            name: String::new(),
        }
    }

    /// Errors if the state already exists: for builder options that change which buffers an
    /// optimiser keeps (momentum on/off, AMSGrad, centring).
    pub fn check_unset(&self, what: &'static str, value: f64) -> Result<()> {
        if self.ready {
            Err(KilnError::InvalidHyperParameter {
                what,
                value,
                why: "changes the optimiser's state, so it cannot be set after the first step",
            })
        } else {
            Ok(())
        }
    }

    /// Checks `params` against the state (every gradient as long as its parameter; the same
    /// count and lengths as when the state was created) and creates the state with `layout`
    /// on first use. Modifies nothing on error.
    pub fn prepare(
        &mut self,
        params: &mut dyn ParamSet<T>,
        layout: &[(&'static str, f64)],
    ) -> Result<()> {
        if self.ready {
            // Steady state: compare against the recorded lengths while visiting, so a step
            // allocates nothing.
            let mut err = None;
            let mut index = 0;
            let expected = &self.lens;
            params.visit(&mut |p: Param<'_, T>| {
                if err.is_none() {
                    err = check_len("gradient", p.value.len(), p.grad.len()).err();
                }
                if err.is_none() {
                    let expected_len = expected.get(index).copied().unwrap_or(0);
                    if index >= expected.len() || expected_len != p.value.len() {
                        err = Some(KilnError::ParameterSetChanged {
                            index,
                            expected_len,
                            actual_len: p.value.len(),
                        });
                    }
                }
                index += 1;
            });
            if let Some(e) = err {
                return Err(e);
            }
            if index < expected.len() {
                return Err(KilnError::ParameterSetChanged {
                    index,
                    expected_len: expected[index],
                    actual_len: 0,
                });
            }
            return Ok(());
        }
        let mut lens = Vec::new();
        let mut err = None;
        params.visit(&mut |p: Param<'_, T>| {
            if err.is_none() {
                err = check_len("gradient", p.value.len(), p.grad.len()).err();
            }
            lens.push(p.value.len());
        });
        if let Some(e) = err {
            return Err(e);
        }
        self.bufs = lens
            .iter()
            .map(|&n| {
                layout
                    .iter()
                    .map(|&(_, init)| vec![T::from_f64(init); n])
                    .collect()
            })
            .collect();
        self.layout = layout.to_vec();
        self.lens = lens;
        self.ready = true;
        Ok(())
    }

    /// Calls `f` with each parameter and its state buffers, in visit order. Call
    /// [`State::prepare`] first; a set that visits differently the second time is reported as
    /// [`KilnError::ParameterSetChanged`].
    pub fn update(
        &mut self,
        params: &mut dyn ParamSet<T>,
        mut f: impl FnMut(Param<'_, T>, &mut [Vec<T>]),
    ) -> Result<()> {
        let mut index = 0;
        let mut err = None;
        let bufs = &mut self.bufs;
        let lens = &self.lens;
        params.visit(&mut |p: Param<'_, T>| {
            let expected_len = lens.get(index).copied().unwrap_or(0);
            if err.is_none() && expected_len == p.value.len() && p.grad.len() == p.value.len() {
                f(p, &mut bufs[index]);
            } else if err.is_none() {
                err = Some(KilnError::ParameterSetChanged {
                    index,
                    expected_len,
                    actual_len: p.value.len(),
                });
            }
            index += 1;
        });
        err.map_or(Ok(()), Err)
    }

    /// Visits every buffer as `"{param index}.{name}"`.
    pub fn visit(&mut self, f: &mut dyn FnMut(&str, &mut [T])) {
        use core::fmt::Write;
        for (i, bufs) in self.bufs.iter_mut().enumerate() {
            for ((name, _), buf) in self.layout.iter().zip(bufs.iter_mut()) {
                self.name.clear();
                let _ = write!(self.name, "{i}.{name}");
                f(&self.name, buf);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::param::ParamKind;

    fn param<'a>(v: &'a mut [f64], g: &'a [f64]) -> Param<'a, f64> {
        Param {
            name: "p",
            kind: ParamKind::Weight,
            value: v,
            grad: g,
        }
    }

    #[test]
    fn creates_checks_and_names_buffers() {
        let mut s = State::<f64>::new();
        let (mut a, mut b) = (vec![1.0; 3], vec![1.0; 2]);
        let (ga, gb) = (vec![0.0; 3], vec![0.0; 2]);
        let layout = [("sum", 0.5), ("x", 0.0)];
        s.prepare(&mut [param(&mut a, &ga), param(&mut b, &gb)], &layout)
            .unwrap();
        let mut seen = Vec::new();
        s.visit(&mut |n, buf| seen.push((n.to_string(), buf.to_vec())));
        assert_eq!(
            seen,
            [
                ("0.sum".to_string(), vec![0.5; 3]),
                ("0.x".to_string(), vec![0.0; 3]),
                ("1.sum".to_string(), vec![0.5; 2]),
                ("1.x".to_string(), vec![0.0; 2]),
            ]
        );
        // Fewer tensors, more tensors, other lengths, bad gradient.
        assert_eq!(
            s.prepare(&mut [param(&mut a, &ga)], &layout),
            Err(KilnError::ParameterSetChanged {
                index: 1,
                expected_len: 2,
                actual_len: 0
            })
        );
        let (mut c, gc) = (vec![0.0; 4], vec![0.0; 4]);
        assert_eq!(
            s.prepare(
                &mut [param(&mut a, &ga), param(&mut b, &gb), param(&mut c, &gc)],
                &layout
            ),
            Err(KilnError::ParameterSetChanged {
                index: 2,
                expected_len: 0,
                actual_len: 4
            })
        );
        assert_eq!(
            s.prepare(&mut [param(&mut a, &ga), param(&mut c, &gc)], &layout),
            Err(KilnError::ParameterSetChanged {
                index: 1,
                expected_len: 2,
                actual_len: 4
            })
        );
        assert_eq!(
            s.prepare(&mut [param(&mut a, &ga), param(&mut b, &ga)], &layout),
            Err(KilnError::LengthMismatch {
                what: "gradient",
                expected: 2,
                actual: 3
            })
        );
        assert!(s.check_unset("amsgrad", 1.0).is_err());
    }
}
