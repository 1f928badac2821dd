//! kiln's int8 arithmetic against an independent implementation of the TFLite int8
//! specification (`tools/reference/int8_reference.py`, numpy; its outputs are committed in
//! `tests/fixtures/int8_reference.rs`): every scale, zero point, quantized weight and bias,
//! fixed-point multiplier, rounding primitive and dense output must agree bit for bit.

use kiln::runtime::fixed::{
    apply_table, avg_pool2d_int8, build_table, max_pool2d_int8, relu_int8, Conv2dInt8, DenseInt8,
};
use kiln::runtime::quant::{
    quantize_bias, quantize_weights, rounding_divide_by_pot, saturating_rounding_doubling_high_mul,
    QuantParams, QuantizedMultiplier,
};

#[path = "fixtures/int8_reference.rs"]
mod reference;

#[test]
fn rounding_primitives_and_multipliers_agree_bit_for_bit() {
    for &(a, b, want) in reference::SRDHM {
        assert_eq!(
            saturating_rounding_doubling_high_mul(a, b),
            want,
            "srdhm({a}, {b})"
        );
    }
    for &(x, e, want) in reference::RDBPOT {
        assert_eq!(rounding_divide_by_pot(x, e), want, "rdbpot({x}, {e})");
    }
    for &(real, m, s) in reference::MULTIPLIERS {
        let q = QuantizedMultiplier::from_real(real);
        assert_eq!((q.multiplier, q.shift), (m, s), "multiplier of {real}");
    }
}

/// Runs one reference case through kiln from its float inputs.
fn run<const I: usize, const O: usize>(c: &reference::Case) {
    let p_in = QuantParams::from_range(c.x_range.0, c.x_range.1);
    let p_out = QuantParams::from_range(c.y_range.0, c.y_range.1);
    assert_eq!(
        (p_in.scale.to_bits(), p_in.zero_point),
        (c.s_in.to_bits(), c.z_in)
    );
    assert_eq!(
        (p_out.scale.to_bits(), p_out.zero_point),
        (c.s_out.to_bits(), c.z_out)
    );
    let mut layer = DenseInt8::<I, O>::ZERO;
    for o in 0..O {
        let s = quantize_weights(&c.w[o * I..(o + 1) * I], &mut layer.weight[o]);
        assert_eq!(s.to_bits(), c.ws[o].to_bits(), "weight scale {o}");
        layer.out.bias[o] = quantize_bias(c.b[o] as f64, p_in.scale, s);
        let real = p_in.scale as f64 * s as f64 / p_out.scale as f64;
        layer.out.multiplier[o] = QuantizedMultiplier::from_real(real);
        let q = layer.out.multiplier[o];
        assert_eq!((q.multiplier, q.shift), c.mults[o], "multiplier {o}");
    }
    assert_eq!(layer.weight.as_flattened(), c.wq);
    assert_eq!(&layer.out.bias[..], c.bq);
    (layer.out.input_zero, layer.out.output_zero) = (p_in.zero_point, p_out.zero_point);
    if c.relu {
        layer.out.min = p_out.zero_point as i8;
    }
    let x: Vec<i8> = c.x.iter().map(|&v| p_in.quantize(v)).collect();
    assert_eq!(x, c.xq);
    let mut y = [0i8; O];
    layer.forward(&x, &mut y);
    assert_eq!(&y[..], c.y);
}

#[test]
fn dense_layers_agree_bit_for_bit() {
    let c = reference::CASES;
    assert_eq!(
        c.iter().map(|c| (c.n_in, c.n_out)).collect::<Vec<_>>(),
        [(7, 3), (16, 8), (33, 5), (64, 10)]
    );
    run::<7, 3>(&c[0]);
    run::<16, 8>(&c[1]);
    run::<33, 5>(&c[2]);
    run::<64, 10>(&c[3]);
}

#[test]
fn the_int8_dense_layer_tracks_the_float_one() {
    // Dequantized, the int8 output is within a few steps of the float layer's (rounding of
    // the input, weights and output): the quantization is the intended one, not just
    // self-consistent.
    for c in reference::CASES.iter().take(2) {
        let p_out = QuantParams::from_range(c.y_range.0, c.y_range.1);
        for o in 0..c.n_out {
            let row = &c.w[o * c.n_in..(o + 1) * c.n_in];
            let mut v: f32 = c.b[o] + row.iter().zip(c.x).map(|(w, x)| w * x).sum::<f32>();
            if c.relu {
                v = v.max(0.0);
            }
            let v = v.clamp(p_out.dequantize(-128), p_out.dequantize(127));
            let got = p_out.dequantize(c.y[o]);
            assert!((got - v).abs() <= 4.0 * p_out.scale, "{o}: {got} vs {v}");
        }
    }
}

