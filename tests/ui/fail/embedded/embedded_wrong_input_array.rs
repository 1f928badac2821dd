use kiln::prelude::*;

network! {
    struct Controller {
        input: [16],
        layers: [dense(64), tanh, dense(64), tanh, dense(8)],
        loss: none,
        weights: "mlp.safetensors",
    }
}

fn main() {
    let mut s = ControllerEmbeddedScratch::ZERO;
    let mut y = [0.0f32; 8];
    // A 15-wide sample for a 16-wide network: a type error.
    ControllerEmbedded::WEIGHTS.forward(&[0.0f32; 15], &mut y, &mut s).unwrap();
}
