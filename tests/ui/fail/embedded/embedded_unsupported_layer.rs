use kiln::prelude::*;

network! {
    /// Bidirectional recurrent layers have no embedded form yet; maxout, a recurrent layer
    /// inside a composite and a stacked one have one.
    struct Odd {
        input: [seq, 4],
        layers: [maxout(4, pieces = 2), residual { lstm(4) }, lstm(4, layers = 2), bidirectional(lstm(3), lstm(3)), dense(2)],
        loss: none,
        embedded: true,
    }
}

fn main() {}
