//! Every public entry point that takes user data answers bad data with a typed error whose
//! message says what is wrong and where, never a panic: loaders, batch assembly, the network's
//! runtime-sized passes, losses, the trainer. (Checkpoint files: tests/checkpoint.rs.)

use kiln::data::{
    images_and_labels, load_csv, load_idx, load_text, parse_csv, parse_idx, DataError, Dataset,
    Samples, Standardizer, TextWindows, TokenRows, Vocab,
};
use kiln::prelude::*;
use kiln::runtime::optim::Sgd;
use kiln::train::{Fit, TrainError};

network! {
    struct Net {
        input: [4],
        layers: [dense(3), relu, dense(2)],
        loss: softmax_cross_entropy,
    }
}

network! {
    struct Tokens {
        input: [seq, 1],
        layers: [embedding(5, 3), gru(4), dense(5)],
        loss: softmax_cross_entropy,
    }
}

fn msg<T: std::fmt::Debug, E: std::fmt::Display>(r: Result<T, E>) -> String {
    r.unwrap_err().to_string()
}

/// An IDX header: magic for unsigned bytes with `dims`.
fn idx(dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut v = vec![0, 0, 8, dims.len() as u8];
    for d in dims {
        v.extend_from_slice(&d.to_be_bytes());
    }
    v.extend_from_slice(data);
    v
}

#[test]
fn idx_files() {
    assert_eq!(
        msg(parse_idx("a.idx", &[0, 0])),
        "a.idx: byte 0: expected a 4-byte IDX magic number, found 2 bytes"
    );
    assert!(msg(parse_idx("a.idx", &[0, 0, 0x0d, 1]))
        .starts_with("a.idx: byte 0: expected the IDX magic"));
    assert_eq!(
        msg(parse_idx("a.idx", &[0, 0, 8, 2, 0, 0, 0, 3])),
        "a.idx: byte 8: expected 2 dimension sizes (a 12-byte header), found end of file"
    );
    let short = msg(parse_idx("a.idx", &idx(&[2, 3], &[1, 2, 3, 4])));
    assert!(
        short.starts_with("a.idx: ") && short.contains("6"),
        "{short}"
    );
    let images = parse_idx("i.idx", &idx(&[2, 2, 2], &[0; 8])).unwrap();
    let labels = parse_idx("l.idx", &idx(&[3], &[1, 2, 3])).unwrap();
    assert!(msg(images_and_labels(images, labels, ("i.idx", "l.idx")))
        .contains("l.idx: byte 4: expected one label for each of the 2 images"));
    let missing = msg(load_idx("/no/such/file.idx"));
    assert!(missing.starts_with("/no/such/file.idx: "), "{missing}");
}

#[test]
fn csv_files() {
    let m = |text: &str| msg(parse_csv("d.csv", text.as_bytes(), -1));
    assert_eq!(
        m("1,2,0\n3,4\n"),
        "d.csv: line 2: expected 3 columns like the first row, found 2 columns"
    );
    assert_eq!(
        m("1,x,0\n"),
        "d.csv: line 1, column 2: expected a number, found \"x\""
    );
    assert!(
        m("1,NaN,0\n").starts_with("d.csv: line 1, column 2: expected a finite number"),
        "{}",
        m("1,NaN,0\n")
    );
    assert_eq!(
        m("1,2,-1\n"),
        "d.csv: line 1, column 3: expected a non-negative integer class label, found \"-1\""
    );
    assert_eq!(m("\n\n"), "d.csv: holds no samples");
    assert!(matches!(
        load_csv("/no/such.csv", -1),
        Err(DataError::Io { .. })
    ));
}

