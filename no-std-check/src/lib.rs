#![no_std]
//! Networks declared with `network!` in a `#![no_std]` crate that links no allocator: kiln
//! is built without its `std` feature, so only the embedded form (`{Name}Embedded`, inline
//! arrays, weights baked in from the files in `weights/`) exists. `cargo build -p
//! kiln-no-std-check` proves it compiles; its tests compare the numbers with the std build's
//! (the workspace test `tests/embedded.rs` checks the same values against the heap-backed
//! networks loaded from the same files).

use kiln::network;

network! {
    /// The T4 workload: 16 -> 64 tanh -> 64 tanh -> 8.
    pub struct Mlp {
        input: [16],
        layers: [dense(64), tanh, dense(64), tanh, dense(8)],
        loss: none,
        weights: "weights/mlp.safetensors",
    }
}

network! {
    /// Convolution, both poolings, batch norm over channels, layer norm, PReLU.
    pub struct Conv {
        input: [1, 8, 8],
        layers: [
            conv2d(4, 3, padding = 1), relu, max_pool2d(2),
            batch_norm2d,
            conv2d(6, 3), gelu, avg_pool2d(2),
            flatten,
            layer_norm, prelu(per_feature), dropout(0.5),
            dense(3, bias = false), sigmoid,
        ],
        loss: none,
        weights: "weights/conv.safetensors",
    }
}

network! {
    /// The T5 workload: one LSTM step of 32 units on one input, read out by a dense layer.
    pub struct Stream {
        input: [seq, 1],
        layers: [lstm(32), dense(1)],
        loss: none,
        weights: "weights/stream.safetensors",
    }
}

network! {
    /// Token ids through an embedding, a GRU in the notes' form and a ReLU RNN.
    pub struct Tokens {
        input: [seq, 1],
        layers: [embedding(10, 4), gru(8, form = notes), rnn(6, relu), batch_norm, dense(10)],
        loss: none,
        weights: "weights/tokens.safetensors",
    }
}

network! {
    /// One-hot ids into a plain GRU.
    pub struct OneHot {
        input: [seq, 1],
        layers: [one_hot(5), gru(3), dense(5)],
        loss: none,
        weights: "weights/onehot.safetensors",
    }
}

network! {
    block basic(c) {
        residual { conv2d(c, 3, padding = 1), batch_norm2d, relu, conv2d(c, 3, padding = 1) },
        relu,
    }
    /// Residual blocks (identity and projection shortcuts) and Inception-style branches.
    pub struct Res {
        input: [1, 8, 8],
        layers: [
            conv2d(4, 3, padding = 1), relu,
            basic(4),
            residual { conv2d(6, 3, stride = 2, padding = 1), relu, conv2d(6, 3, padding = 1) }
                shortcut { conv2d(6, 1, stride = 2), batch_norm2d },
            concat { [conv2d(2, 1)], [max_pool2d(3, stride = 1, padding = 1), conv2d(2, 1), tanh] },
            global_avg_pool, flatten, maxout(3, pieces = 2),
        ],
        loss: none,
        weights: "weights/res.safetensors",
    }
}

network! {
    /// A sensor model over a window of samples: 1-D convolutions (causal, dilated, strided).
    pub struct Conv1d {
        input: [2, 32],
        layers: [
            conv1d(4, 5, padding = causal), relu,
            conv1d(6, 3, dilation = 2, padding = 2), tanh, max_pool1d(2),
            conv1d(4, 3, stride = 2), global_avg_pool, flatten, dense(2),
        ],
        loss: none,
        weights: "weights/conv1d.safetensors",
    }
}

network! {
    /// The T4 workload in int8: `weights/mlp.safetensors` quantised by `kiln::quantize`
    /// (tests/embedded.rs checks the file is what it writes).
    pub struct MlpInt8 {
        input: [16],
        layers: [dense(64), tanh, dense(64), tanh, dense(8)],
        loss: none,
        weights: "weights/mlp.int8.safetensors",
        precision: int8,
        budget: { flash: 8 KiB, ram: 128 bytes },
    }
}

network! {
    /// Every int8 kernel: convolution with fused ReLU and sigmoid, max and average pooling, a
    /// stand-alone tanh table, flatten and dense.
    pub struct ConvInt8 {
        input: [1, 8, 8],
        layers: [
            conv2d(4, 3, padding = 1), relu, max_pool2d(2), tanh,
            conv2d(6, 3), sigmoid, avg_pool2d(2), flatten, dense(3),
        ],
        loss: none,
        weights: "weights/convq.int8.safetensors",
        precision: int8,
    }
}

network! {
    /// A sensor model over a window in int8: 1-D convolutions (padded, strided) with fused
    /// ReLU and tanh, both 1-D poolings, dense.
    pub struct Conv1dInt8 {
        input: [2, 32],
        layers: [
            conv1d(4, 5, padding = 2), relu, max_pool1d(2),
            conv1d(6, 3, stride = 2), tanh, avg_pool1d(2), flatten, dense(2),
        ],
        loss: none,
        weights: "weights/conv1dq.int8.safetensors",
        precision: int8,
    }
}

