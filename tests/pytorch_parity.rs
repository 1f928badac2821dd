//! The generated forward, loss, gradients, running statistics and eval forward match PyTorch
//! on a model of the same structure (fixtures from tools/reference/network_fixture.py).

use kiln::prelude::*;

#[path = "fixtures/torch_mlp.rs"]
mod torch;

network! {
    /// The same structure as `Net` in tools/reference/network_fixture.py, layer for layer.
    struct Parity {
        input: [4],
        layers: [
            dense(8), relu, batch_norm, dense(6), tanh, layer_norm, prelu,
            dense(5, bias = false), gelu, maxout(4, pieces = 2), dense(3),
        ],
        output: [3],
        loss: softmax_cross_entropy(label_smoothing = 0.1),
    }
}

fn load<T: Float>(net: &mut Parity<T>) {
    let mut seen = 0;
    net.visit_params_mut_by_name(|name, v| {
        let (_, want) = torch::PARAMS
            .iter()
            .find(|(n, _)| *n == name)
            .unwrap_or_else(|| panic!("PyTorch has no parameter named {name}"));
        assert_eq!(v.len(), want.len(), "{name}");
        for (a, &b) in v.iter_mut().zip(want.iter()) {
            *a = T::from_f64(b);
        }
        seen += 1;
    });
    assert_eq!(
        seen,
        torch::PARAMS.len(),
        "every PyTorch parameter has a kiln twin"
    );
    Network::visit_buffers_mut(net, &mut |name, v| {
        if kiln::runtime::network::is_counter(name) {
            return; // a count, checked after the step
        }
        let (_, want) = torch::RUNNING_BEFORE
            .iter()
            .find(|(n, _)| *n == name)
            .unwrap();
        for (a, &b) in v.iter_mut().zip(want.iter()) {
            *a = T::from_f64(b);
        }
    });
}

trait ByName<T> {
    fn visit_params_mut_by_name(&mut self, f: impl FnMut(&str, &mut [T]));
}

impl<T: Float> ByName<T> for Parity<T> {
    fn visit_params_mut_by_name(&mut self, mut f: impl FnMut(&str, &mut [T])) {
        Network::visit_params_mut(self, &mut |name, _, v| f(name, v));
    }
}

fn assert_close<T: Float>(what: &str, got: &[T], want: &[f64], tol: f64) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        let err = (g.to_f64() - w).abs() / w.abs().max(1.0);
        assert!(
            err <= tol,
            "{what}[{i}]: kiln {g} vs PyTorch {w} (error {err:.2e})"
        );
    }
}

fn run<T: Float>(tol: f64) {
    let mut net = Parity::<T>::new(&mut seeded(0));
    load(&mut net);
    let x: Vec<T> = torch::X.iter().map(|&v| T::from_f64(v)).collect();
    let xs = x.as_chunks::<4>().0;
    let mut t = net.train_state(0);
    let out = net
        .forward_train(xs, &mut t)
        .unwrap()
        .as_flattened()
        .to_vec();
    assert_close("train output", &out, torch::TRAIN_OUT, tol);
    let (o, d) = <Parity<T> as Network<T>>::output_and_grad(&mut t);
    let loss = net.loss.loss_and_grad(o, 3, torch::LABELS, d).unwrap();
    assert_close("loss", &[loss], &[torch::LOSS], tol);
    let mut dx = vec![[T::ZERO; 4]; 5];
    net.backward(xs, &mut t, Some(&mut dx)).unwrap();
    assert_close("input gradient", dx.as_flattened(), torch::DX, tol);
    let mut checked = 0;
    Network::visit_params(&t.grads, &mut |name, _, g| {
        let (_, want) = torch::GRADS.iter().find(|(n, _)| *n == name).unwrap();
        assert_close(&format!("gradient of {name}"), g, want, tol);
        checked += 1;
    });
    assert_eq!(checked, torch::GRADS.len());
    let mut running = 0;
    Network::visit_buffers_mut(&mut net, &mut |name, v| {
        if kiln::runtime::network::is_counter(name) {
            // One training forward, as PyTorch's counter after the step.
            assert_eq!(v[0].to_f64(), 1.0, "{name}");
            return;
        }
        let (_, want) = torch::RUNNING_AFTER
            .iter()
            .find(|(n, _)| *n == name)
            .unwrap();
        assert_close(name, v, want, tol);
        running += 1;
    });
    assert_eq!(running, torch::RUNNING_AFTER.len());
    let mut y = vec![[T::ZERO; 3]; 5];
    net.forward(xs, &mut y, &mut net.scratch()).unwrap();
    assert_close("eval output", y.as_flattened(), torch::EVAL_OUT, tol);
}

#[test]
fn matches_pytorch_in_f64() {
    run::<f64>(1e-12);
}

#[test]
fn matches_pytorch_in_f32() {
    run::<f32>(2e-5);
}
