//! Recurrent layers inside `residual { }` and blocks (a GNMT-style residual LSTM stack):
//! PyTorch parity by state_dict name (outputs, loss, every gradient, f64), the tensor list
//! against the runtime's visitors, BPTT against finite differences, and streaming against the
//! whole-sequence forward.

use kiln::prelude::*;
use kiln::runtime::rng::uniform;

#[path = "fixtures/torch_residual_lstm.rs"]
mod torch;
#[path = "support/torch_params.rs"]
mod torch_params;

use torch_params::assert_close;

network! {
    /// PyTorch's model in `tools/reference/residual_lstm.py`.
    struct ResidualStack {
        input: [seq, 3],
        layers: [lstm(8), residual { lstm(8) }, residual { lstm(8), lstm(8) }, dense(2)],
        output: [seq, 2],
        loss: mse,
    }
}

network! {
    /// A block holding a recurrent layer, used twice, and a residual GRU with a projection.
    block encoder(h) { gru(h), dense(h), tanh }
    struct Blocks {
        input: [seq, 4],
        layers: [encoder(6), encoder(6), residual { gru(5) } shortcut { dense(5) }, dense(3)],
        loss: softmax_cross_entropy,
    }
}

#[test]
fn residual_lstm_stack_matches_pytorch_by_name() {
    type N = ResidualStack<f64>;
    let mut net = N::new(&mut seeded(1));
    let names: Vec<&str> = N::TENSORS.iter().map(|t| t.name).collect();
    let torch_names: Vec<&str> = torch::PARAMS.iter().map(|(n, _, _)| *n).collect();
    assert_eq!(names, torch_names);
    kiln::runtime::network::check_tensors(&net).unwrap();
    torch_params::load(&mut net, torch::PARAMS);
    let mut t = net.new_train(0);
    N::set_steps(&mut t, torch::STEPS);
    net.forward_train_flat(&torch::X, &mut t).unwrap();
    let (out, d) = N::output_and_grad(&mut t);
    assert_close(out, &torch::Y, "output");
    let loss = net
        .loss_fn()
        .loss_and_grad(out, 2, &torch::TARGET, d)
        .unwrap();
    assert!((loss - torch::LOSS).abs() < 1e-12);
    let mut dx = vec![0.0; torch::X.len()];
    net.backward_flat(&torch::X, &mut t, Some(&mut dx)).unwrap();
    assert_close(&dx, &torch::DX, "dL/dx");
    torch_params::assert_grads::<N>(&t, torch::PARAMS);
}

fn inputs(n: usize, seed: u64) -> Vec<f64> {
    let mut rng = seeded(seed);
    (0..n).map(|_| uniform(&mut rng, -1.0, 1.0)).collect()
}

#[test]
fn bptt_through_recurrent_composites_matches_finite_differences() {
    let (steps, seqs) = (4, 2);
    let cfg = GradcheckConfig {
        steps,
        ..Default::default()
    };
    let x = inputs(steps * seqs * 4, 1);
    let labels: Vec<usize> = (0..steps * seqs).map(|i| i % 3).collect();
    let mut net = Blocks::<f64>::new(&mut seeded(2));
    kiln::runtime::network::check_tensors(&net).unwrap();
    let r = gradcheck(&mut net, &x, &labels, cfg).unwrap();
    assert!(r.max_rel_error <= 1e-6 && r.checked > 100, "{r:?}");
}

#[test]
fn streaming_through_recurrent_composites_equals_the_sequence_forward() {
    let net = Blocks::<f64>::new(&mut seeded(3));
    let steps = 6;
    let x = inputs(steps * 4, 4);
    let xs = x.as_chunks::<4>().0;
    let mut y = vec![[0.0; 3]; steps];
    net.forward_seq(xs, steps, &mut y, &mut net.scratch())
        .unwrap();
    let mut st = net.stream();
    for round in 0..2 {
        for (t, xt) in xs.iter().enumerate() {
            let out = net.step(&mut st, xt);
            for (a, b) in out.iter().zip(&y[t]) {
                assert!(
                    (a - b).abs() < 1e-12,
                    "round {round} step {t}: {out:?} vs {:?}",
                    y[t]
                );
            }
        }
        st.reset();
    }
}
