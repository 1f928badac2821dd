//! Stacked recurrent layers, `lstm(h, layers = n, dropout = p)`: PyTorch's `num_layers` with
//! its tensor names (`weight_ih_l1`, ...), so a state_dict loads by name unmodified, outputs
//! and gradients equal to PyTorch's, BPTT through dropout against finite differences, and
//! streaming against the whole-sequence forward.

use kiln::prelude::*;
use kiln::runtime::rng::uniform;

#[path = "fixtures/torch_stacked.rs"]
mod torch;
#[path = "support/torch_params.rs"]
mod torch_params;

use torch_params::assert_close;

network! {
    /// PyTorch's `nn.LSTM(3, 4, num_layers = 2)`.
    struct Lstm2 {
        input: [seq, 3],
        layers: [lstm(4, layers = 2)],
        output: [seq, 4],
        loss: mse,
    }
}

network! {
    /// PyTorch's `nn.GRU(3, 4, num_layers = 3)`.
    struct Gru3 {
        input: [seq, 3],
        layers: [gru(4, layers = 3)],
        output: [seq, 4],
        loss: mse,
    }
}

network! {
    /// Two stacked LSTMs with dropout between them, then a head.
    struct Dropped {
        input: [seq, 3],
        layers: [lstm(5, layers = 2, dropout = 0.3), dense(2)],
        loss: mse,
    }
}

type Fixture = (
    &'static [f64],
    &'static [f64],
    &'static [f64],
    f64,
    &'static [f64],
    torch_params::Params,
);

fn parity<N: Network<f64, Loss = kiln::runtime::loss::Mse>>(mut net: N, f: Fixture) {
    let (x, target, y_want, loss_want, dx_want, params) = f;
    torch_params::load(&mut net, params);
    let tensors: Vec<&str> = N::TENSORS.iter().map(|t| t.name).collect();
    let torch_names: Vec<&str> = params.iter().map(|(n, _, _)| *n).collect();
    assert_eq!(tensors, torch_names, "TENSORS in PyTorch's order and names");

    let mut t = net.new_train(0);
    N::set_steps(&mut t, torch::STEPS);
    net.forward_train_flat(x, &mut t).unwrap();
    let (out, d) = N::output_and_grad(&mut t);
    assert_close(out, y_want, "output");
    let loss = net.loss_fn().loss_and_grad(out, 4, target, d).unwrap();
    assert!(
        (loss - loss_want).abs() < 1e-12,
        "loss {loss} vs {loss_want}"
    );
    let mut dx = vec![0.0; x.len()];
    net.backward_flat(x, &mut t, Some(&mut dx)).unwrap();
    assert_close(&dx, dx_want, "dL/dx");
    torch_params::assert_grads::<N>(&t, params);
}

#[test]
fn two_layer_lstm_matches_pytorch_by_name() {
    use torch::lstm2 as f;
    parity(
        Lstm2::<f64>::new(&mut seeded(1)),
        (&f::X, &f::TARGET, &f::Y, f::LOSS, &f::DX, f::PARAMS),
    );
}

#[test]
fn three_layer_gru_matches_pytorch_by_name() {
    use torch::gru3 as f;
    parity(
        Gru3::<f64>::new(&mut seeded(1)),
        (&f::X, &f::TARGET, &f::Y, f::LOSS, &f::DX, f::PARAMS),
    );
}

fn inputs(n: usize, seed: u64) -> Vec<f64> {
    let mut rng = seeded(seed);
    (0..n).map(|_| uniform(&mut rng, -1.0, 1.0)).collect()
}

#[test]
fn bptt_through_dropout_between_layers_matches_finite_differences() {
    let (steps, seqs) = (4, 2);
    let x = inputs(steps * seqs * 3, 2);
    let target = inputs(steps * seqs * 2, 3);
    let cfg = GradcheckConfig {
        steps,
        ..Default::default()
    };
    let r = gradcheck(&mut Dropped::<f64>::new(&mut seeded(4)), &x, &target, cfg).unwrap();
    assert!(r.max_rel_error <= 1e-6 && r.checked > 60, "{r:?}");
}

#[test]
fn dropout_acts_in_training_only_and_streaming_matches_the_sequence_forward() {
    let mut net = Dropped::<f64>::new(&mut seeded(5));
    let steps = 6;
    let x = inputs(steps * 3, 6);
    let xs = x.as_chunks::<3>().0;
    let mut y = vec![[0.0; 2]; steps];
    net.forward_seq(xs, steps, &mut y, &mut net.scratch())
        .unwrap();
    let mut st = net.stream();
    for (t, xt) in xs.iter().enumerate() {
        let out = net.step(&mut st, xt);
        for (a, b) in out.iter().zip(&y[t]) {
            assert!((a - b).abs() < 1e-12, "step {t}: {out:?} vs {:?}", y[t]);
        }
    }
    let mut t = net.train_state(7);
    Dropped::<f64>::set_steps(&mut t, steps);
    let train_out = net.forward_train(xs, &mut t).unwrap().to_vec();
    assert_ne!(train_out, y, "dropout changes the training forward");
}
