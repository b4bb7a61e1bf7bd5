"""Regularisation layers: ``Dropout`` and ``BatchNorm1d``, as in ``torch.nn``.

Both behave differently in training and in evaluation (``module.train()`` /
``module.eval()``): dropout drops only while training, and batch
normalisation normalises with the statistics of the current batch while
training but with running averages of them in evaluation.
"""

from __future__ import annotations

import math
from typing import Any, cast

import numpy as np

from autograd import Value

from .module import Module
from .random import get_generator

__all__ = ["BatchNorm1d", "Dropout"]


class Dropout(Module):
    """Inverted dropout (Srivastava et al., 2014; ``torch.nn.Dropout``).

    In training mode each element is zeroed with probability ``p`` and the
    kept ones are scaled by 1 / (1 - p)::

        y_i = x_i * m_i / (1 - p),   m_i ~ Bernoulli(1 - p)

    so that E[y_i] = x_i and evaluation needs no rescaling: in ``eval()``
    mode, and for ``p = 0``, the input is returned unchanged (the same
    object). For ``p = 1`` every output is ``x_i * 0`` (zero, gradient zero).
    A dropped element still depends on ``x_i`` through the product, with
    gradient 0, as in PyTorch.

    The input is a Value (or a number) or a list of them, possibly nested
    (a batch of samples); the output has the same shape. Masks come from
    ``generator`` (a numpy Generator, an int seed, or None for the package's
    default generator): an int seed makes one generator at construction, so
    successive calls draw new masks and the sequence of masks is reproducible.
    """

    def __init__(self, p: float = 0.5, generator: np.random.Generator | int | None = None) -> None:
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: probability p has to be between 0 and 1, but got {p!r}")
        self.p = float(p)
        # an int seed becomes one generator now; None means the default generator at call time
        self._generator = None if generator is None else get_generator(generator)

    def forward(self, x: Any) -> Any:
        if not self.training or self.p == 0.0:
            return x
        flat = _flatten(x)
        if self.p == 1.0:
            scales = np.zeros(len(flat))
        else:
            keep = get_generator(self._generator).random(len(flat)) >= self.p  # P(keep) = 1 - p
            scales = keep / (1.0 - self.p)
        out = iter([v * float(s) for v, s in zip(flat, scales, strict=True)])
        return _unflatten(x, out)

    def extra_repr(self) -> str:
        return f"p={self.p}"


def _flatten(x: Any) -> list:
    """The leaves of a Value, number, or (nested) list of them, in order."""
    if isinstance(x, (list, tuple)):
        return [leaf for item in x for leaf in _flatten(item)]
    if isinstance(x, Value) or (isinstance(x, (int, float)) and not isinstance(x, bool)):
        return [x]
    raise TypeError(f"Dropout: expected a Value, a number or a list of them, got {type(x).__name__}")


def _unflatten(like: Any, leaves: Any) -> Any:
    """``like`` rebuilt with its leaves taken in order from the iterator ``leaves``."""
    if isinstance(like, (list, tuple)):
        return type(like)(_unflatten(item, leaves) for item in like)
    return next(leaves)


