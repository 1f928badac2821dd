use kiln::prelude::*;

network! {
    /// int8 takes LSTMs, stacked too: a GRU, a bidirectional layer and a plain RNN are each
    /// refused, at their own token.
    struct Net {
        input: [seq, 4],
        layers: [gru(8), bidirectional(lstm(4), lstm(4)), rnn(8), lstm(8, layers = 2), dense(1)],
        loss: none,
        weights: "filter.int8.safetensors",
        precision: int8,
    }
}

fn main() {}
