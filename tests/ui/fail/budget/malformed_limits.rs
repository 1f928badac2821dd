use kiln::prelude::*;

network! {
    /// A misspelt key, a limit set twice, a byte unit on a count and a zero limit: each once.
    struct Limits {
        input: [8],
        layers: [dense(4)],
        loss: none,
        budget: { flsh: 1 KiB, ram: 8 KB, ram: 1 KiB, macs: 10 KiB, flash: 0 },
    }
}

network! {
    /// A budget written as a number.
    struct Bare { input: [8], layers: [dense(4)], loss: none, budget: 64 }
}

fn main() {}
