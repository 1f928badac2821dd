// The block example of README.md.
use kiln::prelude::*;

network! {
    block stage(channels) { conv2d(channels, 3, padding = same), relu, max_pool2d(2) }
    pub struct Small {
        input: [3, 32, 32],
        layers: [stage(32), stage(64), flatten(4096), dense(10)],
        loss: softmax_cross_entropy,
    }
}

fn main() {
    let net = Small::<f32>::new(&mut seeded(0));
    let y = net.forward_one(&[[0.5f32; 32 * 32 * 3]][0], &mut net.scratch());
    assert!(y.iter().all(|v| v.is_finite()));
}
