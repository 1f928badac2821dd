//! Sequences of different lengths in one batch (PyTorch's padded / packed sequences): padding
//! steps do not change the state, their outputs are zero and the loss ignores them, the
//! reductions over time use each sequence's own steps, and the loss and every gradient of a
//! padded batch equal those of running each sequence alone (f64, 1e-12). Whatever the padding
//! holds makes no difference.

use kiln::prelude::*;
use kiln::runtime::network::forward_backward;
use kiln::runtime::rng::uniform;
use kiln::runtime::KilnError;

network! {
    /// Per-step outputs: a tagger.
    struct Tagger {
        input: [seq, 3],
        layers: [lstm(5), dense(2)],
        output: [seq, 2],
        loss: softmax_cross_entropy,
    }
}

network! {
    /// Both directions, two different cells: the backward one reverses each sequence within
    /// its own length.
    struct BiTagger {
        input: [seq, 3],
        layers: [bidirectional(lstm(4), gru(3)), tanh, dense(2)],
        output: [seq, 2],
        loss: softmax_cross_entropy,
    }
}

network! {
    /// Stacked GRU, an RNN, then each sequence's own last step.
    struct LastOfStack {
        input: [seq, 3],
        layers: [gru(4, layers = 2), rnn(3), last_step, dense(2)],
        output: [2],
        loss: softmax_cross_entropy,
    }
}

network! {
    /// Mean over each sequence's own steps, after a residual LSTM (a recurrent layer inside
    /// a composite).
    struct MeanOfResidual {
        input: [seq, 3],
        layers: [residual { lstm(3) }, mean_over_time, dense(2)],
        output: [2],
        loss: softmax_cross_entropy,
    }
}

network! {
    /// Maximum over each sequence's own steps, regression head.
    struct MaxRegressor {
        input: [seq, 2],
        layers: [bidirectional(lstm(3), lstm(3)), max_over_time, dense(1)],
        output: [1],
        loss: mse,
    }
}

network! {
    /// PyTorch's bidirectional LSTM over packed sequences, each one's own last step.
    struct PackedLast {
        input: [seq, 3],
        layers: [bidirectional(lstm(4), lstm(4)), last_step, dense(2)],
        output: [2],
        loss: softmax_cross_entropy,
    }
}

#[path = "fixtures/torch_packed.rs"]
mod torch;
#[path = "support/torch_params.rs"]
mod torch_params;

use torch_params::{assert_close, Params};

const LENGTHS: [usize; 3] = [5, 2, 4];
const STEPS: usize = 5;

fn values(n: usize, seed: u64) -> Vec<f64> {
    let mut rng = seeded(seed);
    (0..n).map(|_| uniform(&mut rng, -1.0, 1.0)).collect()
}

/// A padded time-major batch of the three sequences; `pad` fills the padding steps.
fn padded(seqs: &[Vec<f64>], width: usize, pad: f64) -> Vec<f64> {
    let mut x = vec![pad; STEPS * seqs.len() * width];
    for (s, seq) in seqs.iter().enumerate() {
        for (t, row) in seq.chunks_exact(width).enumerate() {
            let at = (t * seqs.len() + s) * width;
            x[at..at + width].copy_from_slice(row);
        }
    }
    x
}

fn grads<N: Network<f64>>(t: &N::Train) -> Vec<f64> {
    let mut g = Vec::new();
    N::visit_grads(t, &mut |_, _, v| g.extend_from_slice(v));
    g
}

/// The padded batch's loss and gradients against each sequence alone, weighted as the loss's
/// mean weighs them (`weights[s]`, summing to 1), and the padding's content irrelevant.
fn check_against_alone<N, Tg>(
    mut net: N,
    width: usize,
    targets_alone: &[Vec<Tg>],
    target_padded: &[Tg],
    weights: &[f64],
) where
    N: Network<f64>,
    N::Loss: kiln::runtime::loss::Loss<f64, Target = [Tg]>,
    Tg: Clone,
{
    let seqs: Vec<Vec<f64>> = LENGTHS
        .iter()
        .enumerate()
        .map(|(s, &len)| values(len * width, 10 + s as u64))
        .collect();
    let mut t = net.new_train(0);
    let mut want_loss = 0.0;
    let mut want_grads: Option<Vec<f64>> = None;
    for (s, seq) in seqs.iter().enumerate() {
        N::set_steps(&mut t, LENGTHS[s]);
        let loss = forward_backward(&mut net, seq, &targets_alone[s], &mut t).unwrap();
        want_loss += weights[s] * loss;
        let g = grads::<N>(&t);
        let acc = want_grads.get_or_insert_with(|| vec![0.0; g.len()]);
        for (a, v) in acc.iter_mut().zip(&g) {
            *a += weights[s] * v;
        }
    }
    let want_grads = want_grads.unwrap();
    for pad in [0.0, 7.5] {
        let x = padded(&seqs, width, pad);
        N::set_steps(&mut t, STEPS);
        N::set_lengths(&mut t, &LENGTHS);
        let loss = forward_backward(&mut net, &x, target_padded, &mut t).unwrap();
        N::set_lengths(&mut t, &[]);
        assert!(
            (loss - want_loss).abs() < 1e-12,
            "padding {pad}: loss {loss} vs {want_loss}"
        );
        assert_close(&grads::<N>(&t), &want_grads, "gradients");
    }
}

