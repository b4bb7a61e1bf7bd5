"""``TapeCache``: a function traced on demand, one tape per branch pattern met.

A tape records the branches its example took (``Decision``); a sample that
branches differently is refused by that tape. ``TapeCache(f)`` replays each
sample on the tape of its branch pattern, tracing ``f`` anew at the first
sample that follows none, so it replays any batch (``nn.fit(...,
compiled=True)`` uses it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, overload

import numpy as np

from ..errors import BranchError, TraceError
from . import run as _run
from .record import trace
from .tape import Tape, seed_array

__all__ = ["TapeCache"]


class TapeCache:
    """``f`` traced on demand, one tape per branch pattern: replays any batch, whatever its branches.

    ``forward(X)`` runs each tape on the samples that follow its branches
    (tracing anew at the first sample that follows none) and ``backward``
    backpropagates each tape's share. At most ``max_tapes`` tapes are made;
    a function with more branch patterns than that raises ``BranchError``.
    """

    def __init__(self, f: Callable[..., Any], fuse: bool = True, max_tapes: int = 32) -> None:
        self.f, self.fuse, self.max_tapes = f, fuse, max_tapes
        self.tapes: list[Tape] = []
        self._runs: list[tuple[Tape, _run.Replay]] = []
        self._n = 0

    def forward(self, X: Any) -> np.ndarray:
        """The outputs of ``f`` on every sample of ``X`` (n, inputs): shape (n,) or (n, outputs)."""
        X = np.asarray(X, dtype=float)
        if X.ndim == 1:
            X = X[:, None]
        self._runs, self._n = [], X.shape[0]
        remaining = np.arange(X.shape[0])
        for tape in list(self.tapes):
            if not remaining.size:
                break
            remaining = self._replay(tape, X, remaining)
        while remaining.size:
            if len(self.tapes) >= self.max_tapes:
                raise BranchError(
                    f"TapeCache: the samples take more than {self.max_tapes} branch patterns "
                    "(one tape each); raise max_tapes, or branch less on the data"
                )
            tape = trace(self.f, X[remaining[0]].tolist(), fuse=self.fuse)
            self.tapes.append(tape)
            before = remaining.size
            remaining = self._replay(tape, X, remaining)
            if remaining.size == before:
                raise TraceError("TapeCache: a fresh trace refuses the sample it was traced on: "
                                 "the function is not deterministic")
        k = len(self._runs[0][0].outputs) if self._runs else 1
        out = np.empty((self._n, k))
        for tape, run in self._runs:
            out[run.rows] = _run.values(tape.plan, run)
        return out[:, 0] if k == 1 else out

    def _replay(self, tape: Tape, X: np.ndarray, remaining: np.ndarray) -> np.ndarray:
        """Run ``tape`` on the remaining samples; returns those that took another branch."""
        run = tape._replay(X if remaining.size == len(X) else X[remaining], remaining)
        if not run.n:
            return remaining
        self._runs.append((tape, run))
        return np.setdiff1d(remaining, run.rows, assume_unique=True)

    @overload
    def backward(self, seed: Any = ..., inputs: Literal[True] = ...) -> np.ndarray: ...

    @overload
    def backward(self, seed: Any = ..., *, inputs: Literal[False]) -> None: ...

    def backward(self, seed: Any = 1.0, inputs: bool = True) -> np.ndarray | None:
        """Backpropagate through the last ``forward``; returns d loss / d input, shape (n, inputs).

        ``inputs=False`` returns None and leaves out the steps that only lead to the inputs.
        """
        if not self._runs:
            raise RuntimeError("TapeCache.backward: call forward first")
        k = len(self._runs[0][0].outputs)
        seeds = seed_array(seed, self._n, k)
        grads = np.zeros((self._n, len(self._runs[0][0].inputs))) if inputs else None
        for tape, run in self._runs:
            g = _run.backward(tape.plan, run, seeds[run.rows], inputs)
            if grads is not None:
                grads[run.rows] = g
        return grads
