#!/usr/bin/env python3
"""Reference trajectories for kiln's optimisers, computed with PyTorch (float64).

Runs every optimiser configuration below for STEPS steps on two fixed parameters (a 2x3
"weight" and a 3-element "bias"), with gradients that depend on the step and on the current
parameters (so optimiser state matters), and writes the parameters after each step to
`runtime/src/optim/reference_values.rs`, which kiln's tests include.

    python3 tools/reference/optim.py            # writes the Rust file
    python3 tools/reference/optim.py --check    # exits 1 if the file is out of date

The Rust tests build each configuration from its name, so names here and in
`runtime/src/optim/reference_tests.rs` must agree (an unknown name fails the tests).
"""
import math
import os
import sys

import torch

torch.set_default_dtype(torch.float64)  # NAdam's mu_product and step counters follow it

STEPS = 5
WEIGHT0 = [0.5, -1.25, 2.0, -0.75, 1.5, 0.25]
BIAS0 = [0.1, -0.3, 0.7]
N = len(WEIGHT0) + len(BIAS0)


def grad_const(j, k):
    """Step- and index-dependent part of the gradient; dyadic, so exact in f32 and f64."""
    return (((7 * j + 3 * k) % 11) - 5) * 0.125


def make_grads(w, b, k):
    """grad = 0.5 * p + c(j, k), j the flat index over (weight, bias)."""
    cw = torch.tensor([grad_const(j, k) for j in range(6)]).reshape(2, 3)
    cb = torch.tensor([grad_const(6 + j, k) for j in range(3)])
    return w.detach() * 0.5 + cw, b.detach() * 0.5 + cb


O = torch.optim
# name -> (factory(params_or_groups) -> optimiser, decoupled SGD decay or None,
#          bias excluded from weight decay?, per-step learning rates or None)
LR_STEPS = [0.1, 0.05, 0.2, 0.025, 0.1]
CASES = {
    "sgd_plain": (lambda p: O.SGD(p, lr=0.1, foreach=False), None, False, None),
    "sgd_momentum_dampening": (
        lambda p: O.SGD(p, lr=0.1, momentum=0.9, dampening=0.25, foreach=False), None, False, None),
    "sgd_nesterov_l2": (
        lambda p: O.SGD(p, lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.1, foreach=False),
        None, False, None),
    # PyTorch's SGD has no decoupled decay: emulate it as p *= 1 - lr * wd before the step.
    "sgd_momentum_decoupled": (
        lambda p: O.SGD(p, lr=0.1, momentum=0.9, foreach=False), 0.2, False, None),
    "sgd_momentum_l2_weights_only": (
        lambda p: O.SGD(p, lr=0.1, momentum=0.9, weight_decay=0.1, foreach=False), None, True, None),
    "sgd_momentum_lr_changes": (
        lambda p: O.SGD(p, lr=0.1, momentum=0.9, foreach=False), None, False, LR_STEPS),
    "adagrad_default": (lambda p: O.Adagrad(p, lr=0.1, foreach=False), None, False, None),
    "adagrad_full": (
        lambda p: O.Adagrad(p, lr=0.1, lr_decay=0.05, weight_decay=0.1,
                            initial_accumulator_value=0.2, eps=1e-6, foreach=False),
        None, False, None),
    "rmsprop_default": (lambda p: O.RMSprop(p, lr=0.01, foreach=False), None, False, None),
    "rmsprop_momentum": (
        lambda p: O.RMSprop(p, lr=0.02, momentum=0.9, foreach=False), None, False, None),
    "rmsprop_centered_momentum_l2": (
        lambda p: O.RMSprop(p, lr=0.01, alpha=0.9, eps=1e-6, momentum=0.5, centered=True,
                            weight_decay=0.05, foreach=False),
        None, False, None),
    "rmsprop_centered": (
        lambda p: O.RMSprop(p, lr=0.01, centered=True, foreach=False), None, False, None),
    "adadelta_default": (lambda p: O.Adadelta(p, foreach=False), None, False, None),
    "adadelta_custom": (
        lambda p: O.Adadelta(p, lr=0.5, rho=0.8, eps=1e-5, weight_decay=0.1, foreach=False),
        None, False, None),
    "adam_default": (lambda p: O.Adam(p, lr=0.1, foreach=False), None, False, None),
    "adam_amsgrad_l2": (
        lambda p: O.Adam(p, lr=0.05, betas=(0.8, 0.95), eps=1e-6, weight_decay=0.1,
                         amsgrad=True, foreach=False),
        None, False, None),
    "adam_decoupled": (
        lambda p: O.Adam(p, lr=0.05, weight_decay=0.1, decoupled_weight_decay=True, foreach=False),
        None, False, None),
    "adam_lr_changes": (lambda p: O.Adam(p, lr=0.1, foreach=False), None, False, LR_STEPS),
    "adamw_default": (lambda p: O.AdamW(p, lr=0.1, foreach=False), None, False, None),
    "adamw_amsgrad_weights_only": (
        lambda p: O.AdamW(p, lr=0.1, weight_decay=0.3, amsgrad=True, foreach=False),
        None, True, None),
    "nadam_default": (lambda p: O.NAdam(p, lr=0.1, foreach=False), None, False, None),
    "nadam_l2": (
        lambda p: O.NAdam(p, lr=0.05, betas=(0.85, 0.99), weight_decay=0.1, momentum_decay=0.01,
                          foreach=False),
        None, False, None),
    "nadam_decoupled": (
        lambda p: O.NAdam(p, lr=0.05, weight_decay=0.1, decoupled_weight_decay=True,
                          foreach=False),
        None, False, None),
}


