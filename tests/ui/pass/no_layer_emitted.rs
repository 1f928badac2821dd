//! Declarations that check clean but emit no layer of their own still expand, with no
//! warning in the generated code (the embedded form of a network with no tensors included).
#![deny(warnings)]
use kiln::prelude::*;

network! {
    pub struct Flat { input: [1, 4, 4], layers: [flatten], loss: none }
}

network! {
    block reshape() { flatten }
    pub struct BlockOnlyFlatten { input: [1, 4, 4], layers: [reshape(), dense(3)], loss: none }
}

network! {
    pub struct ResidualFlatten { input: [8], layers: [residual { flatten }], loss: none }
}

network! {
    pub struct EmbeddedFlat { input: [1, 2, 2], layers: [flatten], loss: none, embedded: true }
}

fn main() {
    let net = Flat::<f64>::new(&mut seeded(1));
    let x: [f64; 16] = core::array::from_fn(|i| i as f64);
    assert_eq!(net.forward_one(&x, &mut net.scratch()), x);
    let r = ResidualFlatten::<f64>::new(&mut seeded(1));
    let y = r.forward_one(&[1.0; 8], &mut r.scratch());
    assert_eq!(y, [2.0; 8], "identity main branch plus identity shortcut");
    let b = BlockOnlyFlatten::<f32>::new(&mut seeded(1));
    let _ = b.forward_one(&[0.5; 16], &mut b.scratch());
    let e = EmbeddedFlatEmbedded::<f32>::ZEROED;
    let mut s = EmbeddedFlatEmbeddedScratch::<f32>::ZERO;
    let mut y = [0.0f32; 4];
    e.forward(&[1.0, 2.0, 3.0, 4.0], &mut y, &mut s).unwrap();
    assert_eq!(y, [1.0, 2.0, 3.0, 4.0]);
}