/// Per-step targets: labels of the real steps alone, and padded (padding labels arbitrary).
fn step_labels() -> (Vec<Vec<usize>>, Vec<usize>) {
    let alone: Vec<Vec<usize>> = LENGTHS
        .iter()
        .enumerate()
        .map(|(s, &len)| (0..len).map(|t| (t + s) % 2).collect())
        .collect();
    let mut padded = vec![1; STEPS * LENGTHS.len()];
    for (s, labels) in alone.iter().enumerate() {
        for (t, &l) in labels.iter().enumerate() {
            padded[t * LENGTHS.len() + s] = l;
        }
    }
    (alone, padded)
}

fn step_weights() -> Vec<f64> {
    let total: usize = LENGTHS.iter().sum();
    LENGTHS.iter().map(|&l| l as f64 / total as f64).collect()
}

#[test]
fn per_step_outputs_match_running_each_sequence_alone() {
    let (alone, padded) = step_labels();
    check_against_alone(
        Tagger::<f64>::new(&mut seeded(1)),
        3,
        &alone,
        &padded,
        &step_weights(),
    );
    check_against_alone(
        BiTagger::<f64>::new(&mut seeded(2)),
        3,
        &alone,
        &padded,
        &step_weights(),
    );
}

#[test]
fn eval_loss_of_a_padded_batch_is_the_training_loss() {
    let (_, labels) = step_labels();
    let mut net = Tagger::<f64>::new(&mut seeded(8));
    let seqs: Vec<Vec<f64>> = LENGTHS.iter().map(|&l| values(l * 3, l as u64)).collect();
    let x = padded(&seqs, 3, 2.0);
    let mut t = net.new_train(0);
    Tagger::<f64>::set_steps(&mut t, STEPS);
    Tagger::<f64>::set_lengths(&mut t, &LENGTHS);
    let train = forward_backward(&mut net, &x, &labels, &mut t).unwrap();
    let eval = net
        .eval_loss_padded(x.as_chunks::<3>().0, &LENGTHS, &labels, &mut net.scratch())
        .unwrap();
    assert!((train - eval).abs() < 1e-12, "{train} vs {eval}");
}

#[test]
fn reductions_over_time_use_each_sequence_own_steps() {
    let third = [1.0 / 3.0; 3];
    let labels: Vec<Vec<usize>> = vec![vec![1], vec![0], vec![1]];
    check_against_alone(
        LastOfStack::<f64>::new(&mut seeded(3)),
        3,
        &labels,
        &[1, 0, 1],
        &third,
    );
    check_against_alone(
        MeanOfResidual::<f64>::new(&mut seeded(4)),
        3,
        &labels,
        &[1, 0, 1],
        &third,
    );
    let targets: Vec<Vec<f64>> = vec![vec![0.5], vec![-0.3], vec![0.9]];
    check_against_alone(
        MaxRegressor::<f64>::new(&mut seeded(5)),
        2,
        &targets,
        &[0.5, -0.3, 0.9],
        &third,
    );
}

#[test]
fn padding_outputs_are_zero_and_real_ones_match_each_sequence_alone() {
    let net = BiTagger::<f64>::new(&mut seeded(6));
    let seqs: Vec<Vec<f64>> = LENGTHS
        .iter()
        .map(|&len| values(len * 3, len as u64))
        .collect();
    let x = padded(&seqs, 3, -4.0);
    let mut y = vec![[0.0; 2]; STEPS * 3];
    let mut s = net.scratch();
    net.forward_padded(x.as_chunks::<3>().0, &LENGTHS, &mut y, &mut s)
        .unwrap();
    for (k, seq) in seqs.iter().enumerate() {
        let mut alone = vec![[0.0; 2]; LENGTHS[k]];
        net.forward_seq(seq.as_chunks::<3>().0, LENGTHS[k], &mut alone, &mut s)
            .unwrap();
        for t in 0..STEPS {
            let got = y[t * 3 + k];
            if t < LENGTHS[k] {
                assert_close(&got, &alone[t], "real step");
            } else {
                assert_eq!(got, [0.0, 0.0], "padding step {t} of sequence {k}");
            }
        }
    }
}