#[test]
fn text_and_vocabulary() {
    let dir = std::env::temp_dir().join(format!("kiln-errors-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.txt");
    std::fs::write(&bad, b"ok \xff then").unwrap();
    let e = msg(load_text(&bad));
    assert!(
        e.ends_with("byte 3: expected UTF-8 text, found invalid UTF-8"),
        "{e}"
    );
    let v = Vocab::from_text("abc").unwrap();
    assert_eq!(
        msg(v.encode("abz")),
        "invalid character: 'z' at byte 2 is not in the vocabulary of 3 characters"
    );
    assert_eq!(
        msg(v.decode(&[0, 7])),
        "invalid character id: 7 is outside the vocabulary of 3 characters"
    );
    assert!(msg(Vocab::from_text("")).contains("it is empty"));
    assert!(msg(TextWindows::new(vec![0, 1], 4, TokenRows::Ids))
        .contains("2 tokens cannot fill one window of 4"));
}

#[test]
fn data_sets_and_batch_assembly() {
    let d = Dataset {
        features: vec![0.0; 8],
        labels: vec![0, 1],
        width: 4,
    };
    assert!(msg(d.split(1.0, 0)).contains("must be in (0, 1), got 1"));
    assert!(msg(d.split(0.1, 0)).contains("leaves one side empty"));
    assert!(
        msg(d.rows::<5>()).contains("the data set has 4 features per sample, the network takes 5")
    );
    let (mut x, mut y) = (Vec::<f32>::new(), Vec::new());
    assert_eq!(
        msg(d.gather(&[0, 2], &mut x, &mut y)),
        "invalid sample index: 2 is outside a data set of 2 samples"
    );
    let empty = Dataset {
        features: vec![],
        labels: vec![],
        width: 4,
    };
    assert!(Standardizer::fit(&empty).is_err());
}

#[test]
fn network_passes_and_losses() {
    let mut net = Net::<f32>::new(&mut seeded(1));
    let mut s = net.new_scratch();
    let mut y = vec![0.0; 4];
    assert_eq!(
        msg(net.forward_flat(&[0.0; 7], &mut y, &mut s)),
        "network input has length 7, but its shape needs 8"
    );
    assert!(msg(net.forward_flat(&[], &mut y, &mut s)).contains("network input"));
    assert_eq!(
        msg(net.forward_flat(&[0.0; 8], &mut y[..3], &mut s)),
        "network output has length 3, but its shape needs 4"
    );
    let mut t = net.new_train(0);
    assert!(msg(net.backward_flat(&[0.0; 4], &mut t, None))
        .contains("backward called before any forward_train"));
    let mut opt = Sgd::new(0.1).unwrap();
    let x = [[0.5f32; 4]; 2];
    let e = msg(net.train_step(&x, &[0, 5], &mut opt, &mut t));
    assert!(e.contains('5') && e.contains("2 classes"), "{e}");
    assert_eq!(
        msg(net.train_step(&x, &[0], &mut opt, &mut t)),
        "cross-entropy labels (one per row) has length 1, but its shape needs 2"
    );

    let toks = Tokens::<f32>::new(&mut seeded(1));
    let mut ts = toks.scratch();
    let mut out = vec![[0.0f32; 5]; 2];
    let e = msg(toks.forward_seq(&[[1.0], [5.0]], 2, &mut out, &mut ts));
    assert_eq!(
        e,
        "input row 1 holds 5, which is not a token id of the vocabulary (0..5)"
    );
}

#[test]
fn the_trainer_refuses_non_finite_features() {
    let mut d = Dataset {
        features: vec![0.5; 16],
        labels: vec![0, 1, 0, 1],
        width: 4,
    };
    d.features[9] = f32::INFINITY;
    let mut net = Net::<f32>::new(&mut seeded(1));
    let e = Fit::new(1, 2)
        .unwrap()
        .quiet()
        .run(&mut net, &mut Sgd::new(0.1).unwrap(), &d, None)
        .unwrap_err();
    assert!(matches!(e, TrainError::Data(_)), "{e}");
    assert_eq!(
        e.to_string(),
        "invalid sample: sample 2, feature 1 is inf; features must be finite"
    );
    // A label the network has no class for is found before training, by its sample.
    d.features[9] = 0.0;
    d.labels[2] = 5;
    let e = Fit::new(1, 2)
        .unwrap()
        .quiet()
        .run(&mut net, &mut Sgd::new(0.1).unwrap(), &d, None)
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with(
            "invalid class label: sample 2 (0-based) has label 5, but the network has 2 classes"
        ),
        "{e}"
    );
}

#[test]
fn inconsistent_data_sets_are_errors_not_panics() {
    // Fields set by hand that do not agree.
    let ragged = Dataset {
        features: vec![0.0; 7],
        labels: vec![0, 1],
        width: 4,
    };
    assert_eq!(
        msg(ragged.validate()),
        "invalid data set: 7 features for 2 samples of width 4"
    );
    let (mut x, mut y) = (Vec::<f32>::new(), Vec::new());
    assert!(msg(ragged.gather(&[1], &mut x, &mut y)).contains("1 is outside"));
    let mut net = Net::<f32>::new(&mut seeded(1));
    let e =
        Fit::new(1, 2)
            .unwrap()
            .quiet()
            .run(&mut net, &mut Sgd::new(0.1).unwrap(), &ragged, None);
    assert!(msg(e).contains("7 features for 2 samples"));
}

#[test]
fn batching_a_data_set_whose_fields_disagree_does_not_panic() {
    let ragged = Dataset {
        features: vec![0.0; 5],
        labels: vec![0, 1, 0],
        width: 2,
    };
    let sizes: Vec<(usize, usize)> = ragged.batches(2).map(|(x, y)| (x.len(), y.len())).collect();
    assert_eq!(sizes, [(4, 2), (1, 1)]);
    let mut net = Net::<f32>::new(&mut seeded(1));
    let mut t = net.new_train(0);
    let (x, y) = ragged.batches(2).last().unwrap();
    assert!(net.forward_train_flat(x, &mut t).is_err());
    assert_eq!(y.len(), 1);
}
