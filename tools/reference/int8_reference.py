"""Reference values for kiln's int8 arithmetic (runtime/src/quant, runtime/src/fixed/dense_int8.rs).

Run: /path/to/venv/bin/python tools/reference/int8_reference.py > tests/fixtures/int8_reference.rs

An independent implementation, in numpy and Python integers, of the TFLite int8 quantization
specification as its reference kernels compute it (gemmlowp rounding): the choice of an
activation tensor's scale and zero point from a range, symmetric per-channel weights, int32
biases, QuantizeMultiplier (frexp), MultiplyByQuantizedMultiplier (SaturatingRoundingDoubling-
HighMul, RoundingDivideByPOT) and the per-channel fully-connected kernel; also kiln's int8
LSTM step (int16 Q3.12 gates, 513-entry int16 sigmoid/tanh tables interpolated to Q0.15, an
int16 cell at a power-of-two scale), which int8_network.py runs. The Rust test
(tests/int8_reference.rs) recomputes everything from the float inputs written here and must
agree bit for bit. Needs only numpy.
"""
import functools
import math

import numpy as np

QMIN, QMAX = -128, 127
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
INT16_MIN, INT16_MAX = -(2**15), 2**15 - 1


def round_away(x):
    """std::round: ties away from zero (exact on the float64 value of an f32)."""
    x = float(x)
    return math.copysign(math.floor(abs(x) + 0.5), x)


def choose_params(lo, hi):
    """gemmlowp/TFLite ChooseQuantizationParams for int8, in float64 like the C++."""
    lo, hi = min(float(lo), 0.0), max(float(hi), 0.0)
    if hi - lo <= 0.0:
        return np.float32(1.0), 0
    scale = (hi - lo) / (QMAX - QMIN)
    from_min = QMIN - lo / scale
    from_max = QMAX - hi / scale
    err_min = abs(QMIN) + abs(lo / scale)
    err_max = abs(QMAX) + abs(hi / scale)
    zp = from_min if err_min < err_max else from_max
    if zp < QMIN:
        z = QMIN
    elif zp > QMAX:
        z = QMAX
    else:
        z = int(round_away(zp))
    return np.float32(scale), z


def quantize(x, scale, zero):
    q = round_away(np.float32(x) / np.float32(scale)) + zero
    return int(min(max(q, QMIN), QMAX))


def quantize_weights(row):
    row = np.asarray(row, dtype=np.float32)
    m = np.float32(np.max(np.abs(row))) if row.size else np.float32(0)
    scale = np.float32(m / np.float32(127.0)) if m > 0 else np.float32(1.0)
    q = [int(min(max(round_away(np.float32(v) / scale), -127), 127)) for v in row]
    return q, scale


def quantize_multiplier(real):
    if not real > 0 or not math.isfinite(real):
        return 0, 0
    frac, exp = math.frexp(real)
    q = int(round_away(frac * 2.0**31))
    shift = exp
    if q == 2**31:
        q //= 2
        shift += 1
    if shift < -31:
        return 0, 0
    if shift > 30:
        return INT32_MAX, 30
    return q, shift


def srdhm(a, b):
    if a == INT32_MIN and b == INT32_MIN:
        return INT32_MAX
    ab = a * b
    nudge = (1 << 30) if ab >= 0 else 1 - (1 << 30)
    num = ab + nudge
    # C's division truncates toward zero.
    q = abs(num) // (1 << 31)
    return q if num >= 0 else -q


def rdbpot(x, exponent):
    mask = (1 << exponent) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (1 if x < 0 else 0)
    return (x >> exponent) + (1 if remainder > threshold else 0)


def sat32(x):
    return max(min(x, INT32_MAX), INT32_MIN)


def apply(mult, shift, x):
    left, right = max(shift, 0), max(-shift, 0)
    return rdbpot(srdhm(sat32(x * (1 << left)), mult), right)


def dense(wq, bq, mults, xq, zin, zout, lo, hi):
    out = []
    for o, row in enumerate(wq):
        acc = sum(w * (x - zin) for w, x in zip(row, xq))
        acc = sat32(acc + bq[o])  # int32 wrap cannot happen at these sizes
        v = apply(*mults[o], acc) + zout
        out.append(int(min(max(v, lo), hi)))
    return out


def sat16(x):
    return max(min(x, INT16_MAX), INT16_MIN)


def wrap32(x):
    return (x - INT32_MIN) % 2**32 + INT32_MIN


