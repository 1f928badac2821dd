use kiln::prelude::*;

network! {
    /// An f32 weights file is not a quantised one.
    struct Net {
        input: [16],
        layers: [dense(64), tanh, dense(64), tanh, dense(8)],
        loss: none,
        weights: "mlp.safetensors",
        precision: int8,
    }
}

fn main() {}
