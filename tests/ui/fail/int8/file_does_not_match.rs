use kiln::prelude::*;

network! {
    /// The file holds the digits MLP (64 -> 128 -> 64 -> 10, tanh fused in the second
    /// layer); this declares another width and a relu there.
    struct Net {
        input: [64],
        layers: [dense(100), relu, dense(64), relu, dense(10)],
        loss: none,
        weights: "digits.int8.safetensors",
        precision: int8,
    }
}

fn main() {}
