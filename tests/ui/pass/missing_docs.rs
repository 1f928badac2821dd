//! A crate that denies missing docs accepts every item `network!` generates.
#![deny(missing_docs)]
use kiln::prelude::*;

network! {
    /// A classifier.
    pub struct Documented {
        input: [64],
        layers: [dense(32), relu, dropout(0.1), dense(10)],
        loss: softmax_cross_entropy,
        embedded: true,
    }
}

network! {
    /// A character model.
    pub struct DocumentedLm {
        input: [seq, 65],
        layers: [lstm(32), dense(65)],
        output: [seq, 65],
        loss: softmax_cross_entropy,
    }
}

fn main() {}
