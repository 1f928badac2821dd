use kiln::prelude::*;

network! {
    /// int8 takes single LSTMs: a GRU, a bidirectional layer and a stacked LSTM are each
    /// refused, at their own token.
    struct Net {
        input: [seq, 4],
        layers: [gru(8), bidirectional(lstm(4), lstm(4)), lstm(8, layers = 2), lstm(8), dense(1)],
        loss: none,
        weights: "filter.int8.safetensors",
        precision: int8,
    }
}

fn main() {}
