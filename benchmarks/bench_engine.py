"""Engine benchmark: this library against micrograd 0.1.0, in one process and one run.

Workloads (build and backward timed separately, median of 5, garbage collector on):
  chain: y = (y * 1.0001 + 0.5).relu(), 100,000 times   (5 nodes a step, 500,001 nodes)
  sum:   sum of a_i * b_i for 100,000 pairs                 (about 400,000 nodes)

micrograd's recursive topological sort cannot go deeper than Python's
recursion limit (about 1,000 levels by default), so for the chain it runs
with the limit raised (and in a thread with a large stack); that is said in
the output. Memory: bytes per node after building and after backward
(tracemalloc, on graphs of 5,000 steps: tracing is slow under micrograd's deep
recursion, and the figure does not depend on size). Cycles: objects per node that only the cycle collector can
free once the graph is dropped (a node holding a closure that refers back to
it is one).

Run: make bench   (installs micrograd from PyPI through the `bench` extra)
"""

from __future__ import annotations

import gc
import statistics
import sys
import threading
import time
import tracemalloc

from autograd import Value as OurValue

try:
    from micrograd.engine import Value as MicroValue
except ImportError:  # pragma: no cover - the bench extra installs it
    sys.exit("micrograd is not installed: run `make bench` (pip install -e '.[bench]')")

N = 100_000
N_MEMORY = 5_000  # bytes per node do not depend on size; tracemalloc slows deep recursion a lot
REPEATS = 5


def chain(V, n=N):
    x = V(0.3)
    y = x
    for _ in range(n):
        y = (y * 1.0001 + 0.5).relu()
    return y


def dot(V, n=N):
    a = [V(0.001 * i) for i in range(n)]
    b = [V(0.5) for _ in range(n)]
    return sum(ai * bi for ai, bi in zip(a, b, strict=True))


def timed(V, workload):
    """(build seconds, backward seconds), medians of REPEATS runs."""
    builds, backs = [], []
    for _ in range(REPEATS):
        gc.collect()
        t0 = time.perf_counter()
        out = workload(V)
        t1 = time.perf_counter()
        out.backward()
        t2 = time.perf_counter()
        builds.append(t1 - t0)
        backs.append(t2 - t1)
        del out
    return statistics.median(builds), statistics.median(backs)


def count_nodes(out):
    seen, stack = {id(out)}, [out]
    while stack:
        for p in stack.pop()._prev:
            if id(p) not in seen:
                seen.add(id(p))
                stack.append(p)
    return len(seen)


def memory(V, workload):
    """Bytes per node after building, and after backward; nodes; cycle-only objects per node."""
    gc.collect()
    gc.disable()  # sizes do not depend on the collector, and tracing under it is very slow
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    out = workload(V, N_MEMORY)
    built = tracemalloc.get_traced_memory()[0] - base
    out.backward()
    after = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    nodes = count_nodes(out)
    del out
    cyclic = gc.collect()  # what reference counting could not free
    gc.enable()
    return built / nodes, after / nodes, nodes, cyclic / nodes


def main():
    print(f"Python {sys.version.split()[0]}, garbage collector on, median of {REPEATS}")
    print("micrograd runs with sys.setrecursionlimit(10**7) in a 1 GiB-stack thread: "
          "its recursive sort fails near 1,000 levels otherwise.\n")
    results = {}
    for name, workload in (("chain", chain), ("sum", dot)):
        ours = timed(OurValue, workload)
        theirs = timed(MicroValue, workload)
        results[name] = (ours, theirs)
    head = f"{'workload':<8} {'engine':<10} {'build s':>9} {'backward s':>11} {'total s':>9}"
    print(head)
    for name, (ours, theirs) in results.items():
        for label, (b, k) in (("ours", ours), ("micrograd", theirs)):
            print(f"{name:<8} {label:<10} {b:>9.3f} {k:>11.3f} {b + k:>9.3f}")
        ratio = sum(ours) / sum(theirs)
        print(f"{name:<8} ratio ours/micrograd: build {ours[0] / theirs[0]:.2f}x, "
              f"backward {ours[1] / theirs[1]:.2f}x, total {ratio:.2f}x  (target <= 0.35x)")
    print()
    print(f"{'workload':<8} {'engine':<10} {'nodes':>8} {'B/node built':>13} "
          f"{'B/node after bwd':>17} {'cyclic obj/node':>16}")
    for name, workload in (("chain", chain), ("sum", dot)):
        for label, V in (("ours", OurValue), ("micrograd", MicroValue)):
            built, after, nodes, cyclic = memory(V, workload)
            print(f"{name:<8} {label:<10} {nodes:>8} {built:>13.0f} {after:>17.0f} {cyclic:>16.2f}")
    print("(targets: at most 200 bytes per node, no objects left to the cycle collector)")


if __name__ == "__main__":
    sys.setrecursionlimit(10**7)
    threading.stack_size(1 << 30)
    worker = threading.Thread(target=main)
    worker.start()
    worker.join()
