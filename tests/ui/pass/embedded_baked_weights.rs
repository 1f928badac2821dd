// A network baked from a safetensors file into a `static`, with its exact sizes as consts.
use kiln::prelude::*;

network! {
    struct Controller {
        input: [16],
        layers: [dense(64), tanh, dense(64), tanh, dense(8)],
        loss: none,
        weights: "mlp.safetensors",
    }
}

static NET: ControllerEmbedded = ControllerEmbedded::WEIGHTS;
const _: () = assert!(ControllerEmbedded::<f32>::BYTES == 4 * ControllerEmbedded::<f32>::PARAMS);
const _: () = assert!(ControllerEmbeddedScratch::<f32>::BYTES == 4 * 2 * 64);

fn main() {
    let mut s = ControllerEmbeddedScratch::ZERO;
    let mut y = [0.0f32; 8];
    NET.forward(&[0.5; 16], &mut y, &mut s).unwrap();
    assert!(y.iter().all(|v| v.is_finite()) && y.iter().any(|&v| v != 0.0));
    assert_eq!(ControllerEmbedded::<f32>::TENSORS[0], ("layers.0.weight", &[64usize, 16][..]));
}
