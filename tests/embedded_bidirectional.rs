//! Bidirectional recurrent layers in the embedded form: a network holding one runs layer by
//! layer over a fixed-length sequence (`forward_seq`), and gives what the heap-backed
//! network's `forward_seq` gives, to f64 rounding.

use kiln::prelude::*;

network! {
    /// A tagger: dense, two directions of different cells, per-step read-out.
    struct Tagger {
        input: [seq(9), 3],
        layers: [dense(6), tanh, bidirectional(lstm(5), gru(4)), dense(2)],
        loss: mse,
        embedded: true,
    }
}

network! {
    /// The tagger with weights baked from a file (written by `Tagger::<f32>::new(&mut
    /// seeded(3))`); two different cells are named `layers.2.0.*` and `layers.2.1.*`.
    struct TaggerBaked {
        input: [seq(9), 3],
        layers: [dense(6), tanh, bidirectional(lstm(5), gru(4)), dense(2)],
        loss: mse,
        weights: "tests/fixtures/bidirectional_tagger.safetensors",
    }
}

network! {
    /// Two cells alike: PyTorch's names (`weight_ih_l0_reverse`).
    struct Alike {
        input: [seq(5), 2],
        layers: [bidirectional(lstm(3), lstm(3)), dense(1)],
        loss: mse,
        embedded: true,
    }
}

network! {
    /// A sequence classifier: two bidirectional layers (RNN with ReLU, GRU in the
    /// reset-before form), the last step, a dense read-out.
    struct Classifier {
        input: [seq(7), 4],
        layers: [
            bidirectional(rnn(3, relu), rnn(3, relu)),
            bidirectional(gru(4, form = reset_before), lstm(2)),
            last_step,
            dense(3),
        ],
        loss: mse,
        embedded: true,
    }
}

fn inputs<const F: usize, const N: usize>(seed: u64) -> [[f64; F]; N] {
    let mut rng = seeded(seed);
    std::array::from_fn(|_| {
        std::array::from_fn(|_| kiln::runtime::rng::uniform(&mut rng, -1.0, 1.0))
    })
}

fn close(a: &[f64], b: &[f64]) {
    assert_eq!(a.len(), b.len());
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!(
            (x - y).abs() <= 1e-12 * (1.0 + y.abs()),
            "[{i}] embedded {x}, heap {y}"
        );
    }
}

#[test]
fn a_bidirectional_tagger_matches_the_heap_network() {
    let net = Tagger::<f64>::new(&mut seeded(3));
    let e = net.to_embedded();
    let mut s = TaggerEmbeddedScratch::<f64>::ZERO;
    for seed in 0..3 {
        let x = inputs::<3, 9>(seed);
        let mut y = [[0.0; 2]; 9];
        e.forward_seq(&x, &mut y, &mut s).unwrap();
        let mut want = [[0.0; 2]; 9];
        // The heap network takes time-major rows: one sequence, so row t is step t.
        net.forward_seq(&x, 9, &mut want, &mut net.scratch())
            .unwrap();
        close(y.as_flattened(), want.as_flattened());
    }
}

#[test]
fn a_bidirectional_classifier_matches_the_heap_network() {
    let net = Classifier::<f64>::new(&mut seeded(4));
    let e = net.to_embedded();
    let mut s = ClassifierEmbeddedScratch::<f64>::ZERO;
    for seed in 0..3 {
        let x = inputs::<4, 7>(seed);
        let mut y = [0.0; 3];
        e.forward_seq(&x, &mut y, &mut s).unwrap();
        let mut want = [[0.0; 3]; 1];
        net.forward_seq(&x, 7, &mut want, &mut net.scratch())
            .unwrap();
        close(&y, &want[0]);
    }
}

#[test]
fn baked_weights_give_what_the_loaded_network_gives() {
    let mut net = Tagger::<f32>::new(&mut seeded(99));
    kiln::checkpoint::load_weights(&mut net, "tests/fixtures/bidirectional_tagger.safetensors")
        .unwrap();
    let e = TaggerBakedEmbedded::WEIGHTS;
    let mut s = TaggerBakedEmbeddedScratch::ZERO;
    let x = inputs::<3, 9>(7).map(|r| r.map(|v| v as f32));
    let mut y = [[0.0f32; 2]; 9];
    e.forward_seq(&x, &mut y, &mut s).unwrap();
    let mut want = [[0.0f32; 2]; 9];
    net.forward_seq(&x, 9, &mut want, &mut net.scratch())
        .unwrap();
    for (a, b) in y.as_flattened().iter().zip(want.as_flattened()) {
        assert!((a - b).abs() <= 1e-5 * (1.0 + b.abs()), "{a} vs {b}");
    }
}

#[test]
fn two_cells_alike_use_pytorchs_reverse_names() {
    let net = Alike::<f64>::new(&mut seeded(5));
    assert!(Alike::<f64>::TENSORS
        .iter()
        .any(|t| t.name == "layers.0.weight_ih_l0_reverse"));
    let e = net.to_embedded();
    let mut s = AlikeEmbeddedScratch::<f64>::ZERO;
    let x = inputs::<2, 5>(1);
    let mut y = [[0.0; 1]; 5];
    e.forward_seq(&x, &mut y, &mut s).unwrap();
    let mut want = [[0.0; 1]; 5];
    net.forward_seq(&x, 5, &mut want, &mut net.scratch())
        .unwrap();
    close(y.as_flattened(), want.as_flattened());
    // Memory is known at compile time: two buffers and the state, a row per step.
    assert_eq!(
        AlikeEmbeddedScratch::<f64>::BYTES,
        8 * (2 * 5 * 6 + 2 * 2 * 3)
    );
    assert_eq!(
        Alike::<f64>::SCRATCH_BYTES,
        AlikeEmbeddedScratch::<f64>::BYTES
    );
}
