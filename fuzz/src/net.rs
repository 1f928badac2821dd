//! The network the safetensors target loads checkpoints into: dense layers and batch norm,
//! so both parameters and buffers (running statistics) are read from the fuzzed bytes.

use kiln::prelude::*;

network! {
    /// 4 inputs, dense 6, batch norm, ReLU, dense 3.
    pub struct FuzzNet {
        input: [4],
        layers: [dense(6), batch_norm, relu, dense(3)],
        loss: softmax_cross_entropy,
    }
}
