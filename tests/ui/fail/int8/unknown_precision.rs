use kiln::prelude::*;

network! {
    /// No such precision.
    struct Net {
        input: [4],
        layers: [dense(8), relu, dense(2)],
        loss: none,
        weights: "digits.int8.safetensors",
        precision: int4,
    }
}

fn main() {}
