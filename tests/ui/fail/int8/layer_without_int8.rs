use kiln::prelude::*;

network! {
    /// layer_norm and gelu have no int8 kernel.
    struct Net {
        input: [64],
        layers: [dense(128), gelu, layer_norm, dense(10)],
        loss: none,
        weights: "digits.int8.safetensors",
        precision: int8,
    }
}

fn main() {}
