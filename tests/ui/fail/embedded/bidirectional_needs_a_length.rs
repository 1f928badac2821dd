use kiln::prelude::*;

network! {
    /// A bidirectional layer needs the whole sequence, so the embedded form needs its length
    /// (`input: [seq(N), 4]`); maxout, a recurrent layer inside a composite and a stacked one
    /// stream step by step.
    struct Odd {
        input: [seq, 4],
        layers: [maxout(4, pieces = 2), residual { lstm(4) }, lstm(4, layers = 2), bidirectional(lstm(3), lstm(3)), dense(2)],
        loss: none,
        embedded: true,
    }
}

network! {
    /// Inside a composite, a bidirectional layer has no embedded form yet.
    struct Nested {
        input: [seq(6), 4],
        layers: [residual { bidirectional(lstm(2), lstm(2)) }, dense(2)],
        loss: none,
        embedded: true,
    }
}

fn main() {}
