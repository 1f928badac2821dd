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

/// The int8 model on the held-out split the main command kept out of training: within half a
/// percentage point of the f32 model, in about a quarter of its bytes.
#[test]
fn int8_is_within_half_a_point_of_f32_on_held_out_digits() {
    let data = digits().unwrap();
    let (_, held_out) = data.split(0.8, 1).unwrap();
    let (mut ok32, mut ok8) = (0, 0);
    for (i, &label) in held_out.labels.iter().enumerate() {
        let pixels: [u8; 64] = std::array::from_fn(|j| held_out.features[i * 64 + j] as u8);
        ok32 += usize::from(classify(&pixels).digit as usize == label);
        let d = embedded_digits::classify_int8(&pixels);
        assert!(d.confidence > 0.0 && d.confidence <= 1.0);
        ok8 += usize::from(d.digit as usize == label);
    }
    let n = held_out.len() as f64;
    let (a32, a8) = (100.0 * ok32 as f64 / n, 100.0 * ok8 as f64 / n);
    assert!((a32 - a8).abs() <= 0.5, "f32 {a32:.2}% vs int8 {a8:.2}%");
    assert_eq!(embedded_digits::MODEL_BYTES_INT8, 19_740);
    assert_eq!(embedded_digits::SCRATCH_BYTES_INT8, 2 * 128);
}
