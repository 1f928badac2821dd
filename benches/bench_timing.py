"""The timing rule every peer script shares with kiln's runner: `warmup` calls, then the
median of `repeats` timings of `inner` calls, in seconds per call."""
import statistics
import time


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
