// Two dense layers with nothing between them collapse into one affine map [CS 2.3]: legal,
// so a warning rather than an error. `deny` turns the warning into an error to snapshot it.
#![deny(deprecated)]
use kiln::prelude::*;

network! {
    pub struct Collapsed {
        input: [4],
        layers: [dense(8), dense(3)],
        loss: mse,
    }
}

fn main() {}
