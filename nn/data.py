"""Toy data sets for teaching, and ``DataLoader`` to cut a data set into batches.

Each generator returns ``(X, y)``: ``X`` a list of samples, each a list of
floats (the features), and ``y`` a list with one target per sample (an int
class label, or a float for regression). Random ones take ``generator=``: a
numpy Generator, an int seed (same seed, same data), or None for the
package's default generator (``nn.random.manual_seed`` resets it).

=============  ==========================================================
``sine``       regression: y = sin x on evenly spaced x (1 feature)
``xor``        the four corners of the unit square, y = x1 XOR x2
``two_moons``  two interleaving half circles (scikit-learn's make_moons)
``circles``    a small circle inside a large one (scikit-learn's make_circles)
``spirals``    two interleaved spiral arms
``blobs``      Gaussian clusters around random centres (make_blobs)
=============  ==========================================================

Classification sets label classes 0, 1, ...; ``signed=True`` gives -1 / +1
instead (y * 2 - 1, what a hinge loss such as micrograd's demo expects).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from .random import get_generator

__all__ = ["DataLoader", "blobs", "circles", "sine", "spirals", "two_moons", "xor"]

GeneratorLike = np.random.Generator | int | None


# --------------------------------------------------------------------------- checks


def _check_n(n: int, name: str, least: int = 2) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"{name}: n must be an int, got {type(n).__name__}")
    if n < least:
        raise ValueError(f"{name}: n must be at least {least}, got {n}")
    return int(n)


def _check_scale(value: float, label: str, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
        raise ValueError(f"{name}: {label} must be a number >= 0, got {value!r}")
    return float(value)


def _finish(
    X: np.ndarray, labels: np.ndarray, noise: float, signed: bool, shuffle: bool,
    gen: np.random.Generator,
) -> tuple[list[list[float]], list[int]]:
    """Shuffle samples (if asked), then add N(0, noise^2) to every coordinate: make_moons' order."""
    if shuffle:
        order = gen.permutation(len(labels))
        X, labels = X[order], labels[order]
    if noise > 0:
        X = X + gen.normal(0.0, noise, size=X.shape)
    if signed:
        labels = labels * 2 - 1
    return X.tolist(), [int(c) for c in labels]


# --------------------------------------------------------------------------- data sets


def sine(
    n: int = 100,
    low: float = -2 * math.pi,
    high: float = 2 * math.pi,
    noise: float = 0.0,
    generator: GeneratorLike = None,
) -> tuple[list[list[float]], list[float]]:
    """Regression: x_i evenly spaced in [low, high] (ends included), y_i = sin(x_i) + noise * e_i.

    e_i ~ N(0, 1) drawn from the generator only when ``noise > 0``. Samples
    are in order of x; ``X`` holds one feature per sample (``[[x_0], ...]``).
    """
    n = _check_n(n, "sine")
    noise = _check_scale(noise, "noise", "sine")
    if not low < high:
        raise ValueError(f"sine: needs low < high, got low={low}, high={high}")
    x = np.linspace(low, high, n)
    y = np.sin(x)
    if noise > 0:
        y = y + get_generator(generator).normal(0.0, noise, size=n)
    return [[float(v)] for v in x], [float(v) for v in y]


def xor(signed: bool = False) -> tuple[list[list[float]], list[int]]:
    """The four points (0,0), (0,1), (1,0), (1,1) labelled x1 XOR x2: 0, 1, 1, 0 (or -1, 1, 1, -1).

    Not linearly separable, so it needs a hidden layer: the classic test of
    backpropagation (Rumelhart, Hinton & Williams, 1986). Deterministic.
    """
    X = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
    y = [0, 1, 1, 0]
    return X, [2 * c - 1 for c in y] if signed else y


