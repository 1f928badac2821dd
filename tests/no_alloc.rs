//! A counting global allocator proves that, after warm-up, `forward` and `train_step`
//! allocate nothing: the first call grows the buffers, and for `train_step` the second fills
//! the training guard's restore point with the optimiser state the first step created.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use kiln::prelude::*;
use kiln::runtime::optim::Sgd;

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

network! {
    struct Everything {
        input: [16],
        layers: [
            dense(32), relu, batch_norm, dropout(0.1), dense(24), gelu, layer_norm, prelu,
            maxout(12, pieces = 2), dense(8), tanh, dense(4),
        ],
        loss: softmax_cross_entropy,
    }
}

network! {
    block res(c, s) {
        residual { conv2d(c, 3, s, 1), batch_norm2d, relu, conv2d(c, 3, 1, 1), batch_norm2d }
        shortcut { conv2d(c, 1, s), batch_norm2d },
        relu,
    }
    struct ConvEverything {
        input: [3, 12, 12],
        layers: [
            conv2d(8, 3, padding = same), relu, max_pool2d(2),
            res(16, 2),
            concat { [conv2d(4, 1), relu], [avg_pool2d(3, 1, 1)], [] },
            dropout(0.1),
            global_avg_pool,
            dense(5),
        ],
        loss: softmax_cross_entropy,
    }
}

network! {
    struct SeqEverything {
        input: [seq, 8],
        layers: [lstm(16), bidirectional(gru(8), rnn(4)), dense(6), tanh, dense(5)],
        loss: softmax_cross_entropy,
    }
}

fn allocations_during(f: impl FnOnce()) -> usize {
    let before = ALLOCATIONS.load(Ordering::SeqCst);
    f();
    ALLOCATIONS.load(Ordering::SeqCst) - before
}

// One test function so no other test thread allocates while we count.
#[test]
fn forward_and_train_step_allocate_nothing_after_warm_up() {
    let mut net = Everything::<f32>::new(&mut seeded(3));
    let x = vec![[0.25f32; 16]; 64];
    let small = &x[..7];
    let mut y = vec![[0.0f32; 4]; 64];
    let mut s = net.scratch();
    net.forward(&x, &mut y, &mut s).unwrap(); // warm-up at the largest batch
    let n = allocations_during(|| {
        for _ in 0..10 {
            net.forward(&x, &mut y, &mut s).unwrap();
            net.forward(small, &mut y[..7], &mut s).unwrap();
            std::hint::black_box(net.forward_one(&x[0], &mut s));
        }
    });
    assert_eq!(n, 0, "forward allocated {n} times after warm-up");

    let labels: Vec<usize> = (0..64).map(|i| i % 4).collect();
    let mut opt = Sgd::new(0.01).unwrap().momentum(0.9).unwrap();
    let mut t = net.train_state(1);
    // Warm-up: buffers and optimiser state, then the restore point's copy of that state.
    for _ in 0..2 {
        net.train_step(&x, &labels, &mut opt, &mut t).unwrap();
    }
    let n = allocations_during(|| {
        for _ in 0..10 {
            net.train_step(&x, &labels, &mut opt, &mut t).unwrap();
            net.train_step(small, &labels[..7], &mut opt, &mut t)
                .unwrap();
        }
    });
    assert_eq!(n, 0, "train_step allocated {n} times after warm-up");

    // Convolutions, pooling, residual and concatenated blocks.
    let mut conv = ConvEverything::<f32>::new(&mut seeded(4));
    let x = vec![[0.5f32; 3 * 12 * 12]; 16];
    let labels: Vec<usize> = (0..16).map(|i| i % 5).collect();
    let mut y = vec![[0.0f32; 5]; 16];
    let mut s = conv.scratch();
    let mut t = conv.train_state(2);
    let mut opt = Sgd::new(0.01).unwrap().momentum(0.9).unwrap();
    conv.forward(&x, &mut y, &mut s).unwrap();
    conv.train_step(&x, &labels, &mut opt, &mut t).unwrap();
    // Warm-up takes every batch size of the loop: the GEMM worker's packing buffers grow with
    // the shape of the part it is handed, and with AVX2's panel sizes the part of a 9-sample
    // batch's product can be larger than any part of a 16-sample one.
    conv.train_step(&x[..9], &labels[..9], &mut opt, &mut t)
        .unwrap();
    let n = allocations_during(|| {
        for _ in 0..5 {
            conv.forward(&x, &mut y, &mut s).unwrap();
            conv.train_step(&x, &labels, &mut opt, &mut t).unwrap();
            conv.train_step(&x[..9], &labels[..9], &mut opt, &mut t)
                .unwrap();
        }
    });
    assert_eq!(
        n, 0,
        "the convolutional network allocated {n} times after warm-up"
    );
}
