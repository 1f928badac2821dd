"""JAX (jit, XLA CPU) side of kiln's workload benchmarks for the workloads where JAX is the
best peer on this machine (../shared/bench/WORKLOADS.md): T1 (and its batch sizes) and T6
(and its widths). Run by `cargo bench --bench workloads` in the same run as kiln when jax
is installed. Prints one line per workload: `<id> <value> <unit>`.

Usage: python3 benches/jax_workloads.py T1 T6 T1b512 T6w1024
"""
import sys

import jax
import jax.numpy as jnp

from bench_timing import median_rate


def init(key, sizes):
    """PyTorch's nn.Linear initialisation: U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        key, kw, kb = jax.random.split(key, 3)
        bound = 1.0 / fan_in**0.5
        params.append(
            (
                jax.random.uniform(kw, (fan_in, fan_out), jnp.float32, -bound, bound),
                jax.random.uniform(kb, (fan_out,), jnp.float32, -bound, bound),
            )
        )
    return params


def mlp(params, x):
    for w, b in params[:-1]:
        x = jax.nn.relu(x @ w + b)
    w, b = params[-1]
    return x @ w + b


def t1(batch=64):
    params = init(jax.random.PRNGKey(0), [784, 256, 128, 10])
    mom = jax.tree_util.tree_map(jnp.zeros_like, params)
    x = jax.random.uniform(jax.random.PRNGKey(1), (batch, 784), jnp.float32)
    y = jax.random.randint(jax.random.PRNGKey(2), (batch,), 0, 10)

    def loss(p):
        logits = mlp(p, x)
        return -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(logits), y[:, None], 1))

    @jax.jit
    def step(p, m):
        g = jax.grad(loss)(p)
        m = jax.tree_util.tree_map(lambda m, g: 0.9 * m + g, m, g)
        p = jax.tree_util.tree_map(lambda p, m: p - 0.01 * m, p, m)
        return p, m

    state = [params, mom]

    def run():
        state[0], state[1] = step(state[0], state[1])
        jax.block_until_ready(state[0])

    timing = dict(repeats=5, inner=20) if batch >= 512 else {}
    return run, batch, "samples/s", timing


def t6(width=4096):
    w = width
    params = init(jax.random.PRNGKey(0), [1024, w, w, 1024])
    x = jax.random.uniform(jax.random.PRNGKey(1), (256, 1024), jnp.float32)
    y = jax.random.uniform(jax.random.PRNGKey(2), (256, 1024), jnp.float32)

    def loss(p):
        return jnp.mean((mlp(p, x) - y) ** 2)

    @jax.jit
    def step(p):
        g = jax.grad(loss)(p)
        return jax.tree_util.tree_map(lambda p, g: p - 0.01 * g, p, g)

    state = [params]

    def run():
        state[0] = step(state[0])
        jax.block_until_ready(state[0])

    timing = dict(warmup=3, repeats=5, inner=3) if w >= 4096 else {}
    return run, 6 * (2 * 1024 * w + w * w) * 256 / 1e9, "GFLOP/s", timing


def workload(w):
    """T1, T6, T1b<batch>, T6w<width>."""
    if w == "T1":
        return t1()
    if w == "T6":
        return t6()
    n = int(w[3:])
    return {"T1b": lambda: t1(n), "T6w": lambda: t6(n)}[w[:3]]()


if __name__ == "__main__":
    for w in [a for a in sys.argv[1:] if not a.startswith("--")] or ["T1", "T6"]:
        step, work, unit, timing = workload(w)
        secs = median_rate(step, **timing)
        print(f"{w} {work / secs:.1f} {unit}", flush=True)
