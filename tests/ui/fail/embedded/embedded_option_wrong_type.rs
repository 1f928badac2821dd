use kiln::prelude::*;

network! {
    struct Controller {
        input: [16],
        layers: [dense(8)],
        loss: none,
        embedded: 3,
        weights: model,
    }
}

fn main() {}
