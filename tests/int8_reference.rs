//! kiln's int8 arithmetic against an independent implementation of the TFLite int8
//! specification (`tools/reference/int8_reference.py`, numpy; its outputs are committed in
//! `tests/fixtures/int8_reference.rs`): every scale, zero point, quantized weight and bias,
//! fixed-point multiplier, rounding primitive and dense output must agree bit for bit.

use kiln::runtime::fixed::DenseInt8;
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
        layer.bias[o] = quantize_bias(c.b[o], p_in.scale, s);
        let real = p_in.scale as f64 * s as f64 / p_out.scale as f64;
        layer.requant[o] = QuantizedMultiplier::from_real(real);
        let q = layer.requant[o];
        assert_eq!((q.multiplier, q.shift), c.mults[o], "multiplier {o}");
    }
    assert_eq!(layer.weight.as_flattened(), c.wq);
    assert_eq!(&layer.bias[..], c.bq);
    (layer.input_zero, layer.output_zero) = (p_in.zero_point, p_out.zero_point);
    if c.relu {
        layer.min = p_out.zero_point as i8;
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
