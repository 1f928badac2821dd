"""PyTorch side of kiln's workload benchmarks (../shared/bench/WORKLOADS.md), run by
`cargo bench --bench workloads` in the same run as kiln when torch is installed.
Prints one line per workload: `<id> <value> <unit>`.

Usage: python3 benches/torch_workloads.py T1 T4
"""
import statistics
import sys
import time

import torch
import torch.nn as nn

torch.set_num_threads(2)


def median_rate(step, warmup=20, repeats=7, inner=100):
    for _ in range(warmup):
        step()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        for _ in range(inner):
            step()
        times.append((time.perf_counter() - t) / inner)
    return statistics.median(times)


def t1():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    x = torch.rand(64, 784)
    y = torch.randint(0, 10, (64,))

    def step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(net(x), y)
        loss.backward()
        opt.step()

    return 64 / median_rate(step), "samples/s"


def t2():
    torch.manual_seed(0)
    net = nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
    )
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    x = torch.rand(64, 1, 28, 28)
    y = torch.randint(0, 10, (64,))

    def step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(net(x), y)
        loss.backward()
        opt.step()

    return 64 / median_rate(step, repeats=5), "samples/s"


def t4():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(16, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 8)).eval()
    x = torch.rand(1, 16)

    def step():
        with torch.no_grad():
            net(x)

    return median_rate(step, warmup=200, inner=2000) * 1e9, "ns/call"


if __name__ == "__main__":
    for w in sys.argv[1:] or ["T1", "T2", "T4"]:
        value, unit = {"T1": t1, "T2": t2, "T4": t4}[w]()
        print(f"{w} {value:.1f} {unit}", flush=True)
