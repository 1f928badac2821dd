use kiln::prelude::*;

/// The user's own type, named like one `network!` generates.
pub struct DigitsScratch;

network! {
    pub struct Digits { input: [64], layers: [dense(10)], loss: softmax_cross_entropy }
}

fn main() {
    let net = Digits::<f32>::new(&mut seeded(1));
    let _ = net.forward_one(&[0.0; 64], &mut net.scratch());
}
