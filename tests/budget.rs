//! The cost consts of every generated network and embedded form (`PARAMS`, `MACS`,
//! `MODEL_BYTES`, `SCRATCH_BYTES`) against what the types really hold and the products the
//! layers really compute; `budget:` checks the same figures at compile time (its errors are
//! pinned in `tests/ui/fail/budget/` and `kiln-dsl`'s unit tests).

use kiln::prelude::*;

network! {
    struct Mlp { input: [64], layers: [dense(32), relu, dense(10)], loss: none, embedded: true }
}

network! {
    struct ConvBn {
        input: [3, 8, 8],
        layers: [conv2d(4, 3, 1, 1), batch_norm2d, relu, flatten, dense(5)],
        loss: none,
        embedded: true,
    }
}

network! {
    struct Stream { input: [seq, 3], layers: [gru(8), dense(2)], loss: none, embedded: true }
}

network! {
    struct Lstm { input: [seq, 5], layers: [lstm(6), dense(7)], loss: none, embedded: true }
}

network! {
    struct Res {
        input: [16],
        layers: [residual { dense(16), relu, dense(16) }, relu, dense(4)],
        loss: none,
    }
}

network! {
    /// Within every limit: 64*32 + 32 + 32*10 + 10 = 2,410 values (9,640 bytes), scratch
    /// 2 x 64 values (512 bytes), 2,368 multiply-accumulates.
    struct Budgeted {
        input: [64],
        layers: [dense(32), relu, dense(10)],
        loss: none,
        embedded: true,
        budget: { flash: 9_640 bytes, ram: 512 bytes, macs: 2_368 },
    }
}

/// Scalars of every tensor but step counters, by the network's own visitors.
fn stored<N: Network<f32>>(net: &N) -> usize {
    let mut n = net.param_count();
    net.visit_buffers(&mut |name, v| {
        if !kiln::runtime::network::is_counter(name) {
            n += v.len()
        }
    });
    n
}

#[test]
fn model_bytes_and_params_are_what_the_networks_hold() {
    let mut rng = seeded(1);
    let (mlp, conv, stream) = (
        Mlp::<f32>::new(&mut rng),
        ConvBn::<f32>::new(&mut rng),
        Stream::<f32>::new(&mut rng),
    );
    let (lstm, res) = (Lstm::<f32>::new(&mut rng), Res::<f32>::new(&mut rng));
    assert_eq!(Mlp::<f32>::PARAMS, mlp.param_count());
    assert_eq!(ConvBn::<f32>::PARAMS, conv.param_count());
    assert_eq!(Res::<f32>::PARAMS, res.param_count());
    assert_eq!(Mlp::<f32>::MODEL_BYTES, 4 * stored(&mlp));
    // Batch norm's running mean and variance are stored, its step counter is not.
    assert_eq!(ConvBn::<f32>::MODEL_BYTES, 4 * stored(&conv));
    assert_eq!(ConvBn::<f32>::MODEL_BYTES, 4 * (ConvBn::<f32>::PARAMS + 8));
    assert_eq!(ConvBn::<f64>::MODEL_BYTES, 8 * stored(&conv));
    assert_eq!(Stream::<f32>::MODEL_BYTES, 4 * stored(&stream));
    assert_eq!(Lstm::<f32>::MODEL_BYTES, 4 * stored(&lstm));
    assert_eq!(Res::<f32>::MODEL_BYTES, 4 * stored(&res));
    // The embedded forms hold exactly these tensors, plus scalar settings (batch norm's eps).
    assert_eq!(MlpEmbedded::<f32>::MODEL_BYTES, Mlp::<f32>::MODEL_BYTES);
    assert_eq!(MlpEmbedded::<f32>::BYTES, MlpEmbedded::<f32>::MODEL_BYTES);
    assert_eq!(MlpEmbedded::<f64>::BYTES, MlpEmbedded::<f64>::MODEL_BYTES);
    assert_eq!(MlpEmbedded::<f32>::PARAMS, Mlp::<f32>::PARAMS);
    assert_eq!(ConvBnEmbedded::<f32>::PARAMS, ConvBn::<f32>::PARAMS);
    assert_eq!(
        ConvBnEmbedded::<f32>::MODEL_BYTES,
        ConvBn::<f32>::MODEL_BYTES
    );
    let settings = ConvBnEmbedded::<f32>::BYTES - ConvBnEmbedded::<f32>::MODEL_BYTES;
    assert!(settings <= 16, "{settings}");
    assert_eq!(
        StreamEmbedded::<f32>::BYTES,
        StreamEmbedded::<f32>::MODEL_BYTES + 4
    );
}

#[test]
fn scratch_bytes_are_the_size_of_the_embedded_scratch() {
    assert_eq!(Mlp::<f32>::SCRATCH_BYTES, MlpEmbeddedScratch::<f32>::BYTES);
    assert_eq!(
        MlpEmbedded::<f32>::SCRATCH_BYTES,
        MlpEmbeddedScratch::<f32>::BYTES
    );
    assert_eq!(
        MlpEmbedded::<f64>::SCRATCH_BYTES,
        MlpEmbeddedScratch::<f64>::BYTES
    );
    assert_eq!(
        ConvBnEmbedded::<f32>::SCRATCH_BYTES,
        ConvBnEmbeddedScratch::<f32>::BYTES
    );
    // Two buffers of 256 (the convolution's 4 x 8 x 8 output).
    assert_eq!(ConvBnEmbedded::<f32>::SCRATCH_BYTES, 2 * 256 * 4);
    // Recurrent states live in the scratch: the GRU's h and its two gate rows.
    assert_eq!(
        StreamEmbedded::<f32>::SCRATCH_BYTES,
        StreamEmbeddedScratch::<f32>::BYTES
    );
    assert_eq!(
        StreamEmbedded::<f32>::SCRATCH_BYTES,
        (2 * 8 + 8 + 2 * 24) * 4
    );
    assert_eq!(
        LstmEmbedded::<f64>::SCRATCH_BYTES,
        LstmEmbeddedScratch::<f64>::BYTES
    );
    assert_eq!(LstmEmbedded::<f64>::SCRATCH_BYTES, (2 * 7 + 2 * 6) * 8);
}

#[test]
fn macs_count_every_product_once() {
    assert_eq!(Mlp::<f32>::MACS, 64 * 32 + 32 * 10);
    // Convolution: 3 x 3 x 3 products for each of 4 x 8 x 8 outputs; batch norm one per
    // value; the dense layer 256 x 5.
    assert_eq!(ConvBn::<f32>::MACS, 27 * 256 + 256 + 256 * 5);
    assert_eq!(ConvBnEmbedded::<f32>::MACS, ConvBn::<f32>::MACS);
    // Per step: the GRU's three gates over input and state, then the dense layer.
    assert_eq!(Stream::<f32>::MACS, 3 * 8 * (3 + 8) + 8 * 2);
    assert_eq!(Lstm::<f32>::MACS, 4 * 6 * (5 + 6) + 6 * 7);
    // Both branches of a residual block count (the shortcut is the identity here).
    assert_eq!(Res::<f32>::MACS, 2 * 16 * 16 + 16 * 4);
    assert_eq!(Budgeted::<f32>::MACS, 2_368);
    assert_eq!(BudgetedEmbedded::<f32>::MODEL_BYTES, 9_640);
    assert_eq!(BudgetedEmbedded::<f32>::SCRATCH_BYTES, 512);
}
