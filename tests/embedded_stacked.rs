//! Stacked recurrent layers (`layers = n`) in the embedded form: every level's cell steps on
//! the hidden state of the level below with its own state in the scratch, as the heap-backed
//! network's `step` does (f64 to 1e-12), tensors reach the right level by PyTorch name, and
//! the scratch holds one state per level.

use kiln::prelude::*;

network! {
    /// Three LSTM levels (dropout between them acts in training only), read out per step.
    struct DeepLstm {
        input: [seq, 3],
        layers: [lstm(5, layers = 3, dropout = 0.2), dense(2)],
        loss: none,
        embedded: true,
    }
}

network! {
    /// Stacked GRU and ReLU RNN, then the running mean over time.
    struct DeepMix {
        input: [seq, 2],
        layers: [gru(4, layers = 2), rnn(3, relu, layers = 2), mean_over_time, dense(2)],
        loss: none,
        embedded: true,
    }
}

fn input(t: usize, f: usize) -> f64 {
    ((t * 7 + f * 3) % 11) as f64 / 5.0 - 1.0
}

#[test]
fn stacked_lstm_steps_as_the_heap_network() {
    let heap = DeepLstm::<f64>::new(&mut seeded(3));
    let e = heap.to_embedded();
    let mut s = DeepLstmEmbeddedScratch::<f64>::ZERO;
    let mut st = heap.stream();
    for t in 0..9 {
        let x = [input(t, 0), input(t, 1), input(t, 2)];
        let mut y = [0.0; 2];
        e.step(&x, &mut y, &mut s).unwrap();
        let want = heap.step(&mut st, &x);
        for (a, b) in y.iter().zip(&want) {
            assert!((a - b).abs() <= 1e-12, "step {t}: {a} vs {b}");
        }
    }
    // A new sequence starts from zero states at every level.
    s.reset();
    let mut st = heap.stream();
    let x = [0.5, -0.5, 0.25];
    let mut y = [0.0; 2];
    e.step(&x, &mut y, &mut s).unwrap();
    for (a, b) in y.iter().zip(&heap.step(&mut st, &x)) {
        assert!((a - b).abs() <= 1e-12, "after reset: {a} vs {b}");
    }
    // The scratch: two buffers of the widest output and an h and c per level.
    assert_eq!(
        DeepLstmEmbedded::<f64>::SCRATCH_BYTES,
        8 * (2 * 5 + 3 * 2 * 5)
    );
    assert_eq!(
        DeepLstmEmbeddedScratch::<f64>::BYTES,
        8 * (2 * 5 + 3 * 2 * 5)
    );
}

#[test]
fn stacked_gru_and_rnn_step_as_the_heap_network() {
    let heap = DeepMix::<f64>::new(&mut seeded(4));
    let e = heap.to_embedded();
    let mut s = DeepMixEmbeddedScratch::<f64>::ZERO;
    let mut st = heap.stream();
    for t in 0..8 {
        let x = [input(t, 0), input(t, 1)];
        let mut y = [0.0; 2];
        e.step(&x, &mut y, &mut s).unwrap();
        let want = heap.step(&mut st, &x);
        for (a, b) in y.iter().zip(&want) {
            assert!((a - b).abs() <= 1e-12, "step {t}: {a} vs {b}");
        }
    }
}

#[test]
fn every_level_is_reached_by_its_pytorch_name() {
    let heap = DeepLstm::<f32>::new(&mut seeded(5));
    let e = heap.to_embedded();
    let mut n = 0;
    heap.visit_params(&mut |name, _, v| {
        let mut got = vec![0.0; v.len()];
        e.get_tensor(name, &mut got).unwrap();
        assert_eq!(got, v, "{name}");
        n += 1;
    });
    // Four tensors per level, three levels, and the dense layer's two.
    assert_eq!(n, 4 * 3 + 2);
    let mut z = DeepLstmEmbedded::<f32>::zeroed();
    z.set_tensor("layers.0.weight_hh_l2", &[1.0; 20 * 5])
        .unwrap();
    let mut back = vec![0.0; 100];
    z.get_tensor("layers.0.weight_hh_l2", &mut back).unwrap();
    assert!(back.iter().all(|&v| v == 1.0));
    z.get_tensor("layers.0.weight_hh_l1", &mut back).unwrap();
    assert!(back.iter().all(|&v| v == 0.0));
}

network! {
    /// `DeepLstm` with its weights baked from a file.
    struct DeepLstmBaked {
        input: [seq, 3],
        layers: [lstm(5, layers = 3, dropout = 0.2), dense(2)],
        loss: none,
        weights: "tests/fixtures/deep_lstm.safetensors",
    }
}

#[test]
fn baked_levels_are_the_files_tensors() {
    let mut heap = DeepLstmBaked::<f32>::new(&mut seeded(9));
    kiln::checkpoint::load_weights(&mut heap, "tests/fixtures/deep_lstm.safetensors").unwrap();
    let baked = DeepLstmBakedEmbedded::WEIGHTS;
    heap.visit_params(&mut |name, _, v| {
        let mut got = vec![0.0; v.len()];
        baked.get_tensor(name, &mut got).unwrap();
        assert_eq!(got, v, "{name}");
    });
    let (mut s, mut st) = (DeepLstmBakedEmbeddedScratch::ZERO, heap.stream());
    for t in 0..5 {
        let x = [input(t, 0) as f32, input(t, 1) as f32, input(t, 2) as f32];
        let mut y = [0.0f32; 2];
        baked.step(&x, &mut y, &mut s).unwrap();
        let want = heap.step(&mut st, &x);
        assert!(
            y.iter().zip(&want).all(|(a, b)| (a - b).abs() <= 1e-5),
            "{y:?} vs {want:?}"
        );
    }
}
