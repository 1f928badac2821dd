//! Fuzz targets for kiln's readers (IDX, CSV, safetensors checkpoints, the text vocabulary)
//! and for the front end of `network!` ([`dsl`]), each taking raw bytes and using the code as
//! a user would; a stable-Rust mutation [`driver`] runs them. An `Err` from kiln (or a
//! `compile_error!` from the macro) is a normal outcome; a panic, a hang or a huge allocation
//! from a small input is a bug.

pub mod alloc_guard;
pub mod driver;
pub mod dsl;
pub mod mutate;
pub mod net;
pub mod rng;

use std::io::Write;

use arbitrary::Unstructured;
use kiln::checkpoint::{load_training_from_bytes, load_weights_from_bytes};
use kiln::data::{
    images_and_labels, parse_csv, parse_idx, Dataset, IdxArray, MinMaxScaler, Samples,
    Standardizer, TextWindows, TokenRows, Vocab,
};
use kiln::prelude::*;

use net::FuzzNet;

#[global_allocator]
static ALLOC: alloc_guard::PeakTracking = alloc_guard::PeakTracking;

/// A fuzz target: its name (also its corpus folder) and the function run on each input.
#[derive(Clone, Copy)]
pub struct Target {
    pub name: &'static str,
    pub run: fn(&[u8]),
}

/// Every target, in the order `all` runs them.
pub const TARGETS: &[Target] = &[
    Target {
        name: "idx",
        run: idx,
    },
    Target {
        name: "csv",
        run: csv,
    },
    Target {
        name: "safetensors",
        run: safetensors,
    },
    Target {
        name: "training",
        run: training,
    },
    Target {
        name: "vocab",
        run: vocab,
    },
    Target {
        name: "dsl",
        run: dsl::dsl,
    },
];

/// The target called `name`.
pub fn target(name: &str) -> Option<Target> {
    TARGETS.iter().copied().find(|t| t.name == name)
}

/// The input as one IDX file, plain and gzip-wrapped; a parsed array is paired with a label
/// file built from its first dimension (and one with a label too many) as an image data set.
pub fn idx(data: &[u8]) {
    for bytes in [data.to_vec(), gzip(data)] {
        let Ok(images) = parse_idx("fuzz.idx", &bytes) else {
            continue;
        };
        let count = images.dims[0];
        // The derived label file is the target's own allocation: keep it proportionate.
        if count > (1 << 16).max(4 * data.len()) {
            continue;
        }
        for n in [count, count + 1] {
            let mut file = vec![0, 0, 8, 1];
            file.extend_from_slice(&(n as u32).to_be_bytes());
            file.extend((0..n).map(|i| data.get(i).map_or(0, |b| b % 10)));
            let labels = parse_idx("fuzz-labels.idx", &file).expect("a well-formed label file");
            if let Ok(d) =
                images_and_labels(images.clone(), labels, ("fuzz.idx", "fuzz-labels.idx"))
            {
                use_dataset(&d, data);
            }
        }
        // A malformed label array (built in memory, not parsed) is an error, not a panic.
        let wrong = IdxArray {
            dims: vec![count, 1],
            data: Vec::new(),
        };
        let _ = images_and_labels(images, wrong, ("fuzz.idx", "fuzz-labels.idx"));
    }
}

/// The input as CSV (plain and gzip) with the last and first column as labels, then with a
/// label column chosen by the input's first byte from the rest; data sets are then split,
/// batched, gathered and scaled.
pub fn csv(data: &[u8]) {
    for bytes in [data.to_vec(), gzip(data)] {
        for column in [-1, 0] {
            if let Ok(d) = parse_csv("fuzz.csv", &bytes, column) {
                use_dataset(&d, data);
            }
        }
    }
    let mut u = Unstructured::new(data);
    let Ok(column) = u.int_in_range(-4isize..=4) else {
        return;
    };
    if let Ok(d) = parse_csv("fuzz.csv", u.take_rest(), column) {
        use_dataset(&d, data);
    }
}

/// The input as a weights checkpoint loaded into a small dense + batch-norm network, in f32
/// and f64; a network that loaded must then run forward.
pub fn safetensors(data: &[u8]) {
    let x = [[0.5, -1.0, 0.25, 2.0]];
    let mut f32_net = FuzzNet::<f32>::new(&mut seeded(1));
    if load_weights_from_bytes(&mut f32_net, "fuzz.safetensors", data).is_ok() {
        let mut y = [[0.0f32; 3]];
        f32_net
            .forward(&x, &mut y, &mut f32_net.scratch())
            .expect("a loaded network runs");
    }
    let mut f64_net = FuzzNet::<f64>::new(&mut seeded(1));
    if load_weights_from_bytes(&mut f64_net, "fuzz.safetensors", data).is_ok() {
        let x = x.map(|r| r.map(f64::from));
        let mut y = [[0.0f64; 3]];
        f64_net
            .forward(&x, &mut y, &mut f64_net.scratch())
            .expect("a loaded network runs");
    }
}

