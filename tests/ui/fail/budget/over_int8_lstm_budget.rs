use kiln::prelude::*;

network! {
    /// The int8 filter (T5's shape) takes 10,956 bytes (6,860 of its own and the 4 KiB of gate
    /// tables LSTMs share), over 10 KiB; its scratch (two buffers of 32 and the LSTM's i8 h and
    /// i16 c) is 160 bytes, over 128.
    struct Net {
        input: [seq, 1],
        layers: [lstm(32), dense(1)],
        loss: none,
        weights: "filter.int8.safetensors",
        precision: int8,
        budget: { flash: 10 KiB, ram: 128 bytes },
    }
}

fn main() {}
