"""Tape benchmark: one full-batch training epoch of MLP(2, [16, 16, 1]) on two moons.

An epoch is: forward over every sample, the hinge loss mean_s relu(1 - y_s
s_s) (micrograd's demo loss, without its L2 term: that term is per model,
not per sample), zero the gradients, backward, and an SGD step on every
parameter (``p -= lr * grad``). No contender computes the gradients with
respect to the data (the tape's ``backward(..., inputs=False)``; PyTorch's
and JAX's data need no gradient). Compared, side by side:

- on 10,000 and 100,000 points: this library's tape (``autograd.trace``,
  traced once before timing), PyTorch eager and JAX ``jit`` (the whole
  epoch, ``value_and_grad`` and the SGD update, one compiled function,
  waited for with ``block_until_ready``), all in float64, and the same
  network written by hand in numpy;
- on 100 points: the scalar engine, the tape and micrograd 0.1.0.

Threads: every library runs on ONE thread (numpy's OpenBLAS and XLA's
Eigen pool through their environment variables, set before they are
imported: the script re-executes itself once to set them; PyTorch through
``torch.set_num_threads(1)``). The machine has 2 cores and other work may
run on it, so this compares the work each does per core; ``--threads 2``
gives each library both cores instead.

Timing: the contenders run round-robin, one epoch each in turn, each round
starting one contender further along, so load on the machine and cold caches
hit them alike; each figure is the median over ``--epochs`` epochs (101 by
default, at least 31), garbage collector on. Before timing, one epoch from the
same weights is checked to give the same loss (to 1e-9) in every one.

``--floors`` shows instead what the tape's epoch at 10,000 points is made of,
each part run back to back (warm), beside JAX's whole epoch: the matrix
products alone, the fixed cost (the epoch on 10 points: Python, and reading
and writing the 337 parameter Values), and the rest (the passes over memory).

Run: make bench (or python benchmarks/bench_tape.py [--threads N] [--epochs N] [--floors])
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable

import numpy as np

import nn
from autograd import Value, trace
from autograd.tape import items

LR = 0.05
SIZES = (10_000, 100_000)


def _pin_threads(threads: int) -> None:
    """Re-run this script once with numpy's and XLA's thread counts set (read at import)."""
    wanted = {
        "OPENBLAS_NUM_THREADS": str(threads),
        "OMP_NUM_THREADS": str(threads),
        "XLA_FLAGS": (f"--xla_cpu_multi_thread_eigen={'true' if threads > 1 else 'false'} "
                      f"intra_op_parallelism_threads={threads}"),
    }
    if all(os.environ.get(k) == v for k, v in wanted.items()):
        return
    os.environ.update(wanted)
    os.execv(sys.executable, [sys.executable, *sys.argv])


# --------------------------------------------------------------------------- the contenders


def hinge(model: nn.MLP) -> Callable:
    """The per-sample loss the tape records: relu(1 - y * model(x))."""
    return lambda a, b, y: (1 + -y * model([a, b])).relu()


class TapeEpoch:
    """The tape: per-sample losses on arrays, batch-summed gradients into p.grad, SGD on Values."""

    def __init__(self, model: nn.MLP, data: np.ndarray, fuse: bool = True) -> None:
        self.tape = trace(hinge(model), data[0].tolist(), fuse=fuse)
        self.params = model.parameters()
        self.data = data

    def __call__(self) -> float:
        losses = self.tape.forward(self.data)
        for p in self.params:
            p.grad = 0.0
        self.tape.backward(1.0 / len(self.data), inputs=False)  # d mean / d loss_s; no d/dX
        for p in self.params:
            p.data -= LR * p.grad
        return float(losses.mean())


def weights_of(model: nn.MLP) -> list[np.ndarray]:
    """[W1, b1, W2, b2, W3, b3] as numpy arrays, W of shape (out, in)."""
    arrays = []
    for layer in model.layers:
        arrays.append(np.array([[w.data for w in n.w] for n in layer.neurons]))
        arrays.append(np.array([n.b.data for n in layer.neurons]))
    return arrays


class NumpyEpoch:
    """The same epoch by hand in numpy, one column per sample: h = W x + b, a = relu(h)."""

    def __init__(self, model: nn.MLP, data: np.ndarray) -> None:
        self.weights = weights_of(model)
        self.X = np.ascontiguousarray(data[:, :2].T)
        self.y = data[:, 2][None, :].copy()

    def __call__(self) -> float:
        W1, b1, W2, b2, W3, b3 = self.weights
        X, y = self.X, self.y
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
        for w, g in zip(self.weights, grads, strict=True):
            w -= LR * g
        return loss


class TorchEpoch:
    """PyTorch eager, float64: the same layers as tensors, autograd backward, SGD by hand."""

    def __init__(self, model: nn.MLP, data: np.ndarray) -> None:
        import torch

        self.torch = torch
        self.weights = [torch.tensor(w, dtype=torch.float64, requires_grad=True)
                        for w in weights_of(model)]
        self.X = torch.tensor(data[:, :2], dtype=torch.float64)
        self.y = torch.tensor(data[:, 2], dtype=torch.float64)

    def __call__(self) -> float:
        torch = self.torch
        W1, b1, W2, b2, W3, b3 = self.weights
        h = torch.relu(self.X @ W1.T + b1)
        h = torch.relu(h @ W2.T + b2)
        s = (h @ W3.T + b3)[:, 0]
        loss = torch.relu(1.0 - self.y * s).mean()
        for w in self.weights:
            w.grad = None
        loss.backward()
        with torch.no_grad():
            for w in self.weights:
                w -= LR * w.grad
        return float(loss.item())


class JaxEpoch:
    """JAX, float64: one jitted function does the epoch (value_and_grad and the SGD update)."""

    def __init__(self, model: nn.MLP, data: np.ndarray) -> None:
        import jax
        import jax.numpy as jnp

        jax.config.update("jax_enable_x64", True)

        def loss(ws, X, y):
            W1, b1, W2, b2, W3, b3 = ws
            h = jnp.maximum(X @ W1.T + b1, 0.0)
            h = jnp.maximum(h @ W2.T + b2, 0.0)
            s = (h @ W3.T + b3)[:, 0]
            return jnp.mean(jnp.maximum(1.0 - y * s, 0.0))

        @jax.jit
        def epoch(ws, X, y):
            value, grads = jax.value_and_grad(loss)(ws, X, y)
            return value, [w - LR * g for w, g in zip(ws, grads, strict=True)]

        self.epoch = epoch
        self.weights = [jnp.asarray(w, dtype=jnp.float64) for w in weights_of(model)]
        self.X = jnp.asarray(data[:, :2], dtype=jnp.float64)
        self.y = jnp.asarray(data[:, 2], dtype=jnp.float64)
        value, _ = epoch(self.weights, self.X, self.y)  # compile now, not while timed
        value.block_until_ready()

    def __call__(self) -> float:
        value, self.weights = self.epoch(self.weights, self.X, self.y)
        value.block_until_ready()
        return float(value)


# --------------------------------------------------------------------------- timing


def moons(n: int, generator: int = 0) -> np.ndarray:
    """n two-moons points with labels +-1, one row (x1, x2, y) per sample."""
    X, labels = nn.data.two_moons(n, noise=0.1, generator=generator)
    return np.column_stack([np.array(X), [2.0 * t - 1.0 for t in labels]])


def interleaved(fns: list[Callable[[], object]], repeats: int) -> list[float]:
    """Median times of several functions run in turn, so that machine load hits them alike.

    Each round starts one contender further along (round r runs r, r+1, ..., then 0, ...), so
    none always follows the same other one: whoever runs next finds the caches full of the
    previous one's arrays, and that cost is spread over all of them alike.
    """
    times: list[list[float]] = [[] for _ in fns]
    for r in range(repeats):
        for k in range(len(fns)):
            i = (r + k) % len(fns)
            t0 = time.perf_counter()
            fns[i]()
            times[i].append(time.perf_counter() - t0)
    return [statistics.median(ts) for ts in times]


def contenders(n: int) -> dict[str, Callable[[], float]]:
    """Each way of running the epoch, on n points, every one from the same initial weights."""
    data = moons(n)
    return {
        "tape": TapeEpoch(nn.MLP(2, [16, 16, 1], generator=0), data),
        "PyTorch eager": TorchEpoch(nn.MLP(2, [16, 16, 1], generator=0), data),
        "JAX jit": JaxEpoch(nn.MLP(2, [16, 16, 1], generator=0), data),
        "numpy by hand": NumpyEpoch(nn.MLP(2, [16, 16, 1], generator=0), data),
    }


def check_agreement(n: int = 1000) -> None:
    """One epoch from the same weights: the same loss in all, and the scalar engine's on 100."""
    losses = {name: fn() for name, fn in contenders(n).items()}
    spread = max(losses.values()) - min(losses.values())
    if spread > 1e-9:
        raise SystemExit(f"the contenders disagree after one epoch: {losses}")
    data = moons(100, generator=1)
    model = nn.MLP(2, [16, 16, 1], generator=1)
    scalar = scalar_epoch(model, model.parameters(), Value, data)
    taped = TapeEpoch(nn.MLP(2, [16, 16, 1], generator=1), data)()
    if abs(scalar - taped) > 1e-12:
        raise SystemExit(f"tape {taped!r} and scalar engine {scalar!r} disagree")
    print(f"one epoch from the same weights: losses agree to {spread:.1e} on {n:,} points "
          f"(tape, PyTorch, JAX, numpy), and tape = scalar engine on 100 to 1e-12")


