"""Reference values for kiln's orthogonal initialiser test (runtime/src/init/tests.rs).

Run:  python3 tools/reference/orthogonal.py
Calls torch.nn.init.orthogonal_ itself, then replays the same torch generator to recover the
Gaussian matrix it drew, and prints both as Rust constants: kiln's QR + sign correction must
map that matrix to the same output. Values were produced with torch 2.15.
"""
import torch

torch.set_default_dtype(torch.float64)


def arr(name, t):
    vals = [repr(float(v)) for v in t.reshape(-1).tolist()]
    print(f"const {name}: [f64; {len(vals)}] = [{', '.join(vals)}];")


def case(tag, rows, cols, gain, seed):
    torch.manual_seed(seed)
    w = torch.empty(rows, cols)
    torch.nn.init.orthogonal_(w, gain=gain)
    torch.manual_seed(seed)
    a = torch.empty(rows, cols).normal_(0, 1)  # the draw orthogonal_ makes first
    print(f"// {rows} x {cols}, gain {gain}")
    arr(f"REF_ORTH_{tag}_A", a)
    arr(f"REF_ORTH_{tag}_W", w)


def main():
    print(f"// torch {torch.__version__}")
    case("WIDE", 3, 5, 1.5, 0)
    case("TALL", 5, 3, 1.0, 1)
    print(f"// calculate_gain('leaky_relu', 0.2) = {torch.nn.init.calculate_gain('leaky_relu', 0.2)!r}")
    print(f"// calculate_gain('tanh') = {torch.nn.init.calculate_gain('tanh')!r}")


if __name__ == "__main__":
    main()
