// A user type named like one `network!` generates (`DigitsScratch` beside `Digits`) keeps its
// name: the generated items other than the network reach the module through a glob, which the
// user's own item shadows. The network still works, and its scratch is reachable as
// `<Digits as Network<f32>>::Scratch`.
use kiln::prelude::*;

/// The user's own type, named like one `network!` generates.
pub struct DigitsScratch;

network! {
    pub struct Digits { input: [64], layers: [dense(10)], loss: softmax_cross_entropy }
}

fn main() {
    let _mine = DigitsScratch;
    let net = Digits::<f32>::new(&mut seeded(1));
    let mut s: <Digits as Network<f32>>::Scratch = net.scratch();
    let y = net.forward_one(&[0.0; 64], &mut s);
    assert_eq!(y.len(), 10);
}
