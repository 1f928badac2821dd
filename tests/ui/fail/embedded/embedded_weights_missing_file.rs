use kiln::prelude::*;

network! {
    struct Controller {
        input: [16],
        layers: [dense(64), tanh, dense(64), tanh, dense(8)],
        loss: none,
        weights: "no_such_file.safetensors",
    }
}

fn main() {}