class BatchNorm1d(Module):
    """Batch normalisation over a batch of feature vectors (Ioffe & Szegedy, 2015).

    The input is a batch: a list of N samples, each a list of ``num_features``
    Values or numbers. For each feature j, with the batch mean and *biased*
    batch variance::

        mean_j = (1/N) sum_n x_nj,   var_j = (1/N) sum_n (x_nj - mean_j)^2
        y_nj = (x_nj - mean_j) / sqrt(var_j + eps) * weight_j + bias_j

    ``weight`` (gamma, initially 1) and ``bias`` (beta, initially 0) are lists
    of learnable Values when ``affine`` (None otherwise; ``bias=False`` keeps
    only ``weight``, as PyTorch's keyword of that name). Gradients flow
    through the batch mean and variance too, so each output depends on every
    sample in the batch.

    Running statistics (buffers, plain floats; ``track_running_stats=True``):
    each training batch updates, with the *unbiased* batch variance
    var_j * N / (N - 1)::

        running_mean = (1 - momentum) * running_mean + momentum * mean_j
        running_var  = (1 - momentum) * running_var  + momentum * var_j * N / (N - 1)

    starting from 0 and 1. With ``momentum=None`` the factor is 1 / t for the
    t-th batch (``num_batches_tracked``), a cumulative moving average: the
    plain mean of the batch statistics so far. In ``eval()`` mode the
    running statistics replace the batch ones, so each sample is normalised on
    its own. Without running statistics (``track_running_stats=False``) batch
    statistics are used in both modes. All of this is PyTorch's rule,
    including the ValueError for a single-sample batch when batch statistics
    are needed (its variance is undefined).
    """

    _buffers: tuple[str, ...] = ("running_mean", "running_var", "num_batches_tracked")

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        *,
        bias: bool = True,
    ) -> None:
        if isinstance(num_features, bool) or not isinstance(num_features, int) or num_features < 1:
            raise ValueError(f"BatchNorm1d: num_features must be a positive int, got {num_features!r}")
        if not (isinstance(eps, (int, float)) and math.isfinite(eps) and eps >= 0):
            raise ValueError(f"BatchNorm1d: eps must be a finite number >= 0, got {eps!r}")
        if momentum is not None and not (isinstance(momentum, (int, float)) and 0 <= momentum <= 1):
            raise ValueError(f"BatchNorm1d: momentum must be None or in [0, 1], got {momentum!r}")
        self.num_features = num_features
        self.eps = float(eps)
        self.momentum = None if momentum is None else float(momentum)
        self.affine = bool(affine)
        self.track_running_stats = bool(track_running_stats)
        self.weight: list[Value] | None = None
        self.bias: list[Value] | None = None
        if self.affine:
            self.weight = [Value(1.0) for _ in range(num_features)]
            if bias:
                self.bias = [Value(0.0) for _ in range(num_features)]
        self.running_mean: list[float] | None = None
        self.running_var: list[float] | None = None
        self.num_batches_tracked: int | None = None
        if self.track_running_stats:
            self.reset_running_stats()
        else:
            self._buffers = ()  # PyTorch registers them as None; nothing to save

    def reset_running_stats(self) -> None:
        """running_mean = 0, running_var = 1, num_batches_tracked = 0."""
        if self.track_running_stats:
            self.running_mean = [0.0] * self.num_features
            self.running_var = [1.0] * self.num_features
            self.num_batches_tracked = 0

    def forward(self, batch: Any) -> list[list[Any]]:
        rows = self._check(batch)
        use_batch_stats = self.training or not self.track_running_stats
        n = len(rows)
        if use_batch_stats and n == 1:
            raise ValueError(
                "BatchNorm1d: Expected more than 1 value per channel when training, "
                f"got input size [1, {self.num_features}]"
            )
        columns = [self._normalise(j, [row[j] for row in rows], use_batch_stats)
                   for j in range(self.num_features)]
        if self.training and self.track_running_stats:
            # only once the outputs exist: a failed forward changes nothing (PyTorch counts a
            # batch of one before it raises). int() as load_state_dict stores floats.
            if self.num_batches_tracked is None:
                raise RuntimeError(
                    "BatchNorm1d: num_batches_tracked is None; with track_running_stats=True "
                    "call reset_running_stats() to start counting"
                )
            self.num_batches_tracked = int(self.num_batches_tracked) + 1
            if n:  # an empty batch is counted but moves no statistic, as in PyTorch
                for j in range(self.num_features):
                    self._update(j, [row[j] for row in rows], n)
        return [[column[i] for column in columns] for i in range(n)]

    def _normalise(self, j: int, xs: list[Any], use_batch_stats: bool) -> list[Any]:
        """Feature j of every sample: (x - mean) / sqrt(var + eps) * weight_j + bias_j."""
        if not xs:
            return []
        if use_batch_stats:
            mean = sum(xs) / len(xs)
            centred = [x - mean for x in xs]
            var = sum(c * c for c in centred) / len(xs)
        else:
            running_mean, running_var = self._running_stats()
            centred = [x - running_mean[j] for x in xs]
            var = running_var[j]
        inv_std = (var + self.eps) ** -0.5
        ys = [c * inv_std for c in centred]
        if self.weight is not None:
            ys = [y * self.weight[j] for y in ys]
        if self.bias is not None:
            ys = [y + self.bias[j] for y in ys]
        return ys

    def _update(self, j: int, xs: list[Any], n: int) -> None:
        """Move feature j's running statistics towards this batch's (unbiased variance)."""
        data = [x.data if isinstance(x, Value) else float(x) for x in xs]
        mean = math.fsum(data) / n
        unbiased_var = math.fsum((x - mean) ** 2 for x in data) / (n - 1)
        if self.momentum is None:
            # cumulative moving average; forward has just counted this batch, so this is an int
            factor = 1.0 / cast(int, self.num_batches_tracked)
        else:
            factor = self.momentum
        running_mean, running_var = self._running_stats()
        running_mean[j] = (1.0 - factor) * running_mean[j] + factor * mean
        running_var[j] = (1.0 - factor) * running_var[j] + factor * unbiased_var

    def _running_stats(self) -> tuple[list[float], list[float]]:
        """``running_mean`` and ``running_var``, or a RuntimeError naming what is missing."""
        if self.running_mean is None or self.running_var is None:
            raise RuntimeError(
                "BatchNorm1d: running_mean and running_var are None; with "
                "track_running_stats=True call reset_running_stats() to make them"
            )
        return self.running_mean, self.running_var

    def _check(self, batch: Any) -> list[Any]:
        """The batch as a list of rows, each of ``num_features`` Values or numbers."""
        if not isinstance(batch, (list, tuple)):
            raise TypeError(
                f"BatchNorm1d: expected a batch (a list of samples), got {type(batch).__name__}"
            )
        for i, row in enumerate(batch):
            if not isinstance(row, (list, tuple)):
                raise TypeError(
                    f"BatchNorm1d: expected a batch: a list of samples, each a list of "
                    f"{self.num_features} values; item {i} is a {type(row).__name__}"
                )
            if len(row) != self.num_features:
                raise ValueError(
                    f"BatchNorm1d: expected {self.num_features} features per sample, "
                    f"sample {i} has {len(row)}"
                )
        return list(batch)

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, bias={self.bias is not None}, "
            f"track_running_stats={self.track_running_stats}"
        )
