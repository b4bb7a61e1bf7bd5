"""Tape benchmark: one full-batch training epoch of MLP(2, [16, 16, 1]) on two moons, five ways.

An epoch is: forward over every sample, the hinge loss mean_s relu(1 - y_s
s_s) (micrograd's demo loss, without its L2 term: that term is per model,
not per sample), zero the gradients, backward, and an SGD step on every
parameter (``p.data -= lr * p.grad``).

- on 100 points: this library's scalar engine, the same model traced once
  and replayed as a tape (``autograd.trace``), and micrograd 0.1.0;
- on 10,000 points: the tape, and the same network written by hand in numpy
  (forward, backward and update on weight matrices).

The tape is timed with its default plan (steps grouped, neurons as matrix
products) and, for comparison, with the plain one (``fuse=False``: one numpy
call per scalar step).

All run in the same process and run, garbage collector on; each figure is a
median over several epochs, the tape and numpy interleaved. Tracing is done
once, before timing (its time is printed). Targets: the tape at least 100x
faster than micrograd on 100 points, and within 3x of hand-written numpy on
10,000 points. Before timing, one epoch of each of ours is checked to give
the same loss and the same parameters as the scalar engine.

Run: make bench
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from collections.abc import Callable

import numpy as np

import nn
from autograd import Value, trace

try:
    from micrograd.engine import Value as MicroValue
    from micrograd.nn import MLP as MicroMLP
except ImportError:  # pragma: no cover - the bench extra installs it
    sys.exit("micrograd is not installed: run `make bench` (pip install -e '.[bench]')")

LR = 0.05


def scalar_epoch(model, params, V, X, y) -> float:
    """The scalar engine (or micrograd, with its Value): a graph per sample, then backward."""
    losses = [(1 + -yi * model([V(a), V(b)])).relu() for (a, b), yi in zip(X, y)]
    loss = sum(losses) * (1.0 / len(losses))
    for p in params:
        p.grad = 0.0
    loss.backward()
    for p in params:
        p.data -= LR * p.grad
    return loss.data


def tape_epoch(tape, params, data: np.ndarray) -> float:
    """The tape: per-sample losses on arrays, then the batch-summed gradients into p.grad."""
    losses = tape.forward(data)
    for p in params:
        p.grad = 0.0
    tape.backward(1.0 / len(data))  # d mean / d loss_s
    for p in params:
        p.data -= LR * p.grad
    return float(losses.mean())


def weights_of(model: nn.MLP) -> list[np.ndarray]:
    """[W1, b1, W2, b2, W3, b3] as numpy arrays, W of shape (out, in)."""
    arrays = []
    for layer in model.layers:
        arrays.append(np.array([[w.data for w in n.w] for n in layer.neurons]))
        arrays.append(np.array([n.b.data for n in layer.neurons]))
    return arrays


def numpy_epoch(weights: list[np.ndarray], X: np.ndarray, y: np.ndarray) -> float:
    """The same epoch by hand: X is (2, n) and y (1, n), one column per sample, as on the tape.

    Forward h = W x + b, a = relu(h); backward the transposed products. (Rows
    per sample, X @ W.T, was slower here; this is the stronger baseline.)
    """
    W1, b1, W2, b2, W3, b3 = weights
    n = X.shape[1]
    h1 = W1 @ X + b1[:, None]
    a1 = np.maximum(h1, 0.0)
    h2 = W2 @ a1 + b2[:, None]
    a2 = np.maximum(h2, 0.0)
    s = W3 @ a2 + b3[:, None]
    margin = 1.0 - y * s
    loss = float(np.maximum(margin, 0.0).mean())
    ds = -y * (margin > 0) / n
    dh2 = (W3.T @ ds) * (h2 > 0)
    dh1 = (W2.T @ dh2) * (h1 > 0)
    grads = [dh1 @ X.T, dh1.sum(1), dh2 @ a1.T, dh2.sum(1), ds @ a2.T, ds.sum(1)]
    for w, g in zip(weights, grads):
        w -= LR * g
    return loss


def median_time(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def interleaved(fns: list[Callable[[], object]], repeats: int) -> list[float]:
    """Median times of several functions run in turn, so that machine load hits them alike."""
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(repeats):
        for fn, ts in zip(fns, times):
            t0 = time.perf_counter()
            fn()
            ts.append(time.perf_counter() - t0)
    return [statistics.median(ts) for ts in times]


def hinge(model):
    return lambda a, b, y: (1 + -y * model([a, b])).relu()


def check_agreement() -> None:
    """One epoch from the same weights: scalar engine, tape and numpy give the same numbers."""
    X, labels = nn.data.two_moons(100, noise=0.1, generator=1)
    y = [2.0 * t - 1.0 for t in labels]
    data = np.column_stack([np.array(X), y])
    models = [nn.MLP(2, [16, 16, 1], generator=1) for _ in range(2)]
    weights = weights_of(models[0])
    losses = [scalar_epoch(models[0], models[0].parameters(), Value, X, y),
              tape_epoch(trace(hinge(models[1]), data[0]), models[1].parameters(), data),
              numpy_epoch(weights, np.array(X).T.copy(), np.array([y]))]
    after = [np.concatenate([w.ravel() for w in ws])
             for ws in (weights_of(models[0]), weights_of(models[1]), weights)]
    assert max(losses) - min(losses) < 1e-12, losses
    assert max(np.max(np.abs(a - after[0])) for a in after[1:]) < 1e-12
    print(f"one epoch from the same weights: losses agree to {max(losses) - min(losses):.1e}, "
          "parameters to 1e-12 (scalar engine, tape, numpy)")


def main() -> None:
    check_agreement()
    X, labels = nn.data.two_moons(100, noise=0.1, generator=0)
    y = [2 * t - 1 for t in labels]
    data = np.column_stack([np.array(X), y])

    model = nn.MLP(2, [16, 16, 1], generator=0)
    ours = median_time(lambda: scalar_epoch(model, model.parameters(), Value, X, y), 7)

    model = nn.MLP(2, [16, 16, 1], generator=0)
    t0 = time.perf_counter()
    tape = trace(hinge(model), data[0])
    traced = time.perf_counter() - t0
    params = model.parameters()
    taped = median_time(lambda: tape_epoch(tape, params, data), 101)
    plain = trace(hinge(model), data[0], fuse=False)
    plain_taped = median_time(lambda: tape_epoch(plain, params, data), 21)

    random.seed(0)
    micro = MicroMLP(2, [16, 16, 1])
    theirs = median_time(lambda: scalar_epoch(micro, micro.parameters(), MicroValue, X, y), 7)

    Xb, labels_b = nn.data.two_moons(10_000, noise=0.1, generator=0)
    yb = np.array([2.0 * t - 1.0 for t in labels_b])
    data_b = np.column_stack([np.array(Xb), yb])
    model = nn.MLP(2, [16, 16, 1], generator=0)
    tape_b = trace(hinge(model), data_b[0])
    params_b = model.parameters()
    weights = weights_of(nn.MLP(2, [16, 16, 1], generator=0))
    Xn, yn = np.array(Xb).T.copy(), yb[None, :]
    big_tape, big_numpy = interleaved([lambda: tape_epoch(tape_b, params_b, data_b),
                                       lambda: numpy_epoch(weights, Xn, yn)], 31)
    plain_b = trace(hinge(model), data_b[0], fuse=False)
    big_plain = median_time(lambda: tape_epoch(plain_b, params_b, data_b), 5)

    print(f"Python {sys.version.split()[0]}, numpy {np.__version__}, garbage collector on, "
          "median over epochs")
    print("one full-batch epoch of MLP(2, [16, 16, 1]) on two moons "
          "(forward, hinge loss, backward, SGD step):")
    print(f"  tracing the tape once: {len(tape)} steps -> {len(tape.plan.items)} array "
          f"steps, {traced * 1e3:.1f} ms")
    print("  100 points:")
    print(f"    scalar engine   {ours * 1e3:9.3f} ms")
    print(f"    tape            {taped * 1e3:9.3f} ms")
    print(f"    tape, plain     {plain_taped * 1e3:9.3f} ms  (fuse=False)")
    print(f"    micrograd       {theirs * 1e3:9.3f} ms")
    print(f"    micrograd / tape: {theirs / taped:,.0f}x  (target >= 100x); "
          f"scalar engine / tape: {ours / taped:,.0f}x")
    print("  10,000 points:")
    print(f"    tape            {big_tape * 1e3:9.3f} ms")
    print(f"    tape, plain     {big_plain * 1e3:9.3f} ms  (fuse=False)")
    print(f"    numpy by hand   {big_numpy * 1e3:9.3f} ms")
    print(f"    tape / numpy: {big_tape / big_numpy:.2f}x  (target <= 3x)")


if __name__ == "__main__":
    main()
