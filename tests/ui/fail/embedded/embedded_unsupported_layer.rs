use kiln::prelude::*;

network! {
    /// A recurrent layer inside a composite and a bidirectional layer have no embedded form
    /// yet; maxout has one.
    struct Odd {
        input: [seq, 4],
        layers: [maxout(4, pieces = 2), residual { lstm(4) }, bidirectional(lstm(3), lstm(3)), dense(2)],
        loss: none,
        embedded: true,
    }
}

fn main() {}