def run(name):
    factory, sgd_decoupled, weights_only, lrs = CASES[name]
    w = torch.tensor(WEIGHT0).reshape(2, 3).requires_grad_()
    b = torch.tensor(BIAS0).requires_grad_()
    groups = [{"params": [w]}, {"params": [b]}]
    if weights_only:
        groups[1]["weight_decay"] = 0.0
    opt = factory(groups)
    out = []
    for k in range(STEPS):
        if lrs is not None:
            for g in opt.param_groups:
                g["lr"] = lrs[k]
        gw, gb = make_grads(w, b, k)
        w.grad, b.grad = gw, gb
        if sgd_decoupled is not None:
            with torch.no_grad():
                for g in opt.param_groups:
                    for p in g["params"]:
                        p.mul_(1.0 - g["lr"] * sgd_decoupled)
        opt.step()
        out.append(torch.cat([w.detach().reshape(-1), b.detach()]).tolist())
    return lrs, out


def lit(x):
    r = repr(float(x))
    if not math.isfinite(x):
        raise ValueError(f"non-finite reference value {x}")
    return r if ("." in r or "e" in r) else r + ".0"


def render():
    lines = [
        "// Generated by tools/reference/optim.py with PyTorch "
        f"{torch.__version__} (float64). Do not edit: rerun the script.",
        "",
        "/// Initial parameters: a 2x3 weight then a 3-element bias, flattened.",
        f"pub(super) const INITIAL: [f64; {N}] = [{', '.join(lit(x) for x in WEIGHT0 + BIAS0)}];",
        "",
        "/// One optimiser configuration's trajectory.",
        "pub(super) struct Case {",
        "    pub name: &'static str,",
        "    /// Learning rate set before each step, if the case changes it.",
        "    pub lrs: Option<&'static [f64]>,",
        "    /// Parameters (weight then bias, flattened) after each step.",
        f"    pub expected: [[f64; {N}]; {STEPS}],",
        "}",
        "",
        "pub(super) const CASES: &[Case] = &[",
    ]
    for name in CASES:
        lrs, traj = run(name)
        lines.append("    Case {")
        lines.append(f"        name: {name!r},".replace("'", '"'))
        if lrs is None:
            lines.append("        lrs: None,")
        else:
            lines.append(f"        lrs: Some(&[{', '.join(lit(x) for x in lrs)}]),")
        lines.append("        expected: [")
        for row in traj:
            lines.append(f"            [{', '.join(lit(x) for x in row)}],")
        lines.append("        ],")
        lines.append("    },")
    lines.append("];")
    return "\n".join(lines) + "\n"


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, "..", "..", "runtime", "src", "optim", "reference_values.rs")
    text = render()
    if "--check" in sys.argv:
        with open(path) as f:
            sys.exit(0 if f.read() == text else 1)
    with open(path, "w") as f:
        f.write(text)
    print(f"wrote {os.path.normpath(path)}: {len(CASES)} cases x {STEPS} steps")


if __name__ == "__main__":
    main()
