// A type that is no layer, a custom layer in an embedded network, a bad output shape.
#[path = "../../../../examples/custom_layer/gated_linear.rs"]
mod gated_linear;

use gated_linear::GatedLinear;
use kiln::prelude::*;

pub struct Smoother<T>(T);

network! {
    pub struct NotALayer { input: [4], layers: [Smoother, dense(2)], loss: mse }
}

network! {
    pub struct Embedded { input: [5], layers: [GatedLinear<5, 3> -> [3], dense(2)], loss: mse, embedded: true }
}

network! {
    pub struct BadShape { input: [5], layers: [GatedLinear<5, 3> -> 3, dense(2)], loss: mse }
}

fn main() {}
