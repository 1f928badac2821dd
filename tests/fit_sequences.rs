//! `Fit` on sequence data with one target per sequence (many-to-one) and one per step (a
//! tagger): the bundled digits read row by row, 8 steps of 8 pixels.

use kiln::data::{digits, Sequences};
use kiln::prelude::*;
use kiln::runtime::optim::Adam;
use kiln::train::{evaluate, Fit};

network! {
    /// One label per sequence, from the last step.
    struct Reader {
        input: [seq, 8],
        layers: [lstm(32), last_step, dense(10)],
        output: [10],
        loss: softmax_cross_entropy,
    }
}

network! {
    /// One label per step: the digit, as far as the rows so far tell.
    struct Tagger {
        input: [seq, 8],
        layers: [gru(32), dense(10)],
        output: [seq, 10],
        loss: softmax_cross_entropy,
    }
}

fn rows(per_step: bool) -> (Sequences<usize>, Sequences<usize>) {
    let mut d = digits().unwrap();
    d.scale(1.0 / 16.0);
    Sequences::from_rows(&d, 8, per_step)
        .unwrap()
        .split(0.8, 5)
        .unwrap()
}

#[test]
fn many_to_one_classifier_fits_sequences() {
    let (train, val) = rows(false);
    let mut net = Reader::<f32>::new(&mut seeded(1));
    let h = Fit::new(8, 32)
        .unwrap()
        .quiet()
        .run(&mut net, &mut Adam::new(0.01).unwrap(), &train, Some(&val))
        .unwrap();
    let v = h.last().unwrap().val.clone().unwrap();
    eprintln!("digits by rows, one label per sequence: {}", v.summary());
    assert!(v.accuracy.unwrap() > 0.9, "{}", v.summary());
    assert_eq!(v.confusion.as_ref().unwrap().classes(), 10);
    // The evaluation is the same however many sequences a batch holds.
    let a = evaluate(&net, &val, 7).unwrap();
    let b = evaluate(&net, &val, 500).unwrap();
    assert!((a.loss - b.loss).abs() < 1e-5 && a.accuracy == b.accuracy);
}

#[test]
fn tagger_fits_one_label_per_step() {
    let (train, val) = rows(true);
    let mut net = Tagger::<f32>::new(&mut seeded(2));
    let h = Fit::new(8, 32)
        .unwrap()
        .quiet()
        .run(&mut net, &mut Adam::new(0.01).unwrap(), &train, Some(&val))
        .unwrap();
    let v = h.last().unwrap().val.clone().unwrap();
    eprintln!("digits by rows, one label per step: {}", v.summary());
    // Early rows cannot tell the digit; over all steps the tagger is right well over half
    // the time.
    assert!(v.accuracy.unwrap() > 0.6, "{}", v.summary());
    let confusion = v.confusion.unwrap();
    let total: u64 = (0..10).map(|c| confusion.support(c)).sum();
    assert_eq!(total as usize, val.len() * 8, "one count per step");
}
