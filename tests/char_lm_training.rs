//! Real data: a small character-level LSTM on tiny Shakespeare must bring the held-out loss
//! well below the uniform guess (ln 65 = 4.17 nats/char) within a few seconds.

use kiln::data::{tiny_shakespeare, Vocab};
use kiln::prelude::*;
use kiln::runtime::optim::Adam;
use kiln::runtime::rng::unit_f64;

network! {
    struct SmallCharLstm {
        input: [seq, 65],
        layers: [lstm(64), dense(65)],
        output: [seq, 65],
        loss: softmax_cross_entropy,
    }
}

const STEPS: usize = 32;

fn windows(ids: &[usize], starts: &[usize]) -> (Vec<[f32; 65]>, Vec<usize>) {
    let (mut x, mut y) = (Vec::new(), Vec::new());
    for t in 0..STEPS {
        for &s in starts {
            let mut row = [0.0f32; 65];
            row[ids[s + t]] = 1.0;
            x.push(row);
            y.push(ids[s + t + 1]);
        }
    }
    (x, y)
}

#[test]
fn char_lstm_loss_falls() {
    let text = tiny_shakespeare();
    let vocab = Vocab::from_text(text).unwrap();
    let ids = vocab.encode(text).unwrap();
    let split = ids.len() * 9 / 10;
    let (train, val) = (&ids[..split], &ids[split..]);
    let mut net = SmallCharLstm::<f32>::new(&mut seeded(1));
    let mut opt = Adam::new(0.01).unwrap();
    let mut t = net.train_state(1);
    t.set_clip_norm(Some(5.0)).unwrap();
    let val_starts: Vec<usize> = (0..64).map(|i| i * (val.len() - STEPS - 1) / 64).collect();
    let (vx, vy) = windows(val, &val_starts);
    let mut s = net.scratch();
    let val_loss = |net: &SmallCharLstm<f32>, s: &mut SmallCharLstmScratch<f32>| {
        net.eval_loss_seq(&vx, STEPS, &vy, s).unwrap()
    };
    let before = val_loss(&net, &mut s);
    assert!(
        (before - 65f32.ln()).abs() < 0.3,
        "an untrained model is near uniform: {before}"
    );
    let mut rng = seeded(2);
    for _ in 0..200 {
        let starts: Vec<usize> = (0..16)
            .map(|_| (unit_f64(&mut rng) * (train.len() - STEPS - 1) as f64) as usize)
            .collect();
        let (x, y) = windows(train, &starts);
        net.train_step_seq(&x, STEPS, &y, &mut opt, &mut t).unwrap();
    }
    let after = val_loss(&net, &mut s);
    eprintln!("validation loss {before} -> {after}");
    assert!(after < 2.9, "validation loss {before} -> {after}");
}
