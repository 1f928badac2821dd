//! Character-level language models [CS 7]: one-hot characters in, next-character logits out
//! at every step.

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