def scalar_epoch(model, params, V, data: np.ndarray) -> float:
    """The scalar engine (or micrograd, with its Value): a graph per sample, then backward."""
    losses = [(1 + -y * model([V(a), V(b)])).relu() for a, b, y in data.tolist()]
    loss = sum(losses) * (1.0 / len(losses))
    for p in params:
        p.grad = 0.0
    loss.backward()
    for p in params:
        p.data -= LR * p.grad
    return loss.data


def small(repeats: int) -> None:
    """100 points: scalar engine, tape and micrograd (if installed)."""
    data = moons(100)
    model = nn.MLP(2, [16, 16, 1], generator=0)
    fns: dict[str, Callable[[], object]] = {
        "scalar engine": lambda: scalar_epoch(model, model.parameters(), Value, data),
        "tape": TapeEpoch(nn.MLP(2, [16, 16, 1], generator=0), data),
        "tape, plain": TapeEpoch(nn.MLP(2, [16, 16, 1], generator=0), data, fuse=False),
    }
    try:
        from micrograd.engine import Value as MicroValue
        from micrograd.nn import MLP as MicroMLP

        random.seed(0)
        micro = MicroMLP(2, [16, 16, 1])
        fns["micrograd"] = lambda: scalar_epoch(micro, micro.parameters(), MicroValue, data)
    except ImportError:  # the bench extra installs it
        print("  (micrograd is not installed: pip install -e '.[bench]')")
    times = dict(zip(fns, interleaved(list(fns.values()), max(7, repeats // 4)), strict=True))
    print("  100 points:")
    for name, t in times.items():
        print(f"    {name:<16} {t * 1e3:9.3f} ms   {t / times['tape']:8.1f}x the tape")


def warm(fn: Callable[[], object], repeats: int) -> tuple[float, float]:
    """(min, median) seconds of ``fn`` run back to back, after 20 runs to warm it up."""
    for _ in range(20):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times), statistics.median(times)


def products_of(epoch: TapeEpoch, n: int) -> Callable[[], None]:
    """The matrix products the tape's epoch makes on n points, alone, on arrays of their shapes.

    Per ``Affine`` item of the plan, as ``autograd.tape.items.Affine`` calls them:
    forward W X; backward dW = g X^T, db = g 1 and, if backward wants it, dX = W^T g.
    """
    rng = np.random.default_rng(0)
    plan = epoch.tape.plan
    calls = []
    for item in plan.items:
        if not isinstance(item, items.Affine):
            continue
        m, k = item.widx.shape
        w, x, g = rng.random((m, k)), rng.random((k, n)), rng.random((m, n))
        out, dx, ones = np.empty((m, n)), np.empty((k, n)), np.ones(n)
        wants_dx = any(plan.wanted[1][b] for b in item.xs.blocks)  # backward(inputs=False)
        calls.append((w, x, g, out, dx, ones, wants_dx))

    def run() -> None:
        for w, x, g, out, dx, ones, wants_dx in calls:
            items._product(w, x, out)
            items._sum_over_samples(g, x)
            g @ ones
            if wants_dx:
                if len(w) == 1:
                    np.multiply(w.T, g, out=dx)
                else:
                    items._product(w.T, g, dx)
    return run


def floors(repeats: int) -> None:
    """What the tape's epoch at 10,000 points is made of, each part back to back, beside JAX's."""
    n = SIZES[0]
    big, few = contenders(n), contenders(10)
    params = few["tape"].params

    def values() -> None:  # the part of the fixed cost that is the SGD step on the Values
        for p in params:
            p.grad = 0.0
        for p in params:
            p.data -= LR * p.grad
    parts = [  # (what, how deep it sits in the epoch, the function)
        ("JAX jit, whole epoch", 0, big["JAX jit"]),
        ("tape, whole epoch", 0, big["tape"]),
        ("its matrix products alone", 1, products_of(big["tape"], n)),
        ("its fixed cost (the epoch on 10 points)", 1, few["tape"]),
        ("of which zero grads + SGD on the Values", 2, values),
        ("numpy by hand, whole epoch", 0, big["numpy by hand"]),
        ("JAX jit on 10 points", 0, few["JAX jit"]),
    ]
    print(f"  {n:,} points, each part back to back (min / median of {repeats}):")
    fastest = {}
    for what, depth, fn in parts:
        lo, mid = warm(fn, repeats)
        fastest[what] = lo
        print(f"    {'  ' * depth + what:<44} {lo * 1e3:6.3f} / {mid * 1e3:6.3f} ms")
    floor = fastest["its matrix products alone"] + fastest["its fixed cost (the epoch on 10 points)"]
    print(f"    the tape's products + fixed cost, before any elementwise pass: {floor * 1e3:.3f} ms "
          f"= {floor / fastest['JAX jit, whole epoch']:.2f}x JAX's whole epoch; the rest of the "
          f"tape's epoch (passes over memory): {(fastest['tape, whole epoch'] - floor) * 1e3:.3f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--epochs", type=int, default=101)
    parser.add_argument("--floors", action="store_true",
                        help="what the tape's 10,000-point epoch is made of, back to back")
    args = parser.parse_args()
    if args.epochs < 31:
        parser.error(f"--epochs must be at least 31 (a median over fewer is noise), got {args.epochs}")
    _pin_threads(args.threads)
    import torch

    torch.set_num_threads(args.threads)
    import jax

    check_agreement()
    if args.floors:
        floors(max(args.epochs, 201))
        return
    print(f"Python {sys.version.split()[0]}, numpy {np.__version__}, torch {torch.__version__}, "
          f"jax {jax.__version__}; {args.threads} thread(s) each; median of {args.epochs} "
          "interleaved epochs")
    print("one full-batch epoch of MLP(2, [16, 16, 1]) on two moons "
          "(forward, hinge loss, zero grads, backward, SGD step):")
    tape = TapeEpoch(nn.MLP(2, [16, 16, 1], generator=0), moons(10))
    print(f"  the tape: {len(tape.tape)} scalar steps, replayed as "
          f"{len(tape.tape.plan.items)} array steps")
    small(args.epochs)
    for n in SIZES:
        fns = contenders(n)
        for fn in fns.values():  # warm up: caches, allocators, JIT
            fn()
        times = dict(zip(fns, interleaved(list(fns.values()), args.epochs), strict=True))
        print(f"  {n:,} points:")
        for name, t in times.items():
            print(f"    {name:<16} {t * 1e3:9.3f} ms   tape / this: {times['tape'] / t:5.2f}")
        print(f"    targets: tape <= 1.0x JAX jit ({times['tape'] / times['JAX jit']:.2f}), "
              f"<= 0.8x PyTorch eager ({times['tape'] / times['PyTorch eager']:.2f})")


if __name__ == "__main__":
    main()
