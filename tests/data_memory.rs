//! The loaders' memory bound is a bound on memory: a small gzip file that inflates to far
//! more than `LoadOptions::max_bytes` is refused with at most the bound allocated (before
//! anything, when a header declares the size), and data within the bound is read straight
//! into what the loader returns. Peak allocation is measured with a counting allocator.
//! One test function, so no other test allocates while one is measured.

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use kiln::data::{
    load_corpus, load_csv, load_csv_with, load_images_and_labels, load_images_and_labels_with,
    load_table_with, load_text, load_text_with, DataError, LoadOptions,
};

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(by: usize) {
    let now = CURRENT.fetch_add(by, Relaxed) + by;
    PEAK.fetch_max(now, Relaxed);
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        grew(l.size());
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        CURRENT.fetch_sub(l.size(), Relaxed);
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        if new > l.size() {
            grew(new - l.size());
        } else {
            CURRENT.fetch_sub(l.size() - new, Relaxed);
        }
        unsafe { System.realloc(p, l, new) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

const MIB: usize = 1 << 20;

/// What `f` returns and the most it had allocated at once beyond what was live before.
fn peak<R>(f: impl FnOnce() -> R) -> (R, usize) {
    let base = CURRENT.load(Relaxed);
    PEAK.store(base, Relaxed);
    let r = f();
    (r, PEAK.load(Relaxed) - base)
}

fn gz_file(dir: &Path, name: &str, parts: &[&[u8]], repeat: usize) -> PathBuf {
    let path = dir.join(name);
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(parts[0]).unwrap();
    for _ in 0..repeat {
        e.write_all(parts[1]).unwrap();
    }
    std::fs::write(&path, e.finish().unwrap()).unwrap();
    path
}

fn idx_header(dims: &[u32]) -> Vec<u8> {
    let mut v = vec![0, 0, 8, dims.len() as u8];
    dims.iter()
        .for_each(|d| v.extend_from_slice(&d.to_be_bytes()));
    v
}

fn too_large<T: std::fmt::Debug>(r: Result<T, DataError>) -> bool {
    matches!(r, Err(DataError::TooLarge { .. }))
}

#[test]
fn loaders_stay_within_their_memory_bound() {
    let dir = std::env::temp_dir().join(format!("kiln-data-memory-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();

    // IDX: 4096 images of 64x64 (16 MiB of pixels, 64 MiB as f32) in a file of ~16 KB.
    let row = [0u8; 4096];
    let images = gz_file(&dir, "i.gz", &[&idx_header(&[4096, 64, 64]), &row], 4096);
    let labels = gz_file(&dir, "l.gz", &[&idx_header(&[4096]), &[3u8; 4096]], 1);
    assert!(std::fs::metadata(&images).unwrap().len() < 100_000);
    let small = LoadOptions::max_bytes(8 * MIB as u64);
    let (r, used) = peak(|| load_images_and_labels_with(&images, &labels, &small));
    assert!(too_large(r));
    assert!(used < MIB, "refused from the header: {used} bytes");
    let (d, used) = peak(|| load_images_and_labels(&images, &labels).unwrap());
    let final_bytes = d.features.len() * 4 + d.labels.len() * 8;
    assert_eq!(final_bytes, 64 * MIB + 4096 * 8);
    assert!(used <= final_bytes + MIB, "{used} for {final_bytes}");
    drop(d);
    // Labels checked against the model's classes, by their byte in the file.
    let e = load_images_and_labels_with(&images, &labels, &LoadOptions::default().with_classes(3))
        .unwrap_err()
        .to_string();
    assert!(
        e.ends_with("l.gz: byte 8: expected a class label below 3 (the model's classes), found 3"),
        "{e}"
    );

    // Text: 16 MiB of characters.
    let text = gz_file(&dir, "t.gz", &[b"", b"abc\n"], 4 * MIB);
    let (r, used) = peak(|| load_text_with(&text, &LoadOptions::max_bytes(4 * MIB as u64)));
    assert!(too_large(r));
    assert!(used <= 5 * MIB + MIB, "{used}");
    let (t, used) = peak(|| load_text(&text).unwrap());
    assert_eq!(t.len(), 16 * MIB);
    assert!(used <= t.len() * 5 / 4 + MIB, "{used}");
    drop(t);
    // The corpus holds only the ids (8 bytes a character), counted before they exist.
    let (r, used) = peak(|| load_corpus(&text, &LoadOptions::max_bytes(64 * MIB as u64)));
    assert!(too_large(r));
    assert!(used < MIB, "{used}");
    let (corpus, used) = peak(|| load_corpus(&text, &LoadOptions::default()).unwrap());
    assert_eq!((corpus.0.len(), corpus.1.len()), (4, 16 * MIB));
    assert_eq!(&corpus.1[..5], [1, 2, 3, 0, 1]);
    assert!(used <= 128 * MIB + MIB, "{used}");
    drop(corpus);

    // CSV: 1 Mi rows of two features and a label (16 MiB as f32 features and labels).
    let csv = gz_file(&dir, "d.csv.gz", &[b"", b"0.5,0.25,1\n"], MIB);
    let (r, used) = peak(|| load_csv_with(&csv, -1, &LoadOptions::max_bytes(4 * MIB as u64)));
    assert!(too_large(r));
    assert!(used <= 5 * MIB + MIB, "{used}");
    let (d, used) = peak(|| load_csv(&csv, -1).unwrap());
    assert_eq!(d.len(), MIB);
    assert!(used <= 16 * MIB * 5 / 4 + MIB, "{used}");
    drop(d);
    let e = load_csv_with(&csv, -1, &LoadOptions::default().with_classes(1))
        .unwrap_err()
        .to_string();
    assert!(e.ends_with("d.csv.gz: line 1, column 3: expected a class label below 1 (the model's classes), found 1"), "{e}");

    // A table with a header: f64 features and targets.
    let table = gz_file(&dir, "h.csv.gz", &[b"a,b,y\n", b"0.5,0.25,1\n"], MIB);
    let (r, used) =
        peak(|| load_table_with(&table, &["y"], &LoadOptions::max_bytes(4 * MIB as u64)));
    assert!(too_large(r));
    assert!(used <= 5 * MIB + MIB, "{used}");

    // A file of one endless line is refused at the bound, not read whole.
    let line = gz_file(&dir, "line.csv.gz", &[b"", b"0000000000"], MIB);
    let (r, used) = peak(|| load_csv_with(&line, -1, &LoadOptions::max_bytes(MIB as u64)));
    assert!(too_large(r));
    assert!(used <= 3 * MIB, "{used}");
    std::fs::remove_dir_all(&dir).unwrap();
}