/// The input as a training checkpoint restored into [`FuzzNet`] with Adam and with SGD with
/// momentum, in f32 and f64; a restored run must then take a (guarded) training step, which
/// may refuse a non-finite step but not panic.
pub fn training(data: &[u8]) {
    use kiln::runtime::optim::{Adam, Optimizer, Sgd};
    fn restore<T: Float>(data: &[u8], opt: &mut dyn Optimizer<T>) {
        let mut net = FuzzNet::<T>::new(&mut seeded(1));
        let mut state = net.train_state(0);
        let restored =
            load_training_from_bytes("fuzz.safetensors", data, &mut net, opt, &state.grads, &[]);
        if restored.is_ok() {
            let x = [0.5, -1.0, 0.25, 2.0, 1.0, 0.0, -0.5, 0.75].map(T::from_f64);
            let _ = kiln::runtime::train_step(&mut net, &x, &[0, 2], opt, &mut state);
        }
    }
    restore::<f32>(data, &mut Adam::new(1e-3).expect("a valid rate"));
    restore::<f64>(data, &mut Adam::new(1e-3).expect("a valid rate"));
    let sgd32 = Sgd::<f32>::new(0.1).and_then(|o| o.momentum(0.9));
    restore::<f32>(data, &mut sgd32.expect("valid"));
    let sgd64 = Sgd::<f64>::new(0.1).and_then(|o| o.momentum(0.9));
    restore::<f64>(data, &mut sgd64.expect("valid"));
}

/// The input as (lossy) UTF-8 text: its vocabulary, the encoding of its reverse and of its
/// second half, the decoding of its bytes and its 16-bit words as ids, and windows over the
/// encoded text with a window length taken from the input.
pub fn vocab(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let Ok(v) = Vocab::from_text(&text) else {
        return;
    };
    let reversed: String = text.chars().rev().collect();
    let ids = v
        .encode(&reversed)
        .expect("every character of the text is in its vocabulary");
    assert_eq!(v.decode(&ids).expect("ids from encode decode"), reversed);
    let half = String::from_utf8_lossy(&data[data.len() / 2..]);
    let _ = v.encode(&half);
    let _ = v.encode("the quick brown fox, ünïcödé ✓");
    let _ = v.decode(&data.iter().map(|&b| b as usize).collect::<Vec<_>>());
    let words: Vec<usize> = data
        .chunks(2)
        .map(|c| c.iter().fold(0, |a, &b| a << 8 | b as usize))
        .collect();
    let _ = v.decode(&words);

    let mut u = Unstructured::new(data);
    let steps = u.arbitrary::<u8>().map_or(1, usize::from);
    for rows in [TokenRows::Ids, TokenRows::OneHot { vocab: v.len() }] {
        if let Ok(w) = TextWindows::new(ids.clone(), steps, rows) {
            gather_all(&w, 4);
        }
    }
    let _ = TextWindows::new(words, steps, TokenRows::OneHot { vocab: v.len() });
    let _ = TextWindows::new(ids, usize::MAX, TokenRows::Ids);
}

/// What a user does with a loaded data set: look at it, split, batch, gather and scale it.
fn use_dataset(d: &Dataset, data: &[u8]) {
    assert_eq!(
        d.features.len(),
        d.len() * d.width,
        "features are len x width"
    );
    let _ = d.classes();
    let seed = data.len() as u64;
    for fraction in [0.5, 0.8] {
        if let Ok((train, test)) = d.split(fraction, seed) {
            assert_eq!(train.len() + test.len(), d.len());
        }
    }
    for batch in [1, 3, 32] {
        let rows: usize = d.batches(batch).map(|(_, y)| y.len()).sum();
        assert_eq!(rows, d.len(), "batches cover every sample");
    }
    gather_all(d, 5);
    if let Ok(s) = Standardizer::fit(d) {
        let _ = s.apply(&mut d.clone());
    }
    if let Ok(s) = MinMaxScaler::fit(d) {
        let _ = s.apply(&mut d.clone());
    }
}

/// Gathers the first samples (up to 64) in batches of `batch`, then one index past the end
/// (an error).
fn gather_all(s: &dyn Samples, batch: usize) {
    let (mut x, mut y) = (Vec::new(), Vec::new());
    let idx: Vec<usize> = (0..s.len().min(64)).collect();
    for chunk in idx.chunks(batch) {
        s.gather(chunk, &mut x, &mut y).expect("indices in range");
        assert_eq!(x.len(), chunk.len() * s.steps() * s.width());
        assert_eq!(y.len(), chunk.len() * s.steps());
    }
    assert!(s.gather(&[s.len()], &mut x, &mut y).is_err());
}

/// `data` as a gzip stream.
pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).expect("writing to memory");
    e.finish().expect("writing to memory")
}