/// Runs one reference convolution through kiln's kernel.
fn conv<
    const CI: usize,
    const CO: usize,
    const H: usize,
    const W: usize,
    const S: usize,
    const P: usize,
    const OH: usize,
    const OW: usize,
>(
    c: &reference::ConvCase,
) {
    assert_eq!(c.dims, [CI, CO, H, W, 3, S, P, OH, OW]);
    let mut layer = Conv2dInt8::<CI, CO, 3, 3>::ZERO;
    let w = layer
        .weight
        .as_flattened_mut()
        .as_flattened_mut()
        .as_flattened_mut();
    w.copy_from_slice(c.wq);
    layer.out.bias.copy_from_slice(c.bq);
    for (r, &(m, s)) in layer.out.multiplier.iter_mut().zip(c.mults) {
        (r.multiplier, r.shift) = (m, s);
    }
    (layer.out.input_zero, layer.out.output_zero) = (c.z_in, c.z_out);
    if c.relu {
        layer.out.min = c.z_out as i8;
    }
    let mut y = vec![0i8; CO * OH * OW];
    layer.forward::<H, W, S, S, P, P, OH, OW>(c.xq, &mut y);
    assert_eq!(y, c.y);
}

/// Runs one reference grouped convolution (3x3, stride 1, ReLU) through kiln's kernel.
fn grouped<
    const CIG: usize,
    const CO: usize,
    const G: usize,
    const H: usize,
    const W: usize,
    const P: usize,
    const OH: usize,
    const OW: usize,
>(
    c: &reference::GroupedCase,
) {
    assert_eq!(c.dims, [CIG * G, CO, H, W, 3, 1, P, OH, OW, G]);
    let mut layer = Conv2dInt8::<CIG, CO, 3, 3, G>::ZERO;
    let w = layer.weight.as_flattened_mut().as_flattened_mut();
    w.as_flattened_mut().copy_from_slice(c.wq);
    layer.out.bias.copy_from_slice(c.bq);
    for (r, &(m, s)) in layer.out.multiplier.iter_mut().zip(c.mults) {
        (r.multiplier, r.shift) = (m, s);
    }
    (layer.out.input_zero, layer.out.output_zero) = (c.z_in, c.z_out);
    layer.out.min = c.z_out as i8;
    let mut y = vec![0i8; CO * OH * OW];
    layer.forward::<H, W, 1, 1, P, P, OH, OW>(c.xq, &mut y);
    assert_eq!(y, c.y);
}

#[test]
fn grouped_and_depthwise_convolutions_agree_bit_for_bit() {
    grouped::<1, 4, 4, 5, 5, 1, 5, 5>(&reference::GROUPED[0]);
    grouped::<2, 6, 2, 4, 5, 0, 2, 3>(&reference::GROUPED[1]);
}

#[test]
fn convolutions_pooling_and_tables_agree_bit_for_bit() {
    conv::<2, 3, 5, 5, 1, 1, 5, 5>(&reference::CONVS[0]);
    conv::<3, 4, 7, 6, 2, 0, 3, 2>(&reference::CONVS[1]);
    let mut y = [0i8; 2 * 3 * 3];
    max_pool2d_int8::<2, 6, 6, 2, 2, 2, 2, 3, 3>(reference::POOL_X, &mut y);
    assert_eq!(&y[..], reference::MAX_POOL_2X2);
    let mut y = [0i8; 2 * 4 * 4];
    avg_pool2d_int8::<2, 6, 6, 3, 3, 1, 1, 4, 4>(reference::POOL_X, &mut y);
    assert_eq!(&y[..], reference::AVG_POOL_3X3_S1);
    let input = QuantParams {
        scale: reference::LUT_INPUT.0,
        zero_point: reference::LUT_INPUT.1,
    };
    assert_eq!(input, QuantParams::from_range(-5.0, 3.0));
    let tanh_out = QuantParams {
        scale: 1.0 / 128.0,
        zero_point: 0,
    };
    let tanh = build_table(|v| (v as f64).tanh() as f32, input, tanh_out);
    assert_eq!(&tanh[..], reference::TANH_TABLE);
    let sigmoid_out = QuantParams {
        scale: 1.0 / 256.0,
        zero_point: -128,
    };
    let sigmoid = build_table(
        |v| (1.0 / (1.0 + (-(v as f64)).exp())) as f32,
        input,
        sigmoid_out,
    );
    assert_eq!(&sigmoid[..], reference::SIGMOID_TABLE);
    // The lookup itself, and ReLU as a clamp at the zero point.
    let mut x: Vec<i8> = (-128..=127).collect();
    apply_table(&tanh, &mut x);
    assert_eq!(x, reference::TANH_TABLE);
    let mut x = [-100i8, 30, 31, 32, 127];
    relu_int8(31, &mut x);
    assert_eq!(x, [31, 31, 31, 32, 127]);
}