#[test]
fn training_on_padded_batches_learns_and_bad_lengths_are_errors() {
    let mut net = LastOfStack::<f64>::new(&mut seeded(7));
    let mut opt = kiln::runtime::optim::Adam::new(0.05).unwrap();
    let mut t = net.train_state(1);
    // Label: whether the sequence is long (length > 2); padding is zeros.
    let lengths = [5, 1, 4, 2, 3, 2];
    let x: Vec<[f64; 3]> = (0..STEPS * 6)
        .map(|r| {
            let (step, s) = (r / 6, r % 6);
            if step < lengths[s] {
                [0.5, -0.2, 0.1 * step as f64]
            } else {
                [0.0; 3]
            }
        })
        .collect();
    let labels: Vec<usize> = lengths.iter().map(|&l| usize::from(l > 2)).collect();
    let first = net
        .train_step_padded(&x, &lengths, &labels, &mut opt, &mut t)
        .unwrap();
    let mut last = first;
    for _ in 0..150 {
        last = net
            .train_step_padded(&x, &lengths, &labels, &mut opt, &mut t)
            .unwrap();
    }
    assert!(last < 0.05 && last < first / 10.0, "loss {first} -> {last}");
    let mut s = net.scratch();
    let eval = net.eval_loss_padded(&x, &lengths, &labels, &mut s).unwrap();
    assert!(eval < 0.1, "eval loss {eval}");
    let mut y = vec![[0.0; 2]; 6];
    for bad in [[5, 0, 4, 2, 3, 2], [5, 6, 4, 2, 3, 2]] {
        let e = net.forward_padded(&x, &bad, &mut y, &mut s).unwrap_err();
        assert!(matches!(e, KilnError::SequenceLength { .. }), "{e}");
    }
    assert!(net
        .forward_padded(&x, &[5, 1, 4, 2], &mut y, &mut s)
        .is_err());
    // The lengths apply to that call only: a plain call afterwards is full-length.
    net.forward_seq(&x, STEPS, &mut y, &mut s).unwrap();
}

/// Loads PyTorch's parameters, runs the padded batch and compares the outputs of the real
/// steps, the loss, every gradient and dL/dx with PyTorch's packed-sequence run.
fn packed_parity<N: Network<f64, Loss = kiln::runtime::loss::SoftmaxCrossEntropy>>(
    mut net: N,
    x: &[f64],
    labels: &[usize],
    want_out: &[f64],
    per_step: bool,
    (loss_want, dx_want, params): (f64, &[f64], Params),
) {
    torch_params::load(&mut net, params);
    let mut t = net.new_train(0);
    N::set_steps(&mut t, STEPS);
    N::set_lengths(&mut t, &torch::LENGTHS);
    let loss = forward_backward(&mut net, x, labels, &mut t).unwrap();
    assert!(
        (loss - loss_want).abs() < 1e-12,
        "loss {loss} vs {loss_want}"
    );
    let (out, _) = N::output_and_grad(&mut t);
    for (r, (a, b)) in out.chunks(2).zip(want_out.chunks(2)).enumerate() {
        let padding = per_step && r / 3 >= torch::LENGTHS[r % 3];
        if !padding {
            assert_close(a, b, "output");
        }
    }
    let mut dx = vec![0.0; x.len()];
    net.backward_flat(x, &mut t, Some(&mut dx)).unwrap();
    assert_close(&dx, dx_want, "dL/dx");
    torch_params::assert_grads::<N>(&t, params);
}

#[test]
fn padded_batches_match_pytorch_packed_sequences() {
    use torch::{last_step as l, tagger as g};
    packed_parity(
        Tagger::<f64>::new(&mut seeded(1)),
        &g::X,
        &g::LABELS,
        &g::OUT,
        true,
        (g::LOSS, &g::DX, g::PARAMS),
    );
    packed_parity(
        PackedLast::<f64>::new(&mut seeded(1)),
        &l::X,
        &l::LABELS,
        &l::OUT,
        false,
        (l::LOSS, &l::DX, l::PARAMS),
    );
}