def two_moons(
    n: int = 100,
    noise: float = 0.1,
    signed: bool = False,
    shuffle: bool = True,
    generator: GeneratorLike = None,
) -> tuple[list[list[float]], list[int]]:
    """Two interleaving half circles, scikit-learn's ``make_moons`` construction.

    n // 2 points of class 0 on the upper half circle (cos t, sin t) and the
    other n - n // 2 of class 1 on the lower one (1 - cos t, 1 - sin t - 0.5),
    t evenly spaced in [0, pi] (ends included) for each; then the samples are
    shuffled and N(0, noise^2) is added to every coordinate. micrograd's
    demo uses ``n=100, noise=0.1`` with labels y * 2 - 1 (``signed=True``).
    """
    n = _check_n(n, "two_moons")
    noise = _check_scale(noise, "noise", "two_moons")
    n_out = n // 2
    n_in = n - n_out
    t_out, t_in = np.linspace(0.0, math.pi, n_out), np.linspace(0.0, math.pi, n_in)
    X = np.vstack([
        np.column_stack([np.cos(t_out), np.sin(t_out)]),
        np.column_stack([1.0 - np.cos(t_in), 1.0 - np.sin(t_in) - 0.5]),
    ])
    labels = np.repeat([0, 1], [n_out, n_in])
    return _finish(X, labels, noise, signed, shuffle, get_generator(generator))


def circles(
    n: int = 100,
    noise: float = 0.05,
    factor: float = 0.5,
    signed: bool = False,
    shuffle: bool = True,
    generator: GeneratorLike = None,
) -> tuple[list[list[float]], list[int]]:
    """A circle of radius ``factor`` (class 1) inside the unit circle (class 0): ``make_circles``.

    n // 2 points (cos t, sin t) and n - n // 2 points factor * (cos t, sin t),
    t evenly spaced over [0, 2 pi) for each; shuffled, then N(0, noise^2) added
    to every coordinate. Needs 0 <= factor < 1. (scikit-learn's defaults
    are no noise and factor 0.8.)
    """
    n = _check_n(n, "circles")
    noise = _check_scale(noise, "noise", "circles")
    if isinstance(factor, bool) or not isinstance(factor, (int, float)) or not 0 <= factor < 1:
        raise ValueError(f"circles: factor must be in [0, 1), got {factor!r}")
    n_out = n // 2
    n_in = n - n_out
    t_out = np.linspace(0.0, 2 * math.pi, n_out, endpoint=False)
    t_in = np.linspace(0.0, 2 * math.pi, n_in, endpoint=False)
    X = np.vstack([
        np.column_stack([np.cos(t_out), np.sin(t_out)]),
        factor * np.column_stack([np.cos(t_in), np.sin(t_in)]),
    ])
    labels = np.repeat([0, 1], [n_out, n_in])
    return _finish(X, labels, noise, signed, shuffle, get_generator(generator))


