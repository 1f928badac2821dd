//! The baked, no_std model classifies the bundled digits exactly as the heap-backed network
//! with the same weights does, and as well as it did when trained.

use embedded_digits::{classify, MODEL_BYTES, SCRATCH_BYTES};
use kiln::checkpoint::load_weights;
use kiln::data::digits;
use kiln::prelude::*;
use kiln_models::DigitsMlp;

#[test]
fn same_predictions_as_the_std_network_and_high_accuracy() {
    let data = digits().unwrap();
    let mut net = DigitsMlp::<f32>::new(&mut seeded(1));
    load_weights(
        &mut net,
        concat!(env!("CARGO_MANIFEST_DIR"), "/digits_mlp.safetensors"),
    )
    .unwrap();
    let mut scaled = data.clone();
    scaled.scale(1.0 / 16.0);
    let x = scaled.rows::<64>().unwrap();
    let mut y = vec![[0.0f32; 10]; x.len()];
    net.forward(x, &mut y, &mut net.scratch()).unwrap();
    let mut correct = 0;
    for (i, row) in y.iter().enumerate() {
        let pixels: [u8; 64] = std::array::from_fn(|j| data.features[i * 64 + j] as u8);
        let d = classify(&pixels);
        let std_best = (0..10).fold(0, |b, j| if row[j] > row[b] { j } else { b });
        assert_eq!(d.digit as usize, std_best, "sample {i}");
        assert!(d.confidence > 0.0 && d.confidence <= 1.0);
        correct += usize::from(std_best == data.labels[i]);
    }
    assert_eq!(
        correct, 1781,
        "99.11% of 1,797, as PyTorch measured for this file"
    );
    assert_eq!(MODEL_BYTES, 4 * 17_226);
    assert_eq!(SCRATCH_BYTES, 4 * 2 * 128);
}
