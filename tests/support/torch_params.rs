//! PyTorch parity by tensor name, shared by the parity tests whose fixtures list each tensor
//! as `(state_dict name, value, gradient)`: load PyTorch's parameters into a network, then
//! compare values and gradients to PyTorch's in f64.
#![allow(dead_code)]

use kiln::prelude::*;

/// A fixture's tensors: `(name, value, gradient)`, in PyTorch's order.
pub type Params = &'static [(&'static str, &'static [f64], &'static [f64])];

/// The tolerance of f64 parity with PyTorch.
pub const TOL: f64 = 1e-12;

fn find(params: Params, name: &str) -> (&'static [f64], &'static [f64]) {
    let (_, value, grad) = params
        .iter()
        .find(|(n, _, _)| *n == name)
        .unwrap_or_else(|| panic!("PyTorch has no tensor {name}"));
    (value, grad)
}

/// Copies each of `net`'s tensors from PyTorch's tensor of the same name; every PyTorch
/// tensor is used.
pub fn load<N: Network<f64>>(net: &mut N, params: Params) {
    let mut loaded = Vec::new();
    net.visit_params_mut(&mut |name, _, v| {
        let (p, _) = find(params, name);
        assert_eq!(v.len(), p.len(), "{name}");
        v.copy_from_slice(p);
        loaded.push(name.to_string());
    });
    assert_eq!(loaded.len(), params.len(), "{loaded:?}");
}

/// Every gradient of the last backward in `t` equals PyTorch's, and every PyTorch tensor has
/// one.
pub fn assert_grads<N: Network<f64>>(t: &N::Train, params: Params) {
    let mut checked = 0;
    N::visit_grads(t, &mut |name, _, g| {
        assert_close(g, find(params, name).1, name);
        checked += 1;
    });
    assert_eq!(checked, params.len());
}

/// `got` equals `want` element by element to [`TOL`].
pub fn assert_close(got: &[f64], want: &[f64], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (a, b)) in got.iter().zip(want).enumerate() {
        assert!((a - b).abs() < TOL, "{what}[{i}]: {a} vs {b}");
    }
}
