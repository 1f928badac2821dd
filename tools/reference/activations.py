"""Reference values for kiln's activation tests (runtime/src/activation/*.rs).

Run: python3 tools/reference/activations.py
Prints, in float64, PyTorch's forward value and autograd derivative at a few points for the
activations whose formulas are easy to get subtly wrong, plus the derivatives PyTorch's
autograd picks at the kinks. The printed arrays are pasted into the Rust tests.
"""
import torch
import torch.nn.functional as F

torch.set_printoptions(precision=17)
XS = [-3.0, -1.5, -0.5, 0.25, 1.0, 2.5]

FUNS = {
    "GELU": lambda x: F.gelu(x),
    "GELU_TANH": lambda x: F.gelu(x, approximate="tanh"),
    "ELU": lambda x: F.elu(x, alpha=1.0),
    "SOFTPLUS": lambda x: F.softplus(x),
    "HARDSIGMOID_TORCH": lambda x: F.hardsigmoid(x),
    "SILU": lambda x: F.silu(x),
}


def value_and_grad(f, xs):
    x = torch.tensor(xs, dtype=torch.float64, requires_grad=True)
    y = f(x)
    (g,) = torch.autograd.grad(y.sum(), x)
    return y.tolist(), g.tolist()


def rust(name, vals):
    body = ", ".join(repr(v) for v in vals)
    print(f"const {name}: [f64; {len(vals)}] = [{body}];")


print(f"// x = {XS}")
for name, f in FUNS.items():
    y, g = value_and_grad(f, XS)
    rust(name, y)
    rust(name + "_GRAD", g)

# Derivatives at the kinks (what autograd returns exactly there).
kinks = {
    "relu'(0)": (lambda x: F.relu(x), 0.0),
    "leaky_relu'(0)": (lambda x: F.leaky_relu(x, 0.01), 0.0),
    "elu'(0)": (lambda x: F.elu(x), 0.0),
    "hardtanh'(1)": (lambda x: F.hardtanh(x), 1.0),
    "hardtanh'(-1)": (lambda x: F.hardtanh(x), -1.0),
    "hardsigmoid'(3)": (lambda x: F.hardsigmoid(x), 3.0),
    "hardsigmoid'(-3)": (lambda x: F.hardsigmoid(x), -3.0),
    "softplus'(25)": (lambda x: F.softplus(x), 25.0),
}
for name, (f, x0) in kinks.items():
    _, g = value_and_grad(f, [x0])
    print(f"// {name} = {g[0]!r}")
