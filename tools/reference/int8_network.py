"""Reference outputs of whole int8 networks (tests/int8_network.rs): the int8 files kiln::quantize
wrote are read here without kiln, checked against the float weights they came from (weights,
weight scales and biases quantised per the TFLite int8 specification, tables rebuilt from their
scales), and run on seeded random int8 inputs with the integer arithmetic of int8_reference.py
(dense, convolution, pooling, tables, ReLU as a clamp, multipliers from the scales in float64).
Streaming networks (SEQ_NETS) hold an int8 LSTM (int16 Q3.12 gates, interpolated int16 sigmoid and
tanh tables, an int16 cell at the file's power-of-two cell scale; int8_reference.lstm_step) and
are run on one seeded sequence of STEPS int8 inputs from the zero state, one output per step.
kiln's baked `precision: int8` networks must give the same int8 outputs bit for bit.

Run: /path/to/venv/bin/python tools/reference/int8_network.py > tests/fixtures/int8_network_reference.rs
     /path/to/venv/bin/python tools/reference/int8_network.py --selftest   (the LSTM arithmetic
     against a float LSTM, and the gate tables against their functions; prints a report)
Needs only numpy.
"""
import json
import math
import os
import struct
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from int8_reference import (QMIN, QMAX, choose_params, conv2d, dense, ints,  # noqa: E402
                            lookup16, lstm_mults, lstm_step, pool2d, quantize, quantize_multiplier,
                            quantize_weights, round_away, sat32, sig_table, table, tanh_table)

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
DTYPES = {"F32": np.float32, "F64": np.float64, "I8": np.int8, "I32": np.int32, "I64": np.int64}


