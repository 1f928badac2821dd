//! Element-wise functions of int8 tensors as 256-entry tables (TFLite's int8 tanh and
//! logistic): each possible input is dequantized, mapped and quantized once, when the model
//! is quantized; inference is one lookup per value.

use crate::quant::QuantParams;

/// `table[q + 128] = quantize_out(f(dequantize_in(q)))` for every int8 `q`.
pub fn build_table(f: impl Fn(f32) -> f32, input: QuantParams, output: QuantParams) -> [i8; 256] {
    let mut table = [0i8; 256];
    for (i, t) in table.iter_mut().enumerate() {
        let q = i as i32 - 128;
        *t = output.quantize(f(input.dequantize(q as i8)));
    }
    table
}

/// `x[i] = table[x[i] + 128]`, in place.
pub fn apply_table(table: &[i8; 256], x: &mut [i8]) {
    for v in x {
        *v = table[(*v as i32 + 128) as usize];
    }
}

/// ReLU of an int8 tensor whose output keeps the input's scale and zero point: the values
/// below the zero point (the real 0) become it.
pub fn relu_int8(zero_point: i32, x: &mut [i8]) {
    let z = zero_point.clamp(-128, 127) as i8;
    for v in x {
        *v = (*v).max(z);
    }
}
