use kiln::prelude::*;

network! {
    /// int8 needs the quantised file.
    struct Net {
        input: [4],
        layers: [dense(8), relu, dense(2)],
        loss: none,
        precision: int8,
    }
}

fn main() {}
