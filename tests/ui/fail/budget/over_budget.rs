use kiln::prelude::*;

network! {
    /// A sensor model that outgrew its microcontroller: each figure over its limit is one
    /// error at that limit, naming the figure and the costliest layers.
    struct Sensor {
        input: [1, 16, 16],
        layers: [conv2d(8, 3, 1, 1), relu, max_pool2d(2), flatten, dense(64), relu, dense(4)],
        loss: none,
        embedded: true,
        budget: { flash: 32 KiB, ram: 4 KiB, macs: 50_000 },
    }
}

fn main() {}
