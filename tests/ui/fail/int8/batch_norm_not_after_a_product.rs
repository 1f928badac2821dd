use kiln::prelude::*;

network! {
    /// A batch norm after an activation cannot fold into the dense layer before it.
    struct Net {
        input: [64],
        layers: [dense(128), relu, batch_norm, dense(10)],
        loss: none,
        weights: "digits.int8.safetensors",
        precision: int8,
    }
}

fn main() {}
