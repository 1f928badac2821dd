use kiln::prelude::*;

network! {
    /// The int8 digits MLP takes 19,740 bytes: over 16 KiB; its scratch of 256 bytes is over
    /// 200 bytes.
    struct Net {
        input: [64],
        layers: [dense(128), relu, dropout(0.2), dense(128 -> 64), tanh, dense(10)],
        loss: none,
        weights: "digits.int8.safetensors",
        precision: int8,
        budget: { flash: 16 KiB, ram: 200 bytes },
    }
}

fn main() {}
