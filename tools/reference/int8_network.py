"""Reference outputs of whole int8 networks (tests/int8_network.rs): the int8 files kiln::quantize
wrote are read here without kiln, checked against the float weights they came from (weights,
weight scales and biases quantised per the TFLite int8 specification, tables rebuilt from their
scales), and run on seeded random int8 inputs with the integer arithmetic of int8_reference.py
(dense, convolution, pooling, tables, ReLU as a clamp, multipliers from the scales in float64).
kiln's baked `precision: int8` networks must give the same int8 outputs bit for bit.

Run: /path/to/venv/bin/python tools/reference/int8_network.py > tests/fixtures/int8_network_reference.rs
Needs only numpy.
"""
import json
import math
import os
import struct
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from int8_reference import (QMIN, QMAX, conv2d, dense, ints, pool2d,  # noqa: E402
                            quantize_multiplier, quantize_weights, round_away, table)

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


def run(q, f, program, x):
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
    return x


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


def main():
    rng = np.random.default_rng(2026)
    print(f"// Generated by tools/reference/int8_network.py (numpy {np.__version__}); do not edit.")
    for name, (qfile, ffile, n_in, program) in NETS.items():
        q, f = read_safetensors(qfile), read_safetensors(ffile)
        xs = [list(map(int, rng.integers(QMIN, QMAX + 1, size=n_in))) for _ in range(3)]
        ys = [run(q, f, program, x) for x in xs]
        print(f"pub const {name}_X: &[&[i8]] = &[")
        for x in xs:
            print(f"    &[{ints(x)}],")
        print("];")
        print(f"pub const {name}_Y: &[&[i8]] = &[")
        for y in ys:
            print(f"    &[{ints(y)}],")
        print("];")


if __name__ == "__main__":
    main()
