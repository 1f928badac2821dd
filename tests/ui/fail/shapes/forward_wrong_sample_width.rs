use kiln::prelude::*;

network! {
    pub struct Mlp {
        input: [64],
        layers: [dense(32), relu, dense(10)],
        loss: softmax_cross_entropy,
    }
}

fn main() {
    let mut rng = seeded(0);
    let net = Mlp::<f32>::new(&mut rng);
    let mut s = net.scratch();
    let x = vec![[0.0f32; 63]; 4];
    let mut y = vec![[0.0f32; 10]; 4];
    net.forward(&x, &mut y, &mut s).unwrap();
}