network! {
    /// A keyword-spotting-style network in int8 (DS-CNN): a convolution, a depthwise
    /// separable block (depthwise 3x3, pointwise 1x1), global average pooling, dense.
    pub struct DsCnnInt8 {
        input: [1, 8, 8],
        layers: [
            conv2d(8, 3, padding = 1), relu,
            conv2d(8, 3, padding = 1, groups = 8), relu, conv2d(8, 1), relu,
            global_avg_pool, dense(3),
        ],
        loss: none,
        weights: "weights/dscnn.int8.safetensors",
        precision: int8,
    }
}

network! {
    /// Batch norms in int8: folded into the convolution and the dense layer before them.
    pub struct ConvBnInt8 {
        input: [1, 8, 8],
        layers: [
            conv2d(4, 3, padding = 1), batch_norm2d, relu, max_pool2d(2),
            flatten, dense(8), batch_norm, tanh, dense(3),
        ],
        loss: none,
        weights: "weights/convbn.int8.safetensors",
        precision: int8,
    }
}

network! {
    /// Activations beyond ReLU/tanh/sigmoid in int8: leaky ReLU, GELU and swish fused into
    /// their dense layers, a stand-alone ELU, each a table to a calibrated scale.
    pub struct ActInt8 {
        input: [16],
        layers: [
            dense(24), leaky_relu(0.1), dropout(0.1), elu,
            dense(16), gelu, dense(8), swish, dense(4),
        ],
        loss: none,
        weights: "weights/acts.int8.safetensors",
        precision: int8,
    }
}

network! {
    /// A classifier over a window of 8 steps: both directions (LSTM forwards, GRU backwards)
    /// over the whole sequence, the last step, a dense read-out.
    pub struct BiSeq {
        input: [seq(8), 2],
        layers: [bidirectional(lstm(4), gru(3)), last_step, dense(2)],
        loss: none,
        weights: "weights/bidirectional.safetensors",
    }
}

network! {
    /// A sensor model over a stream in int8: an LSTM of 16 units on 3 inputs per step (int8
    /// weights and hidden state, int16 gates and cell), read out by a dense layer.
    pub struct LstmInt8 {
        input: [seq, 3],
        layers: [lstm(16), dense(2)],
        loss: none,
        weights: "weights/lstmq.int8.safetensors",
        precision: int8,
    }
}

/// The models as `static`s: weights in read-only memory, nothing built at run time.
pub static MLP: MlpEmbedded = MlpEmbedded::WEIGHTS;
pub static CONV: ConvEmbedded = ConvEmbedded::WEIGHTS;
pub static STREAM: StreamEmbedded = StreamEmbedded::WEIGHTS;
pub static TOKENS: TokensEmbedded = TokensEmbedded::WEIGHTS;
pub static ONE_HOT: OneHotEmbedded = OneHotEmbedded::WEIGHTS;
pub static RES: ResEmbedded = ResEmbedded::WEIGHTS;
pub static CONV1D: Conv1dEmbedded = Conv1dEmbedded::WEIGHTS;
pub static MLP_INT8: MlpInt8Embedded = MlpInt8Embedded::WEIGHTS;
pub static CONV_INT8: ConvInt8Embedded = ConvInt8Embedded::WEIGHTS;
pub static CONV1D_INT8: Conv1dInt8Embedded = Conv1dInt8Embedded::WEIGHTS;
pub static DS_CNN_INT8: DsCnnInt8Embedded = DsCnnInt8Embedded::WEIGHTS;
pub static CONV_BN_INT8: ConvBnInt8Embedded = ConvBnInt8Embedded::WEIGHTS;
pub static ACT_INT8: ActInt8Embedded = ActInt8Embedded::WEIGHTS;
pub static LSTM_INT8: LstmInt8Embedded = LstmInt8Embedded::WEIGHTS;
pub static BI_SEQ: BiSeqEmbedded = BiSeqEmbedded::WEIGHTS;

// Memory is exact and known at compile time: the parameters plus a few scalar settings.
const _: () = assert!(MlpEmbedded::<f32>::BYTES == 4 * (16 * 64 + 64 + 64 * 64 + 64 + 64 * 8 + 8));
const _: () = assert!(MlpEmbeddedScratch::<f32>::BYTES == 4 * 2 * 64);
const _: () = assert!(StreamEmbedded::<f32>::PARAMS == 4 * 32 * (1 + 32 + 2) + 32 + 1);

/// The int8 T4 network on one sample, real values in and out.
pub fn mlp_int8(x: &[f32; 16]) -> [f32; 8] {
    let mut s = MlpInt8EmbeddedScratch::ZERO;
    MLP_INT8.forward_real(x, &mut s)
}

/// The int8 convolutional network on one 8x8 image, real values in and out.
pub fn conv_int8(x: &[f32; 64]) -> [f32; 3] {
    let mut s = ConvInt8EmbeddedScratch::ZERO;
    CONV_INT8.forward_real(x, &mut s)
}

