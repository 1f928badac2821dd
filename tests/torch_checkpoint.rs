//! A checkpoint written by kiln loads into PyTorch and gives the same outputs there, and the
//! state_dict PyTorch saves back loads into kiln. `tools/torch_load_checkpoint.py` loaded
//! `fixtures/digits_mlp.safetensors` (the digits MLP trained by the main command) with
//! `load_state_dict(strict=True)`, recorded its logits and accuracy in
//! `fixtures/torch_checkpoint.rs`, and re-saved its own state_dict.

use kiln::checkpoint::load_weights;
use kiln::data::digits;
use kiln::prelude::*;
use kiln_models::DigitsMlp;

#[path = "fixtures/torch_checkpoint.rs"]
mod torch;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

fn outputs(net: &DigitsMlp<f32>) -> (Vec<f32>, usize) {
    let mut data = digits().unwrap();
    data.scale(1.0 / 16.0);
    let x = data.rows::<64>().unwrap();
    let mut y = vec![[0.0f32; 10]; x.len()];
    net.forward(x, &mut y, &mut net.scratch()).unwrap();
    let correct = y
        .iter()
        .zip(&data.labels)
        .filter(|(row, &l)| (0..10).all(|j| row[j] <= row[l]))
        .count();
    (y.as_flattened().to_vec(), correct)
}

fn check_against_torch(file: &str) {
    let mut net = DigitsMlp::<f32>::new(&mut seeded(1));
    load_weights(&mut net, format!("{FIXTURES}/{file}")).unwrap();
    let (y, correct) = outputs(&net);
    for (i, row) in torch::LOGITS.iter().enumerate() {
        for (j, &t) in row.iter().enumerate() {
            let k = y[i * 10 + j] as f64;
            assert!(
                (k - t).abs() <= 1e-5 * (1.0 + t.abs()),
                "{file}: sample {i} class {j}: kiln {k}, PyTorch {t}"
            );
        }
    }
    assert_eq!(correct, torch::ACCURACY_CORRECT, "{file}: correct of 1,797");
}

#[test]
fn kiln_checkpoint_gives_pytorchs_outputs() {
    check_against_torch("digits_mlp.safetensors");
}

#[test]
fn pytorch_state_dict_loads_into_kiln() {
    check_against_torch("digits_mlp_from_torch.safetensors");
}