def exact32(x):
    """An int32 sum the spec leaves without saturation: it must not overflow."""
    assert INT32_MIN <= x <= INT32_MAX, x
    return x


def rdpot(x, exponent):
    """RoundingDivideByPOT (to nearest, ties away from zero) for any exponent >= 0."""
    return rdbpot(x, exponent)


def gate_table(f):
    """f at the 513 points x = -8 + n / 32 of Q3.12's range, in Q0.15 clamped to int16."""
    return tuple(int(sat16(round_away(f(-8.0 + n / 32.0) * 32768.0))) for n in range(513))


@functools.lru_cache(maxsize=None)
def sig_table():
    return gate_table(lambda x: 1.0 / (1.0 + math.exp(-x)))


@functools.lru_cache(maxsize=None)
def tanh_table():
    return gate_table(math.tanh)


def lookup16(t, v):
    """A Q3.12 int16 through a 513-entry table, interpolated linearly to Q0.15 (floor shift)."""
    u = v + 32768
    n, d = u >> 7, u & 127
    return t[n] + (((t[n + 1] - t[n]) * d + 64) >> 7)


def to_q312(v, k):
    """An int16 at scale 2^-k to Q3.12."""
    return rdpot(v, k - 12) if k >= 12 else sat16(v << (12 - k))


def lstm_mults(s_x, s_h, s_ih, s_hh):
    """The LSTM's multipliers from its scales in float64: the x and h products to the gates'
    Q3.12 (per row), and o * tanh(c) in Q0.30 to h's int8 scale."""
    mx = [quantize_multiplier(float(s_x) * float(s) / 2.0**-12) for s in s_ih]
    mh = [quantize_multiplier(float(s_h) * float(s) / 2.0**-12) for s in s_hh]
    return mx, mh, quantize_multiplier(2.0**-30 / float(s_h))


def lstm_gates(cell, x, h):
    """The 4H int16 Q3.12 gate pre-activations (rows i, f, g, o as PyTorch stacks them)."""
    ax = np.asarray(cell["wih"], np.int64) @ (np.asarray(x, np.int64) - cell["zx"])
    ah = np.asarray(cell["whh"], np.int64) @ (np.asarray(h, np.int64) - cell["zh"])
    return [sat16(exact32(apply(*cell["mx"][r], wrap32(int(ax[r]) + cell["bias"][r]))
                          + apply(*cell["mh"][r], exact32(int(ah[r])))))
            for r in range(len(ax))]


def lstm_step(cell, x, h, c):
    """One step of the int8 LSTM: int8 x (zero point zx), int8 h (zh) and int16 c (scale 2^-k)
    in, the new (h, c) out. cell: int8 rows wih [4H][F], whh [4H][H], int32 bias [4H],
    multipliers mx, mh [4H] and mout, zero points zx, zh, and k."""
    n, k = len(h), cell["k"]
    c = [int(v) for v in c]
    gate = lstm_gates(cell, x, h)
    sig, tanh = sig_table(), tanh_table()
    i, f = [lookup16(sig, v) for v in gate[:n]], [lookup16(sig, v) for v in gate[n:2 * n]]
    g, o = [lookup16(tanh, v) for v in gate[2 * n:3 * n]], [lookup16(sig, v) for v in gate[3 * n:]]
    c = [sat16(rdpot(c[u] * f[u], 15) + rdpot(i[u] * g[u], 30 - k)) for u in range(n)]
    tc = [lookup16(tanh, to_q312(v, k)) for v in c]
    h = [int(min(max(apply(*cell["mout"], o[u] * tc[u]) + cell["zh"], QMIN), QMAX))
         for u in range(n)]
    return h, c


def case(rng, n_in, n_out, relu):
    w = rng.normal(0, 0.5, size=(n_out, n_in)).astype(np.float32)
    b = rng.normal(0, 0.2, size=n_out).astype(np.float32)
    x = rng.normal(0.3, 1.0, size=n_in).astype(np.float32)
    x_lo, x_hi = np.float32(x.min() - 0.1), np.float32(x.max() + 0.1)
    y_lo, y_hi = np.float32(rng.uniform(-4, -0.5)), np.float32(rng.uniform(0.5, 4))
    s_in, z_in = choose_params(x_lo, x_hi)
    s_out, z_out = choose_params(y_lo, y_hi)
    wq, ws, bq, mults = [], [], [], []
    for o in range(n_out):
        q, s = quantize_weights(w[o])
        wq.append(q)
        ws.append(s)
        bias_scale = float(s_in) * float(s)
        bq.append(int(round_away(float(b[o]) / bias_scale)))
        mults.append(quantize_multiplier(float(s_in) * float(s) / float(s_out)))
    xq = [quantize(v, s_in, z_in) for v in x]
    lo = z_out if relu else QMIN
    y = dense(wq, bq, mults, xq, z_in, z_out, lo, QMAX)
    return dict(w=w, b=b, x=x, x_range=(x_lo, x_hi), y_range=(y_lo, y_hi), relu=relu,
                s_in=s_in, z_in=z_in, s_out=s_out, z_out=z_out, wq=wq, ws=ws, bq=bq,
                mults=mults, xq=xq, y=y)