def spirals(
    n: int = 100,
    noise: float = 0.2,
    turns: float = 1.0,
    signed: bool = False,
    shuffle: bool = True,
    generator: GeneratorLike = None,
) -> tuple[list[list[float]], list[int]]:
    """Two interleaved spiral arms, class k = 0, 1, each turning ``turns`` times around the origin.

    Class k has m_k points (n // 2 and n - n // 2) at radii r_i = i / m_k,
    i = 1..m_k (so no point sits at the origin), and angles
    theta_i = 2 pi turns r_i + k pi + noise * e_i with e_i ~ N(0, 1): the
    second arm is the first turned by half a turn. The point is
    (r_i cos theta_i, r_i sin theta_i). As in the CS231n spiral data, the
    noise is on the angle (radians), so it blurs each arm along its width
    about as much at every radius; then the samples are shuffled.
    """
    n = _check_n(n, "spirals")
    noise = _check_scale(noise, "noise", "spirals")
    if isinstance(turns, bool) or not isinstance(turns, (int, float)) or not turns > 0:
        raise ValueError(f"spirals: turns must be a number > 0, got {turns!r}")
    gen = get_generator(generator)
    parts, labels = [], []
    for k, m in enumerate((n // 2, n - n // 2)):
        r = np.arange(1, m + 1) / m
        theta = 2 * math.pi * turns * r + k * math.pi
        if noise > 0:
            theta = theta + gen.normal(0.0, noise, size=m)
        parts.append(np.column_stack([r * np.cos(theta), r * np.sin(theta)]))
        labels.append(np.full(m, k))
    return _finish(np.vstack(parts), np.concatenate(labels), 0.0, signed, shuffle, gen)


def blobs(
    n: int = 100,
    centers: int | Sequence[Sequence[float]] = 3,
    std: float = 1.0,
    center_box: tuple[float, float] = (-10.0, 10.0),
    shuffle: bool = True,
    generator: GeneratorLike = None,
) -> tuple[list[list[float]], list[int]]:
    """Isotropic Gaussian clusters, scikit-learn's ``make_blobs`` construction.

    ``centers`` is a number k of centres, drawn uniformly in ``center_box``
    in 2-d, or a list of centre points (any dimension). Cluster c gets
    n // k samples (the first n % k clusters one more), each
    centre_c + N(0, std^2) per coordinate, labelled c; then shuffled.
    """
    n = _check_n(n, "blobs")
    std = _check_scale(std, "std", "blobs")
    gen = get_generator(generator)
    if isinstance(centers, (int, np.integer)) and not isinstance(centers, bool):
        if centers < 1:
            raise ValueError(f"blobs: centers must be at least 1, got {centers}")
        low, high = center_box
        if not low < high:
            raise ValueError(f"blobs: center_box needs low < high, got {center_box!r}")
        points = gen.uniform(low, high, size=(int(centers), 2))
    else:
        try:
            points = np.asarray(centers, dtype=float)
        except (TypeError, ValueError):
            points = np.empty(0)
        if points.ndim != 2 or len(points) < 1:
            raise ValueError(
                f"blobs: centers must be an int or a non-empty list of equal-length points, "
                f"got {centers!r}"
            )
    k = len(points)
    if n < k:
        raise ValueError(f"blobs: n={n} is fewer than the {k} centres")
    sizes = [n // k + (c < n % k) for c in range(k)]
    X = np.vstack([gen.normal(points[c], std, size=(m, points.shape[1])) for c, m in enumerate(sizes)])
    labels = np.repeat(np.arange(k), sizes)
    return _finish(X, labels, 0.0, False, shuffle, gen)


# --------------------------------------------------------------------------- batches


class DataLoader:
    """Iterate over ``(X, y)`` in batches: each step yields ``(X_batch, y_batch)`` as lists.

    The course's terms:

    - **batch size**: how many samples go into one batch, i.e. into one
      gradient estimate and one parameter update (``batch_size=1`` is
      stochastic gradient descent on single samples; ``len(X)`` is full-batch
      gradient descent).
    - **iteration** (step): one batch processed, forward, backward and one
      update. ``len(loader)`` is the number of iterations per epoch:
      ceil(N / batch_size), or floor(N / batch_size) with ``drop_last=True``,
      which skips a last, smaller batch.
    - **epoch**: one full pass over the data set, i.e. one ``for`` loop over the
      loader; every sample is seen once (except those a ``drop_last`` drops).

    With ``shuffle=True`` each epoch visits the samples in a new random order
    drawn from ``generator`` (a numpy Generator; an int seed makes one
    generator now, so the sequence of epochs is reproducible; None uses the
    package's default generator at the start of each epoch), as PyTorch's
    ``DataLoader(..., shuffle=True)``. Otherwise samples come in order.
    ``X`` and ``y`` are copied as lists of references (the samples are not copied).
    """

    def __init__(
        self,
        X: Sequence[Any],
        y: Sequence[Any],
        batch_size: int = 1,
        shuffle: bool = False,
        drop_last: bool = False,
        generator: GeneratorLike = None,
    ) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
            raise TypeError(f"DataLoader: batch_size must be an int, got {type(batch_size).__name__}")
        if batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be at least 1, got {batch_size}")
        if len(X) != len(y):
            raise ValueError(
                f"DataLoader: X and y must have the same length, got len(X)={len(X)} "
                f"and len(y)={len(y)}"
            )
        if len(X) == 0:
            raise ValueError("DataLoader: the data set is empty")
        self.X, self.y = list(X), list(y)
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self._generator = None if generator is None else get_generator(generator)

    def __len__(self) -> int:
        """Batches (iterations) per epoch."""
        n, b = len(self.X), self.batch_size
        return n // b if self.drop_last else -(-n // b)

    def __iter__(self) -> Iterator[tuple[list[Any], list[Any]]]:
        """One epoch; the order is drawn now, when the epoch starts."""
        n = len(self.X)
        order = get_generator(self._generator).permutation(n).tolist() if self.shuffle else range(n)
        return self._batches(order)

    def _batches(self, order: Sequence[int]) -> Iterator[tuple[list[Any], list[Any]]]:
        for k in range(len(self)):
            idx = order[k * self.batch_size:(k + 1) * self.batch_size]
            yield [self.X[i] for i in idx], [self.y[i] for i in idx]

    def __repr__(self) -> str:
        return (
            f"DataLoader(samples={len(self.X)}, batch_size={self.batch_size}, "
            f"shuffle={self.shuffle}, drop_last={self.drop_last})"
        )
