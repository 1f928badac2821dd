"""PyTorch side of kiln's workload benchmarks (../shared/bench/WORKLOADS.md), run by
`cargo bench --bench workloads` in the same run as kiln when torch is installed.
Prints one line per workload: `<id> <value> <unit>`.

Usage: python3 benches/torch_workloads.py T1 T4 T1b512 T3s128 T6w1024
       python3 benches/torch_workloads.py --memory T1 T8   (peak resident MiB per workload)
"""
import sys

import torch
import torch.nn as nn

from bench_timing import median_rate

torch.set_num_threads(2)


def t1(batch=64):
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    x = torch.rand(batch, 784)
    y = torch.randint(0, 10, (batch,))

    def step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(net(x), y)
        loss.backward()
        opt.step()

    timing = dict(repeats=5, inner=20) if batch >= 512 else {}
    return step, batch, "samples/s", timing


def t2(frozen=False):
    torch.manual_seed(0)
    net = nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
    )
    if frozen:
        # Fine-tuning: the convolutions keep their weights and get no gradient.
        for conv in (net[0], net[3]):
            conv.requires_grad_(False)
    opt = torch.optim.SGD([p for p in net.parameters() if p.requires_grad], lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    x = torch.rand(64, 1, 28, 28)
    y = torch.randint(0, 10, (64,))

    def step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(net(x), y)
        loss.backward()
        opt.step()

    return step, 64, "samples/s", dict(repeats=5)


class Residual(nn.Module):
    """d2l's residual block: relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1)
        self.bn2 = nn.BatchNorm2d(cout)
        # d2l's Residual: a bare 1x1 convolution (no batch norm) where the shape changes.
        self.short = nn.Conv2d(cin, cout, 1, stride) if stride != 1 or cin != cout else nn.Identity()

    def forward(self, x):
        y = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.bn2(self.conv2(y)) + self.short(x))


def resnet18_cifar():
    layers = [nn.Conv2d(3, 64, 3, 1, 1), nn.BatchNorm2d(64), nn.ReLU()]
    cin = 64
    for cout, stride in [(64, 1), (128, 2), (256, 2), (512, 2)]:
        layers += [Residual(cin, cout, stride), Residual(cout, cout, 1)]
        cin = cout
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, 10)]
    return nn.Sequential(*layers)


def t8(channels_last=False):
    torch.manual_seed(0)
    net = resnet18_cifar()
    x = torch.rand(32, 3, 32, 32)
    if channels_last:
        net = net.to(memory_format=torch.channels_last)
        x = x.to(memory_format=torch.channels_last)
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    y = torch.randint(0, 10, (32,))

    def step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(net(x), y)
        loss.backward()
        opt.step()

    return step, 32, "samples/s", dict(warmup=5, repeats=5, inner=5)  # as kiln's T8


def rnn_train(cell, steps=32):
    torch.manual_seed(0)
    rnn = cell(64, 256)
    head = nn.Linear(256, 64)
    opt = torch.optim.Adam(list(rnn.parameters()) + list(head.parameters()), lr=1e-3)
    ids = torch.randint(0, 64, (steps + 1, 32))
    x = nn.functional.one_hot(ids[:-1], 64).float()  # [seq, batch, 64], time-major
    y = ids[1:]
    loss_fn = nn.CrossEntropyLoss()

    def step():
        opt.zero_grad(set_to_none=True)
        out, _ = rnn(x)
        loss = loss_fn(head(out).reshape(-1, 64), y.reshape(-1))
        loss.backward()
        opt.step()

    return step, 32 * steps, "tokens/s", dict(repeats=5, inner=20)


def t5():
    torch.manual_seed(0)
    cell = nn.LSTMCell(1, 32).eval()
    head = nn.Linear(32, 1).eval()
    x = torch.rand(1, 1)
    state = [torch.zeros(1, 32), torch.zeros(1, 32)]

    def step():
        with torch.no_grad():
            state[0], state[1] = cell(x, (state[0], state[1]))
            head(state[0])

    return step, None, "ns/step", dict(warmup=200, inner=2000)


def t4():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(16, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 8)).eval()
    x = torch.rand(1, 16)

    def step():
        with torch.no_grad():
            net(x)

    return step, None, "ns/call", dict(warmup=200, inner=2000)


def t6(width=4096):
    torch.manual_seed(0)
    w = width
    net = nn.Sequential(nn.Linear(1024, w), nn.ReLU(), nn.Linear(w, w), nn.ReLU(), nn.Linear(w, 1024))
    opt = torch.optim.SGD(net.parameters(), lr=0.01)
    loss_fn = nn.MSELoss()
    x = torch.rand(256, 1024)
    y = torch.rand(256, 1024)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(net(x), y)
        loss.backward()
        opt.step()

    timing = dict(warmup=3, repeats=5, inner=3) if w >= 4096 else {}
    return step, 6 * (2 * 1024 * w + w * w) * 256 / 1e9, "GFLOP/s", timing


def sgd_step(net, x, y):
    """A training step of `net` on (x, y): softmax CE, SGD momentum 0.9 lr 0.01."""
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()

    def step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(net(x), y)
        loss.backward()
        opt.step()

    return step


def labels(n):
    """kiln's runner's labels: (i * 7) % 10."""
    return torch.tensor([(i * 7) % 10 for i in range(n)])


def l1():
    """L1: two 1-D convolutions over 16 channels of 128 samples."""
    torch.manual_seed(0)
    net = nn.Sequential(
        nn.Conv1d(16, 32, 5, padding=2), nn.ReLU(), nn.Conv1d(32, 32, 5, padding=2), nn.ReLU(),
        nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.Linear(32, 10),
    )
    return sgd_step(net, torch.rand(32, 16, 128), labels(32)), 32, "samples/s", {}


def l2():
    """L2: a depthwise-separable block: depthwise 3x3, then pointwise 1x1."""
    torch.manual_seed(0)
    net = nn.Sequential(
        nn.Conv2d(32, 32, 3, padding=1, groups=32), nn.ReLU(), nn.Conv2d(32, 64, 1), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10),
    )
    return sgd_step(net, torch.rand(32, 32, 16, 16), labels(32)), 32, "samples/s", {}


class MeanOverTime(nn.Module):
    """L3: a dense layer at every step of a time-major [seq, batch, 64] input, the mean over time."""

    def __init__(self):
        super().__init__()
        self.step = nn.Linear(64, 256)
        self.head = nn.Linear(256, 10)

    def forward(self, x):
        return self.head(torch.relu(self.step(x)).mean(dim=0))


def l3():
    torch.manual_seed(0)
    x = torch.rand(32, 32, 64)
    return sgd_step(MeanOverTime(), x, labels(32)), 32 * 32, "tokens/s", {}


def l4():
    """L4: an LSTM over packed sequences of lengths 8-32, each one's own last step, Adam."""
    torch.manual_seed(0)
    lengths = torch.tensor([32 - (i * 7) % 25 for i in range(32)])
    lstm, head = nn.LSTM(64, 128), nn.Linear(128, 10)
    opt = torch.optim.Adam(list(lstm.parameters()) + list(head.parameters()), lr=1e-3)
    x = torch.rand(32, 32, 64)  # [seq, batch, 64]; what lies past a length is never read
    y = labels(32)
    loss_fn = nn.CrossEntropyLoss()
    pack = nn.utils.rnn.pack_padded_sequence

    def step():
        opt.zero_grad(set_to_none=True)
        _, (h, _) = lstm(pack(x, lengths, enforce_sorted=False))
        loss = loss_fn(head(h[-1]), y)
        loss.backward()
        opt.step()

    return step, int(lengths.sum()), "tokens/s", dict(repeats=5, inner=20)


def workload(w):
    """The workload named `w`: T1-T8, T8cl (channels-last), T1b<batch>, T3s<steps>, T6w<width>."""
    fixed = {
        "T1": t1,
        "T2": t2,
        "T2f": lambda: t2(True),
        "T3": lambda: rnn_train(nn.LSTM),
        "T4": t4,
        "T5": t5,
        "T6": t6,
        "T7": lambda: rnn_train(nn.GRU),
        "T8": t8,
        "T8cl": lambda: t8(True),
        "L1": l1,
        "L2": l2,
        "L3": l3,
        "L4": l4,
    }
    if w in fixed:
        return fixed[w]()
    n = int(w[3:])
    return {"T1b": lambda: t1(n), "T3s": lambda: rnn_train(nn.LSTM, n), "T6w": lambda: t6(n)}[w[:3]]()


def peak_memory(w):
    """Peak resident memory (MiB) of a fresh process running warm-up and one timed repeat."""
    import subprocess

    # `base`: the process after `import torch`, running nothing.
    run = "" if w == "base" else (
        "step, work, unit, timing = t.workload(%r); "
        "[step() for _ in range(timing.get('warmup', 20) + timing.get('inner', 100))]; " % w
    )
    code = (
        "import resource, sys; sys.argv = ['x']; sys.path.insert(0, %r); import torch_workloads as t; "
        "%s print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    ) % (__import__("os").path.dirname(__file__), run)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(out.stdout.split()[-1]) / 1024, "MiB"


if __name__ == "__main__":
    args = sys.argv[1:]
    memory = "--memory" in args
    for w in [a for a in args if not a.startswith("--")] or ["T1", "T2", "T4"]:
        if memory:
            value, unit = peak_memory(w)
        else:
            step, work, unit, timing = workload(w)
            secs = median_rate(step, **timing)
            value = secs * 1e9 if work is None else work / secs
        print(f"{w} {value:.1f} {unit}", flush=True)
