"""Reference values for kiln's loss tests (runtime/src/loss/*.rs), computed with PyTorch.

Run:  python3 tools/reference/losses.py
It prints Rust constants (float64, full precision) that are pasted into the tests; the inputs
below are the ones the tests use. Values were produced with torch 2.15.
"""
import torch

torch.set_default_dtype(torch.float64)

LOGITS = [
    [0.5, -1.25, 2.0, 0.75],
    [3.0, 0.0, -2.5, 1.5],
    [-0.3, 0.8, 0.1, -1.7],
]
LABELS = [2, 0, 3]
X = [0.3, -1.2, 2.0, 0.0, -4.0, 6.5]  # 2 x 3 outputs
Y = [1.0, 0.0, 0.3, 0.9, 1.0, 0.0]   # targets (probabilities for BCE)


def fmt(v):
    return repr(float(v))


def arr(name, t):
    vals = [fmt(v) for v in t.detach().reshape(-1).tolist()]
    print(f"const {name}: [f64; {len(vals)}] = [{', '.join(vals)}];")


def scalar(name, t):
    print(f"const {name}: f64 = {fmt(t.item())};")


def value_and_grad(loss_fn, x, *args):
    x = x.clone().requires_grad_(True)
    out = loss_fn(x, *args)
    out.backward()
    return out, x.grad


def main():
    print(f"// torch {torch.__version__}")
    logits = torch.tensor(LOGITS)
    labels = torch.tensor(LABELS)
    arr("REF_LOGITS", logits)
    for name, fn in [
        ("CE_MEAN", torch.nn.CrossEntropyLoss(reduction="mean")),
        ("CE_SUM", torch.nn.CrossEntropyLoss(reduction="sum")),
        ("CE_LS_MEAN", torch.nn.CrossEntropyLoss(reduction="mean", label_smoothing=0.1)),
        ("CE_LS_SUM", torch.nn.CrossEntropyLoss(reduction="sum", label_smoothing=0.1)),
    ]:
        v, g = value_and_grad(fn, logits, labels)
        scalar(f"REF_{name}", v)
        arr(f"REF_{name}_GRAD", g)

    x = torch.tensor(X).reshape(2, 3)
    y = torch.tensor(Y).reshape(2, 3)
    arr("REF_X", x)
    arr("REF_Y", y)
    for prefix, cls in [
        ("BCE", torch.nn.BCEWithLogitsLoss),
        ("MSE", torch.nn.MSELoss),
        ("L1", torch.nn.L1Loss),
    ]:
        for red in ["mean", "sum"]:
            v, g = value_and_grad(cls(reduction=red), x, y)
            scalar(f"REF_{prefix}_{red.upper()}", v)
            arr(f"REF_{prefix}_{red.upper()}_GRAD", g)


if __name__ == "__main__":
    main()
