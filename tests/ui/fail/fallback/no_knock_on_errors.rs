use kiln::prelude::*;

network! {
    pub struct Mlp {
        input: [64],
        layers: [dense(32), rleu, dense(10)],
        loss: softmax_cross_entropy,
    }
}

fn main() -> kiln::runtime::Result<()> {
    let mut net = Mlp::<f32>::new(&mut seeded(1));
    let mut s = net.scratch();
    let y: [f32; 10] = net.forward_one(&[0.0; 64], &mut s);
    let mut t = net.train_state(1);
    let mut opt = kiln::runtime::optim::Sgd::new(0.1)?;
    let loss = net.train_step(&[[0.0; 64]], &[3], &mut opt, &mut t)?;
    println!("{} {loss}", y[0]);
    Ok(())
}
