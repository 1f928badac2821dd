//! Character-level language models: one-hot characters in, next-character logits out at
//! every step.

use kiln::prelude::*;

network! {
    /// A single-layer LSTM language model over the 65 characters of tiny Shakespeare:
    /// one-hot [seq, 65] -> LSTM 256 -> dense 65 at every step.
    pub struct CharLstm {
        input: [seq, 65],
        layers: [lstm(256), dense(65)],
        output: [seq, 65],
        loss: softmax_cross_entropy,
    }
}

network! {
    /// A GNMT-style residual LSTM stack (Wu et al. 2016, "Google's Neural Machine Translation
    /// System"): one-hot [seq, 65] -> LSTM 256 -> two LSTM 256 layers each with a residual
    /// connection around it -> dense 65 at every step.
    pub struct ResidualLstm {
        input: [seq, 65],
        layers: [
            lstm(256),
            residual { lstm(256) },
            residual { lstm(256) },
            dense(65),
        ],
        output: [seq, 65],
        loss: softmax_cross_entropy,
    }
}
