"""Training benchmark: one full-batch epoch of MLP(2, [16, 16, 1]) on 100 two-moons points.

An epoch is micrograd's demo step: forward over all 100 samples, the
max-margin loss plus an L2 term, ``zero_grad``, ``backward``, and an SGD
update of every parameter. This library and micrograd 0.1.0 run in the
same process and run, garbage collector on, median of 7 epochs each, on the
same points. Target: at most 0.25x micrograd's time.

Run: make bench
"""

from __future__ import annotations

import random
import statistics
import sys
import time

import nn
from autograd import Value as OurValue

try:
    from micrograd.engine import Value as MicroValue
    from micrograd.nn import MLP as MicroMLP
except ImportError:  # pragma: no cover - the bench extra installs it
    sys.exit("micrograd is not installed: run `make bench` (pip install -e '.[bench]')")

EPOCHS = 7


def epoch(model, V, X, y, lr=0.5):
    inputs = [list(map(V, row)) for row in X]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores, strict=True)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = 1e-4 * sum(p * p for p in model.parameters())
    total = data_loss + reg_loss
    model.zero_grad()
    total.backward()
    for p in model.parameters():
        p.data -= lr * p.grad
    return total.data


def timed(model, V, X, y):
    times = []
    for _ in range(EPOCHS):
        t0 = time.perf_counter()
        epoch(model, V, X, y)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main():
    X, labels = nn.data.two_moons(100, noise=0.1, generator=0)
    y = [2 * t - 1 for t in labels]
    random.seed(0)
    ours = timed(nn.MLP(2, [16, 16, 1], generator=0), OurValue, X, y)
    theirs = timed(MicroMLP(2, [16, 16, 1]), MicroValue, X, y)
    print(f"Python {sys.version.split()[0]}, garbage collector on, median of {EPOCHS} epochs")
    print("one full-batch epoch of MLP(2, [16, 16, 1]) on 100 two-moons points "
          "(forward, hinge + L2 loss, backward, SGD step):")
    print(f"  ours       {ours:.3f} s")
    print(f"  micrograd  {theirs:.3f} s")
    print(f"  ratio ours/micrograd: {ours / theirs:.2f}x  (target <= 0.25x)")


if __name__ == "__main__":
    main()