def read_safetensors(path):
    with open(os.path.join(ROOT, path), "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        arr = np.frombuffer(data[8 + n + a:8 + n + b], dtype=DTYPES[info["dtype"]])
        out[name] = arr.reshape(info["shape"])
    return out


def tanh(x):
    return math.tanh(x)


def sigmoid(x):
    return 1.0 / (1.0 + math.exp(-x))


TABLE_OUT = {"tanh": (np.float32(1.0 / 128.0), 0), "sigmoid": (np.float32(1.0 / 256.0), -128)}
FUNCS = {"tanh": tanh, "sigmoid": sigmoid}
# Tables kiln builds with the f32 network's own function, to a calibrated output scale: the
# reference applies the file's table and checks it against these within one step.
APPROX = {
    "leaky_relu": lambda x: x if x > 0 else 0.1 * x,
    "elu": lambda x: x if x > 0 else math.expm1(x),
    "gelu": lambda x: 0.5 * x * (1.0 + math.erf(x / math.sqrt(2.0))),
    "swish": lambda x: x * sigmoid(x),
}


def qp(q, p, what=""):
    return np.float32(q[f"{p}.{what}scale"]), int(q[f"{p}.{what}zero_point"])


def folded(f, p, bn, eps):
    """The product's float weights and bias with the batch norm `bn` folded in (as TFLite's
    converter folds it): s = gamma / sqrt(var + eps) in float64, rounded once to float32."""
    w = f[f"{p}.weight"].reshape(f[f"{p}.weight"].shape[0], -1).astype(np.float64)
    b = f.get(f"{p}.bias", np.zeros(w.shape[0], np.float32)).astype(np.float64)
    if bn is None:
        return w.astype(np.float32), b.astype(np.float32)
    g, beta = f[f"{bn}.weight"].astype(np.float64), f[f"{bn}.bias"].astype(np.float64)
    mean, var = f[f"{bn}.running_mean"].astype(np.float64), f[f"{bn}.running_var"].astype(np.float64)
    s = g / np.sqrt(var + eps)
    return (w * s[:, None]).astype(np.float32), ((b - mean) * s + beta).astype(np.float32)


def check_product(q, f, p, s_in, bn=None, eps=0.0):
    """The file's int8 weights, weight scales and biases are the spec's from the float ones."""
    w, b = folded(f, p, bn, eps)
    for o in range(w.shape[0]):
        wq, ws = quantize_weights(w[o])
        assert wq == [int(v) for v in q[f"{p}.weight"].reshape(w.shape[0], -1)[o]], (p, o)
        assert np.float32(ws) == q[f"{p}.weight_scale"][o], (p, o)
        bq = int(round_away(float(b[o]) / (float(s_in) * float(ws))))
        assert bq == int(q[f"{p}.bias"][o]), (p, o)


def product(q, f, p, kind, act, x, s_in, z_in, geom, bn=None):
    check_product(q, f, p, s_in, *(bn or (None, 0.0)))
    table_act = act in FUNCS or act in APPROX
    s_out, z_out = qp(q, p, "pre_" if table_act else "")
    ws = q[f"{p}.weight_scale"]
    mults = [quantize_multiplier(float(s_in) * float(w) / float(s_out)) for w in ws]
    wq = [list(map(int, r)) for r in q[f"{p}.weight"].reshape(len(ws), -1)]
    bq = [int(v) for v in q[f"{p}.bias"]]
    lo = z_out if act == "relu" else QMIN
    if kind == "dense":
        y = dense(wq, bq, mults, x, z_in, z_out, lo, QMAX)
    else:
        y = conv2d(wq, bq, mults, x, geom, z_in, z_out, lo, QMAX)
    if table_act:
        y = apply_table(q, p, act, s_out, z_out, y)
    return y, qp(q, p)


def apply_table(q, p, act, s_in, z_in, y):
    got = [int(v) for v in q[f"{p}.table"]]
    if act in FUNCS:
        assert table(FUNCS[act], s_in, z_in, *TABLE_OUT[act]) == got, p
        assert qp(q, p) == TABLE_OUT[act], p
    else:
        t = table(APPROX[act], s_in, z_in, *qp(q, p))
        assert max(abs(a - b) for a, b in zip(t, got)) <= 1, p
    return [got[v + 128] for v in y]


def level_name(base, level):
    """An int8 LSTM tensor's name at a stacked level: `base` at level 0, `base_l{k}` above."""
    return base if level == 0 else f"{base}_l{level}"


def cell_k(q, p, level=0):
    """k of the LSTM level's cell scale 2^-k, an exact power of two with k in 0..=30."""
    cs = float(q[f"{p}.{level_name('cell_scale', level)}"].reshape(()))
    frac, exp = math.frexp(cs)
    assert frac == 0.5 and 0 <= 1 - exp <= 30, (p, level, cs)
    return 1 - exp


def check_lstm(q, f, p, level, s_in):
    """The LSTM level's int8 weights (per row, symmetric), their scales and its int32 bias (the
    two float biases summed in float64, at the input's scale times the row's input weight scale)
    are the spec's from the float ones; its cell scale is a power of two."""
    for w in ("ih", "hh"):
        wf = f[f"{p}.weight_{w}_l{level}"]
        scales = q[f"{p}.{level_name(f'weight_{w}_scale', level)}"]
        for r in range(wf.shape[0]):
            wq, ws = quantize_weights(wf[r])
            assert wq == [int(v) for v in q[f"{p}.weight_{w}_l{level}"][r]], (p, level, w, r)
            assert np.float32(ws) == scales[r], (p, level, w, r)
    b = f[f"{p}.bias_ih_l{level}"].astype(np.float64) + f[f"{p}.bias_hh_l{level}"].astype(np.float64)
    bias = q[f"{p}.{level_name('bias', level)}"]
    for r, s_w in enumerate(q[f"{p}.{level_name('weight_ih_scale', level)}"]):
        bq = sat32(int(round_away(b[r] / (float(s_in) * float(s_w)))))
        assert bq == int(bias[r]), (p, level, r)
    cell_k(q, p, level)


def hidden_qp(q, p, level, levels):
    """The level's hidden state quantisation: the layer's output at the top, its own below."""
    if level + 1 == levels:
        return qp(q, p)
    s = np.float32(q[f"{p}.{level_name('hidden_scale', level)}"].reshape(()))
    z = int(q[f"{p}.{level_name('hidden_zero_point', level)}"].reshape(()))
    return s, z


def lstm_cell(q, p, level, levels, s_in, z_in):
    """The arguments of lstm_step for level `level` of the file's layer `p` after an input at
    (s_in, z_in)."""
    s_h, z_h = hidden_qp(q, p, level, levels)
    mx, mh, mout = lstm_mults(s_in, s_h, q[f"{p}.{level_name('weight_ih_scale', level)}"],
                              q[f"{p}.{level_name('weight_hh_scale', level)}"])
    return dict(wih=q[f"{p}.weight_ih_l{level}"], whh=q[f"{p}.weight_hh_l{level}"],
                bias=[int(v) for v in q[f"{p}.{level_name('bias', level)}"]], mx=mx, mh=mh,
                mout=mout, zx=z_in, zh=z_h, k=cell_k(q, p, level))


def lstm(q, f, p, levels, x, s_in, z_in, state):
    """One step of the (stacked) LSTM `p`: each level's (h, c) carried in `state` (h = z_h,
    c = 0 at the start), each level reading the hidden state of the one below."""
    for level in range(levels):
        check_lstm(q, f, p, level, s_in)
        cell = lstm_cell(q, p, level, levels, s_in, z_in)
        n = cell["whh"].shape[1]
        h, c = state.get((p, level), ([cell["zh"]] * n, [0] * n))
        state[(p, level)] = lstm_step(cell, x, h, c)
        x = state[(p, level)][0]
        s_in, z_in = hidden_qp(q, p, level, levels)
    return x, (s_in, z_in)


def run(q, f, program, x, state=None):
    """One input through `program`; `state` holds the LSTMs' states between a sequence's steps."""
    s, z = qp(q, "quant")
    for op in program:
        if op[0] in ("dense", "conv"):
            geom, bn = (op[3] if len(op) > 3 else None), (op[4] if len(op) > 4 else None)
            x, (s, z) = product(q, f, op[1], op[0], op[2], x, s, z, geom, bn)
        elif op[0] in ("max", "avg"):
            x = pool2d(x, op[1], op[0])
        elif op[0] == "relu":
            x = [max(v, z) for v in x]
        elif op[0] == "table":
            x = apply_table(q, op[1], op[2], s, z, x)
            s, z = qp(q, op[1])
        elif op[0] == "lstm":
            levels = op[2] if len(op) > 2 else 1
            x, (s, z) = lstm(q, f, op[1], levels, x, s, z, state)
    return x


def run_sequence(q, f, program, xs):
    """The outputs of a streaming network at every step of one sequence, from the zero state."""
    state = {}
    return [run(q, f, program, x, state) for x in xs]


NS = "no-std-check/weights/"
NETS = {
    "DIGITS": ("tests/fixtures/digits_mlp.int8.safetensors", "tests/fixtures/digits_mlp.safetensors", 64,
               [("dense", "layers.0", "relu"), ("dense", "layers.3", "tanh"), ("dense", "layers.5", None)]),
    "LENET5": ("tests/fixtures/lenet5.int8.safetensors", "tests/fixtures/lenet5.safetensors", 784,
               [("conv", "layers.0", "relu", (1, 28, 28, 5, 5, 1, 1, 2, 2, 1)), ("max", (6, 28, 28, 2, 2, 2, 2)),
                ("conv", "layers.3", "relu", (6, 14, 14, 5, 5, 1, 1, 0, 0, 1)), ("max", (16, 10, 10, 2, 2, 2, 2)),
                ("dense", "layers.7", "relu"), ("dense", "layers.9", "relu"),
                ("dense", "layers.11", None)]),
    # The int8 networks of no-std-check: tables fused and alone, average pooling, 1-D,
    # grouped (depthwise) convolutions and global average pooling.
    "MLP": (NS + "mlp.int8.safetensors", NS + "mlp.safetensors", 16,
            [("dense", "layers.0", "tanh"), ("dense", "layers.2", "tanh"), ("dense", "layers.4", None)]),
    "CONV": (NS + "convq.int8.safetensors", NS + "convq.safetensors", 64,
             [("conv", "layers.0", "relu", (1, 8, 8, 3, 3, 1, 1, 1, 1, 1)), ("max", (4, 8, 8, 2, 2, 2, 2)),
              ("table", "layers.3", "tanh"),
              ("conv", "layers.4", "sigmoid", (4, 4, 4, 3, 3, 1, 1, 0, 0, 1)), ("avg", (6, 2, 2, 2, 2, 2, 2)),
              ("dense", "layers.8", None)]),
    "CONV1D": (NS + "conv1dq.int8.safetensors", NS + "conv1dq.safetensors", 64,
               [("conv", "layers.0", "relu", (2, 1, 32, 1, 5, 1, 1, 0, 2, 1)), ("max", (4, 1, 32, 1, 2, 1, 2)),
                ("conv", "layers.3", "tanh", (4, 1, 16, 1, 3, 1, 2, 0, 0, 1)), ("avg", (6, 1, 7, 1, 2, 1, 2)),
                ("dense", "layers.7", None)]),
    "DS_CNN": (NS + "dscnn.int8.safetensors", NS + "dscnn.safetensors", 64,
               [("conv", "layers.0", "relu", (1, 8, 8, 3, 3, 1, 1, 1, 1, 1)),
                ("conv", "layers.2", "relu", (8, 8, 8, 3, 3, 1, 1, 1, 1, 8)),
                ("conv", "layers.4", "relu", (8, 8, 8, 1, 1, 1, 1, 0, 0, 1)),
                ("avg", (8, 8, 8, 8, 8, 1, 1)), ("dense", "layers.7", None)]),
    "CONV_BN": (NS + "convbn.int8.safetensors", NS + "convbn.safetensors", 64,
                [("conv", "layers.0", None, (1, 8, 8, 3, 3, 1, 1, 1, 1, 1), ("layers.1", 1e-5)),
                 ("relu",), ("max", (4, 8, 8, 2, 2, 2, 2)),
                 ("dense", "layers.5", None, None, ("layers.6", 1e-5)), ("table", "layers.7", "tanh"),
                 ("dense", "layers.8", None)]),
    "ACTS": (NS + "acts.int8.safetensors", NS + "acts.safetensors", 16,
             [("dense", "layers.0", "leaky_relu"), ("table", "layers.3", "elu"),
              ("dense", "layers.4", "gelu"), ("dense", "layers.6", "swish"),
              ("dense", "layers.8", None)]),
}

# Streaming networks, run on one sequence of STEPS inputs of n_in values each (a row of _X and
# of _Y per step), the LSTM's state carried from step to step.
STEPS = 24
SEQ_NETS = {
    "LSTM": (NS + "lstmq.int8.safetensors", NS + "lstmq.safetensors", 3,
             [("lstm", "layers.0"), ("dense", "layers.1", None)]),
    # Three stacked levels (lstm(6, layers = 3)): each level's own hidden scale.
    "STACKED": ("tests/fixtures/stacked_lstm.int8.safetensors", "tests/fixtures/stacked_lstm.safetensors", 2,
                [("lstm", "layers.0", 3), ("dense", "layers.1", None)]),
    # T5's shape: the streaming filter of examples/lstm-stream.
    "FILTER": ("examples/lstm-stream/filter.int8.safetensors", "examples/lstm-stream/filter.safetensors", 1,
               [("lstm", "layers.0"), ("dense", "layers.1", None)]),
}


def emit(name, xs, ys):
    for what, rows in (("X", xs), ("Y", ys)):
        print(f"pub const {name}_{what}: &[&[i8]] = &[")
        for row in rows:
            print(f"    &[{ints(row)}],")
        print("];")


def emit_nets(rng, nets, n_rows, run_net):
    """Each net's inputs (drawn whether or not its files exist, so that a missing net changes
    no other's) and outputs; a net whose files are not written yet is a comment."""
    for name, (qfile, ffile, n_in, program) in nets.items():
        xs = [list(map(int, rng.integers(QMIN, QMAX + 1, size=n_in))) for _ in range(n_rows)]
        missing = [p for p in (qfile, ffile) if not os.path.exists(os.path.join(ROOT, p))]
        if missing:
            print(f"// {name}: skipped, {', '.join(missing)} not written yet")
            continue
        q, f = read_safetensors(qfile), read_safetensors(ffile)
        emit(name, xs, run_net(q, f, program, xs))


def main():
    rng = np.random.default_rng(2026)
    print(f"// Generated by tools/reference/int8_network.py (numpy {np.__version__}); do not edit.")
    emit_nets(rng, NETS, 3, lambda q, f, program, xs: [run(q, f, program, x) for x in xs])
    emit_nets(rng, SEQ_NETS, STEPS, run_sequence)


def float_lstm(w_ih, w_hh, b, xs):
    """A float64 LSTM from the zero state: h and c at every step."""
    n = w_hh.shape[1]
    h, c, hs, cs = np.zeros(n), np.zeros(n), [], []
    for x in xs:
        a = w_ih @ x + w_hh @ h + b
        i, f, o = (1.0 / (1.0 + np.exp(-a[j * n:(j + 1) * n])) for j in (0, 1, 3))
        c = f * c + i * np.tanh(a[2 * n:3 * n])
        h = o * np.tanh(c)
        hs.append(h)
        cs.append(c)
    return np.array(hs), np.array(cs)


def quantized_lstm_files(rng, n_f, n_h, steps, shift):
    """A random float LSTM (weights and biases ~ U(-0.5, 0.5), plus shift[j] on gate j's bias)
    on a random sequence, and the int8 file a quantiser following the spec writes from its
    calibrated x, h and c ranges."""
    p = "layers.0"
    f = {f"{p}.weight_ih_l0": rng.uniform(-0.5, 0.5, (4 * n_h, n_f)),
         f"{p}.weight_hh_l0": rng.uniform(-0.5, 0.5, (4 * n_h, n_h)),
         f"{p}.bias_ih_l0": rng.uniform(-0.5, 0.5, 4 * n_h) + np.repeat(shift, n_h),
         f"{p}.bias_hh_l0": rng.uniform(-0.5, 0.5, 4 * n_h)}
    f = {k: v.astype(np.float32) for k, v in f.items()}
    xs = rng.normal(0.0, 1.0, (steps, n_f)).astype(np.float32)
    b = f[f"{p}.bias_ih_l0"].astype(np.float64) + f[f"{p}.bias_hh_l0"].astype(np.float64)
    hs, cs = float_lstm(f[f"{p}.weight_ih_l0"].astype(np.float64),
                        f[f"{p}.weight_hh_l0"].astype(np.float64), b, xs.astype(np.float64))
    s_x, z_x = choose_params(np.float32(xs.min()), np.float32(xs.max()))
    s_h, z_h = choose_params(np.float32(hs.min()), np.float32(hs.max()))
    m = float(np.abs(cs).max())
    k = 15 if m == 0 else min(max(15 - math.ceil(math.log2(m)), 0), 30)
    q = {"quant.scale": np.float32(s_x), "quant.zero_point": np.int32(z_x),
         f"{p}.scale": np.float32(s_h), f"{p}.zero_point": np.int32(z_h),
         f"{p}.cell_scale": np.array(2.0**-k, np.float32)}
    for w in ("ih", "hh"):
        rows = [quantize_weights(r) for r in f[f"{p}.weight_{w}_l0"]]
        q[f"{p}.weight_{w}_l0"] = np.array([r[0] for r in rows], np.int8)
        q[f"{p}.weight_{w}_scale"] = np.array([r[1] for r in rows], np.float32)
    q[f"{p}.bias"] = np.array([sat32(int(round_away(b[r] / (float(s_x) * float(s)))))
                               for r, s in enumerate(q[f"{p}.weight_ih_scale"])], np.int32)
    return q, f, xs, hs, cs, k


def lstm_errors(seed, n_f, n_h, steps, shift=(0, 0, 0, 0)):
    """The int8 LSTM against the float one, in steps of s_h: max and mean |h error| against the
    float LSTM on the float inputs, and the max against the float LSTM run on the quantised model
    (dequantised weights, bias and inputs), which leaves only the arithmetic's own error."""
    q, f, xs, hs, cs, k = quantized_lstm_files(np.random.default_rng(seed), n_f, n_h, steps, shift)
    s_x, z_x = qp(q, "quant")
    s_h, z_h = qp(q, "layers.0")
    xq = [[quantize(v, s_x, z_x) for v in x] for x in xs]
    hq = run_sequence(q, f, [("lstm", "layers.0")], xq)
    err = np.abs(float(s_h) * (np.array(hq, np.float64) - z_h) - hs) / float(s_h)
    deq = {w: q[f"layers.0.weight_{w}_l0"] * q[f"layers.0.weight_{w}_scale"].astype(np.float64)[:, None]
           for w in ("ih", "hh")}
    bias = q["layers.0.bias"] * float(s_x) * q["layers.0.weight_ih_scale"].astype(np.float64)
    hd, _ = float_lstm(deq["ih"], deq["hh"], bias, float(s_x) * (np.array(xq, np.float64) - z_x))
    err_q = np.abs(float(s_h) * (np.array(hq, np.float64) - z_h) - hd) / float(s_h)
    return dict(k=k, s_h=float(s_h), c_max=float(np.abs(cs).max()), max=err.max(), mean=err.mean(),
                max_q=err_q.max(), last_max=err[-20:].max())


def table_errors():
    """The interpolated tables against sigmoid and tanh at all 65536 Q3.12 inputs, in Q0.15."""
    v = np.arange(-32768, 32768)
    exact = {"sigmoid": 1.0 / (1.0 + np.exp(-v / 4096.0)), "tanh": np.tanh(v / 4096.0)}
    out = {}
    for name, t in (("sigmoid", sig_table()), ("tanh", tanh_table())):
        got = np.array([lookup16(t, int(u)) for u in v], np.float64)
        out[name] = float(np.abs(got - exact[name] * 32768.0).max())
    return out


def selftest():
    """The spec's arithmetic against float: the gate tables, and int8 LSTMs over 200 steps."""
    for name, e in table_errors().items():
        print(f"{name} table, interpolated: max |error| {e:.3f} Q0.15 steps over all int16 inputs")
    # The spec's case, T5's shape, then a cell that grows past Q3.12's 8 (k < 12: forget gate
    # near 1, input and cell gates open) and one that stays tiny (k > 15: input gate shut).
    for seed, n_f, n_h, shift in [(1, 3, 16, (0, 0, 0, 0)), (2, 3, 16, (0, 0, 0, 0)),
                                  (3, 3, 16, (0, 0, 0, 0)), (4, 1, 32, (0, 0, 0, 0)),
                                  (5, 1, 32, (0, 0, 0, 0)), (6, 3, 16, (3, 6, 3, 0)),
                                  (7, 3, 16, (-6, 0, 0, 0))]:
        e = lstm_errors(seed, n_f, n_h, 200, shift)
        print(f"seed {seed} F={n_f} H={n_h} gate bias shift {shift}: k={e['k']} "
              f"(max|c| {e['c_max']:.3f}), s_h={e['s_h']:.5f}; |h - float h| max {e['max']:.2f} mean {e['mean']:.3f} (last 20 steps max "
              f"{e['last_max']:.2f}) s_h; against the float run of the quantised model max "
              f"{e['max_q']:.2f} s_h")


if __name__ == "__main__":
    selftest() if sys.argv[1:] == ["--selftest"] else main()
