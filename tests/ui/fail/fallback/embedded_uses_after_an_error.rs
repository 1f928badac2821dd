use kiln::prelude::*;

network! {
    /// Over budget: that is the only error; the uses below raise none of their own.
    struct Net {
        input: [4],
        layers: [dense(64), relu, dense(2)],
        loss: none,
        embedded: true,
        budget: { macs: 10 },
    }
}

network! {
    /// The same in int8, without its weights file: one error, none from the uses.
    struct Quant {
        input: [4],
        layers: [dense(8), relu, dense(2)],
        loss: none,
        precision: int8,
    }
}

static NET: NetEmbedded = NetEmbedded::WEIGHTS;
static QUANT: QuantEmbedded = QuantEmbedded::WEIGHTS;

fn main() {
    let mut s = NetEmbeddedScratch::ZERO;
    let mut y = [0.0f32; 2];
    NET.forward(&[0.0; 4], &mut y, &mut s).unwrap();
    let mut q = QuantEmbeddedScratch::ZERO;
    let mut y8 = [0i8; 2];
    QUANT.forward(&QuantEmbedded::quantize_input(&[0.0; 4]), &mut y8, &mut q);
    let _ = (NetEmbedded::<f32>::MODEL_BYTES, QuantEmbedded::dequantize_output(&y8));
}
