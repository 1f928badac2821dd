use kiln::prelude::*;

/// A type that is not a loss.
#[derive(Clone, Default)]
pub struct NotALoss;

network! {
    pub struct A { input: [4], layers: [dense(2)], loss: NotALoss }
}

network! {
    pub struct B { input: [4], layers: [dense(2)], loss: MissingLoss }
}

fn main() {}
