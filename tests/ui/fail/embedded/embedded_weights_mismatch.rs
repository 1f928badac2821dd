use kiln::prelude::*;

network! {
    /// The file holds 16 -> 64 -> 64 -> 8; this declares other widths and one layer more.
    struct Controller {
        input: [16],
        layers: [dense(32), tanh, dense(64), tanh, dense(8), tanh, dense(8)],
        loss: none,
        weights: "mlp.safetensors",
    }
}

fn main() {}
