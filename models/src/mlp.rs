//! Multilayer perceptrons: dense layers with a nonlinearity between them.

use kiln::prelude::*;

network! {
    /// A two-hidden-layer classifier for the 8x8 digits: 64 -> 128 ReLU -> dropout -> 64 tanh -> 10.
    pub struct DigitsMlp {
        input: [64],
        layers: [
            dense(128), relu,
            dropout(0.2),
            dense(128 -> 64), tanh,
            dense(10),
        ],
        output: [10],
        loss: softmax_cross_entropy,
    }
}

network! {
    /// A regressor for tables of up to 64 feature columns (a table with fewer is padded with
    /// zero columns, which leaves what it computes unchanged): 64 -> 64 ReLU -> 64 ReLU -> 1,
    /// mean squared error.
    pub struct MlpRegressor {
        input: [64],
        layers: [dense(64), relu, dense(64), relu, dense(1)],
        loss: mse,
    }
}
