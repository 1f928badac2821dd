// A custom layer whose sizes do not fit where it is used: caught by `cargo check`.
#[path = "../../../../examples/custom_layer/gated_linear.rs"]
mod gated_linear;

use gated_linear::GatedLinear;
use kiln::prelude::*;

network! {
    // Takes 5 values, receives 8.
    pub struct WrongInput { input: [8], layers: [GatedLinear<5, 3> -> [3], dense(2)], loss: mse }
}

network! {
    // Gives 3 values, but no `->` says so: its input's shape [5] is assumed.
    pub struct NoOutputShape { input: [5], layers: [GatedLinear<5, 3>, dense(2)], loss: mse }
}

fn main() {}