def conv2d(wq, bq, mults, x, geom, zin, zout, lo, hi):
    """Any 2-D convolution: geom = (ci, h, w, kh, kw, sh, sw, ph, pw, groups); padding stands
    for the real 0 (the input's zero point) and adds nothing."""
    ci, h, w, kh, kw, sh, sw, ph, pw, groups = geom
    co = len(wq)
    cig, cog = ci // groups, co // groups
    oh, ow = (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1
    xa = np.array(x, dtype=np.int64).reshape(ci, h, w)
    out = []
    for o in range(co):
        kern = np.array(wq[o], dtype=np.int64).reshape(cig, kh, kw)
        base = (o // cog) * cig
        for oy in range(oh):
            for ox in range(ow):
                acc = 0
                for c in range(cig):
                    for ky in range(kh):
                        for kx in range(kw):
                            iy, ix = oy * sh + ky - ph, ox * sw + kx - pw
                            if 0 <= iy < h and 0 <= ix < w:
                                acc += int(kern[c, ky, kx]) * (int(xa[base + c, iy, ix]) - zin)
                v = apply(*mults[o], sat32(acc + bq[o])) + zout
                out.append(int(min(max(v, lo), hi)))
    return out


def pool2d(x, geom, mode):
    """Max or average pooling without padding: geom = (c, h, w, kh, kw, sh, sw); the mean
    rounded half away from zero (C's integer division of the nudged sum)."""
    c, h, w, kh, kw, sh, sw = geom
    oh, ow = (h - kh) // sh + 1, (w - kw) // sw + 1
    xa = np.array(x, dtype=np.int64).reshape(c, h, w)
    out = []
    for ch in range(c):
        for oy in range(oh):
            for ox in range(ow):
                vals = [int(xa[ch, oy * sh + ky, ox * sw + kx]) for ky in range(kh) for kx in range(kw)]
                if mode == "max":
                    out.append(max(vals))
                else:
                    t, n = sum(vals), len(vals)
                    m = (abs(t) + n // 2) // n
                    out.append(max(min(m if t > 0 else -m, QMAX), QMIN))
    return out


def conv(wq, bq, mults, xq, ci, h, w, k, stride, pad, zin, zout, lo, hi):
    """A square convolution in one group: `conv2d` with the output size."""
    oh, ow = (h + 2 * pad - k) // stride + 1, (w + 2 * pad - k) // stride + 1
    geom = (ci, h, w, k, k, stride, stride, pad, pad, 1)
    return conv2d(wq, bq, mults, xq, geom, zin, zout, lo, hi), oh, ow


def quantize_product(wf, b, s_in, s_out):
    """Per output channel: int8 weights, the int32 bias and the output multiplier."""
    wq, bq, mults = [], [], []
    for o in range(len(wf)):
        q, s = quantize_weights(wf[o])
        wq.append(q)
        bq.append(int(round_away(float(b[o]) / (float(s_in) * float(s)))))
        mults.append(quantize_multiplier(float(s_in) * float(s) / float(s_out)))
    return wq, bq, mults


def grouped_case(rng, ci, co, groups, h, w, k, pad):
    """A grouped convolution (groups = ci: depthwise): each group of outputs sees only its
    group of inputs, computed group by group with `conv`."""
    cig, cog = ci // groups, co // groups
    wf = rng.normal(0, 0.4, size=(co, cig * k * k)).astype(np.float32)
    b = rng.normal(0, 0.2, size=co).astype(np.float32)
    x = rng.normal(0.0, 1.0, size=ci * h * w).astype(np.float32)
    s_in, z_in = choose_params(np.float32(x.min()), np.float32(x.max()))
    s_out, z_out = choose_params(np.float32(-2.0), np.float32(6.0))
    wq, bq, mults = quantize_product(wf, b, s_in, s_out)
    xq = [quantize(v, s_in, z_in) for v in x]
    y = []
    for g in range(groups):
        xs = xq[g * cig * h * w:(g + 1) * cig * h * w]
        os = slice(g * cog, (g + 1) * cog)
        yg, oh, ow = conv(wq[os], bq[os], mults[os], xs, cig, h, w, k, 1, pad, z_in, z_out,
                          z_out, QMAX)
        y += yg
    return dict(dims=(ci, co, h, w, k, 1, pad, oh, ow, groups), relu=True, z_in=z_in,
                z_out=z_out, wq=wq, bq=bq, mults=mults, xq=xq, y=y)


def conv_case(rng, ci, co, h, w, k, stride, pad, relu):
    wf = rng.normal(0, 0.4, size=(co, ci * k * k)).astype(np.float32)
    b = rng.normal(0, 0.2, size=co).astype(np.float32)
    x = rng.normal(0.0, 1.0, size=ci * h * w).astype(np.float32)
    s_in, z_in = choose_params(np.float32(x.min()), np.float32(x.max()))
    s_out, z_out = choose_params(np.float32(-3.0), np.float32(5.0))
    wq, bq, mults = quantize_product(wf, b, s_in, s_out)
    xq = [quantize(v, s_in, z_in) for v in x]
    y, oh, ow = conv(wq, bq, mults, xq, ci, h, w, k, stride, pad, z_in, z_out,
                     z_out if relu else QMIN, QMAX)
    return dict(dims=(ci, co, h, w, k, stride, pad, oh, ow), relu=relu, z_in=z_in, z_out=z_out,
                wq=wq, bq=bq, mults=mults, xq=xq, y=y)


def pool(xq, c, h, w, k, stride, mode):
    """Square pooling: `pool2d`."""
    return pool2d(xq, (c, h, w, k, k, stride, stride), mode)


def table(f, s_in, z_in, s_out, z_out):
    t = []
    for q in range(-128, 128):
        x = np.float32(s_in) * np.float32(q - z_in)
        t.append(quantize(np.float32(f(float(x))), s_out, z_out))
    return t


def f32s(v):
    # The shortest decimal that reads back as the same f32.
    return ", ".join(str(np.float32(t)) for t in np.ravel(v))


def ints(v):
    return ", ".join(str(int(t)) for t in np.ravel(v))


def main():
    rng = np.random.default_rng(2026)
    cases = [case(rng, 7, 3, False), case(rng, 16, 8, True), case(rng, 33, 5, False),
             case(rng, 64, 10, True)]
    # Multipliers across the range, and the rounding primitives at their edges.
    reals = [1e-12, 2.0**-32, 3e-10, 1e-6, 0.0039215, 0.25, 0.5, 0.999999999, 1.0, 1.5, 1234.5, 2.0**31]
    prim = [(INT32_MIN, INT32_MIN), (INT32_MAX, INT32_MAX), (-101, 1 << 30), (101, 1 << 30),
            (-7, 1717986918), (123456789, -987654321), (INT32_MIN, 1 << 30)]
    pots = [(5, 1), (-5, 1), (-4, 1), (7, 2), (-7, 2), (INT32_MIN, 31), (INT32_MAX, 31), (-1, 5)]
    print("// Generated by tools/reference/int8_reference.py (numpy "
          + np.__version__ + "); do not edit.")
    print("pub struct Case { pub n_in: usize, pub n_out: usize, pub relu: bool, pub w: &'static [f32], pub b: &'static [f32], pub x: &'static [f32], pub x_range: (f32, f32), pub y_range: (f32, f32), pub s_in: f32, pub z_in: i32, pub s_out: f32, pub z_out: i32, pub wq: &'static [i8], pub ws: &'static [f32], pub bq: &'static [i32], pub mults: &'static [(i32, i32)], pub xq: &'static [i8], pub y: &'static [i8] }")
    print("pub const CASES: &[Case] = &[")
    for c in cases:
        n_out, n_in = c["w"].shape
        mults = ", ".join(f"({m}, {s})" for m, s in c["mults"])
        print(f"    Case {{ n_in: {n_in}, n_out: {n_out}, relu: {str(c['relu']).lower()}, "
              f"w: &[{f32s(c['w'])}], b: &[{f32s(c['b'])}], x: &[{f32s(c['x'])}], "
              f"x_range: ({f32s(c['x_range'][0])}, {f32s(c['x_range'][1])}), "
              f"y_range: ({f32s(c['y_range'][0])}, {f32s(c['y_range'][1])}), "
              f"s_in: {f32s(c['s_in'])}, z_in: {c['z_in']}, s_out: {f32s(c['s_out'])}, z_out: {c['z_out']}, "
              f"wq: &[{ints(c['wq'])}], ws: &[{f32s(c['ws'])}], bq: &[{ints(c['bq'])}], "
              f"mults: &[{mults}], xq: &[{ints(c['xq'])}], y: &[{ints(c['y'])}] }},")
    print("];")
    convs = [conv_case(rng, 2, 3, 5, 5, 3, 1, 1, True), conv_case(rng, 3, 4, 7, 6, 3, 2, 0, False)]
    print("pub struct ConvCase { pub dims: [usize; 9], pub relu: bool, pub z_in: i32, pub z_out: i32, pub wq: &'static [i8], pub bq: &'static [i32], pub mults: &'static [(i32, i32)], pub xq: &'static [i8], pub y: &'static [i8] }")
    print("pub const CONVS: &[ConvCase] = &[")
    for c in convs:
        mults = ", ".join(f"({m}, {s})" for m, s in c["mults"])
        print(f"    ConvCase {{ dims: [{ints(c['dims'])}], relu: {str(c['relu']).lower()}, "
              f"z_in: {c['z_in']}, z_out: {c['z_out']}, wq: &[{ints(c['wq'])}], bq: &[{ints(c['bq'])}], "
              f"mults: &[{mults}], xq: &[{ints(c['xq'])}], y: &[{ints(c['y'])}] }},")
    print("];")
    px = [int(v) for v in rng.integers(-128, 128, size=2 * 6 * 6)]
    print(f"pub const POOL_X: &[i8] = &[{ints(px)}];")
    print(f"pub const MAX_POOL_2X2: &[i8] = &[{ints(pool(px, 2, 6, 6, 2, 2, 'max'))}];")
    print(f"pub const AVG_POOL_3X3_S1: &[i8] = &[{ints(pool(px, 2, 6, 6, 3, 1, 'avg'))}];")
    s_in, z_in = choose_params(np.float32(-5.0), np.float32(3.0))
    print(f"pub const LUT_INPUT: (f32, i32) = ({f32s(s_in)}, {z_in});")
    print(f"pub const TANH_TABLE: &[i8] = &[{ints(table(math.tanh, s_in, z_in, 1.0 / 128, 0))}];")
    sig = table(lambda v: 1.0 / (1.0 + math.exp(-v)), s_in, z_in, 1.0 / 256, -128)
    print(f"pub const SIGMOID_TABLE: &[i8] = &[{ints(sig)}];")
    print("pub const MULTIPLIERS: &[(f64, i32, i32)] = &[")
    for r in reals:
        m, s = quantize_multiplier(r)
        print(f"    ({r!r}, {m}, {s}),")
    print("];")
    print("pub const SRDHM: &[(i32, i32, i32)] = &[")
    for a, b in prim:
        print(f"    ({a}, {b}, {srdhm(a, b)}),")
    print("];")
    print("pub const RDBPOT: &[(i32, i32, i32)] = &[")
    for x, e in pots:
        print(f"    ({x}, {e}, {rdbpot(x, e)}),")
    print("];")
    # Grouped convolutions: depthwise (groups = channels) and two groups of two.
    grouped = [grouped_case(rng, 4, 4, 4, 5, 5, 3, 1), grouped_case(rng, 4, 6, 2, 4, 5, 3, 0)]
    print("pub struct GroupedCase { pub dims: [usize; 10], pub z_in: i32, pub z_out: i32, pub wq: &'static [i8], pub bq: &'static [i32], pub mults: &'static [(i32, i32)], pub xq: &'static [i8], pub y: &'static [i8] }")
    print("pub const GROUPED: &[GroupedCase] = &[")
    for c in grouped:
        mults = ", ".join(f"({m}, {s})" for m, s in c["mults"])
        print(f"    GroupedCase {{ dims: [{ints(c['dims'])}], "
              f"z_in: {c['z_in']}, z_out: {c['z_out']}, wq: &[{ints(c['wq'])}], bq: &[{ints(c['bq'])}], "
              f"mults: &[{mults}], xq: &[{ints(c['xq'])}], y: &[{ints(c['y'])}] }},")
    print("];")


if __name__ == "__main__":
    main()
