use kiln::prelude::*;

network! {
    /// layer_norm has no int8 kernel (the gelu fused into the dense layer is a table).
    struct Net {
        input: [64],
        layers: [dense(128), gelu, layer_norm, dense(10)],
        loss: none,
        weights: "digits.int8.safetensors",
        precision: int8,
    }
}

fn main() {}
