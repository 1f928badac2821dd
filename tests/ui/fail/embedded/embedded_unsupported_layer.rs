use kiln::prelude::*;

network! {
    /// Maxout and bidirectional layers have no embedded form yet.
    struct Odd {
        input: [seq, 4],
        layers: [maxout(4, pieces = 2), bidirectional(lstm(3), lstm(3)), dense(2)],
        loss: none,
        embedded: true,
    }
}

fn main() {}
