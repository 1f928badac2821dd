use kiln::prelude::*;

network! {
    /// A custom layer's cost is known only to the compiler: the budget says so rather than
    /// leave it out.
    struct WithCustom { input: [4], layers: [Scale -> [4]], loss: none, budget: { macs: 1_000 } }
}

fn main() {}