/// The int8 1-D convolutional network on one window, real values in and out.
pub fn conv1d_int8(x: &[f32; 64]) -> [f32; 2] {
    let mut s = Conv1dInt8EmbeddedScratch::ZERO;
    CONV1D_INT8.forward_real(x, &mut s)
}

/// The int8 DS-CNN on one 8x8 map, real values in and out.
pub fn ds_cnn_int8(x: &[f32; 64]) -> [f32; 3] {
    let mut s = DsCnnInt8EmbeddedScratch::ZERO;
    DS_CNN_INT8.forward_real(x, &mut s)
}

/// The int8 network with folded batch norms on one 8x8 map, real values in and out.
pub fn conv_bn_int8(x: &[f32; 64]) -> [f32; 3] {
    let mut s = ConvBnInt8EmbeddedScratch::ZERO;
    CONV_BN_INT8.forward_real(x, &mut s)
}

/// The int8 network of table activations on one sample, real values in and out.
pub fn act_int8(x: &[f32; 16]) -> [f32; 4] {
    let mut s = ActInt8EmbeddedScratch::ZERO;
    ACT_INT8.forward_real(x, &mut s)
}

/// The int8 LSTM streamed over `xs` (3 values per step) from the start of a sequence, real
/// values in and out, 2 outputs per step into `ys`.
pub fn lstm_int8(xs: &[f32], ys: &mut [f32]) {
    let mut s = LstmInt8EmbeddedScratch::ZERO;
    for (x, y) in xs.chunks_exact(3).zip(ys.chunks_exact_mut(2)) {
        let x: [f32; 3] = [x[0], x[1], x[2]];
        y.copy_from_slice(&LSTM_INT8.step_real(&x, &mut s));
    }
}

/// The bidirectional classifier on a window of 8 steps of 2 values.
pub fn bi_seq(x: &[[f32; 2]; 8]) -> [f32; 2] {
    let (mut y, mut s) = ([0.0; 2], BiSeqEmbeddedScratch::ZERO);
    match BI_SEQ.forward_seq(x, &mut y, &mut s) {
        Ok(()) => y,
        Err(_) => unreachable!("recurrent layers take any input"),
    }
}

/// The T4 network on one sample.
pub fn mlp(x: &[f32; 16]) -> [f32; 8] {
    let mut y = [0.0; 8];
    let mut s = MlpEmbeddedScratch::ZERO;
    match MLP.forward(x, &mut y, &mut s) {
        Ok(()) => y,
        Err(_) => unreachable!("dense layers take any input"),
    }
}

/// The convolutional network on one 8x8 image.
pub fn conv(x: &[f32; 64]) -> [f32; 3] {
    let mut y = [0.0; 3];
    let mut s = ConvEmbeddedScratch::ZERO;
    match CONV.forward(x, &mut y, &mut s) {
        Ok(()) => y,
        Err(_) => unreachable!("convolutions take any input"),
    }
}

/// The residual network on one 8x8 image.
pub fn res(x: &[f32; 64]) -> [f32; 3] {
    let mut y = [0.0; 3];
    let mut s = ResEmbeddedScratch::ZERO;
    match RES.forward(x, &mut y, &mut s) {
        Ok(()) => y,
        Err(_) => unreachable!("convolutions take any input"),
    }
}

/// The 1-D convolutional network on one window of two channels.
pub fn conv1d(x: &[f32; 64]) -> [f32; 2] {
    let mut y = [0.0; 2];
    let mut s = Conv1dEmbeddedScratch::ZERO;
    match CONV1D.forward(x, &mut y, &mut s) {
        Ok(()) => y,
        Err(_) => unreachable!("convolutions take any input"),
    }
}

/// The T5 network streamed over `xs`, one step per sample, writing one output per sample.
pub fn stream(xs: &[f32], ys: &mut [f32]) {
    let mut s = StreamEmbeddedScratch::ZERO;
    for (x, y) in xs.iter().zip(ys.iter_mut()) {
        let mut out = [0.0];
        if STREAM.step(&[*x], &mut out, &mut s).is_ok() {
            *y = out[0];
        }
    }
}

/// Token ids streamed through the embedding/GRU/RNN network; the last step's logits, or the
/// error for an id outside the vocabulary.
pub fn tokens(ids: &[usize]) -> Result<[f32; 10], kiln::KilnError> {
    let mut s = TokensEmbeddedScratch::ZERO;
    let mut y = [0.0; 10];
    for &id in ids {
        TOKENS.step(&[id as f32], &mut y, &mut s)?;
    }
    Ok(y)
}

/// The same through one-hot rows and a GRU.
pub fn one_hot(ids: &[usize]) -> Result<[f32; 5], kiln::KilnError> {
    let mut s = OneHotEmbeddedScratch::ZERO;
    let mut y = [0.0; 5];
    for &id in ids {
        ONE_HOT.step(&[id as f32], &mut y, &mut s)?;
    }
    Ok(y)
}
