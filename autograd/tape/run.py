"""Stage 3, run: a plan's items evaluated on numpy arrays, forward and backward, chunk by chunk.

Every node of a tape lives in a row of a *block*, a 2-D array with one
column per sample: block 0 holds the inputs, block 1 the parameters (a
single column: the same for every sample, as is any node that depends on no
input), and each plan item writes one new block. The rows of the primitive
table are evaluated with the ``ARRAYS`` backend, as the scalar engine does one
sample at a time:

- forward:   v_out  = forward(ARRAYS, v_1, ..., v_k)       elementwise over samples
- backward:  g_i   += d_i(v_out, v_1, ..., v_k) * g_out     elementwise, d_i from the row

A parameter p has one value for all samples, so its gradient is summed over
the batch: dL/dp = sum_s d_p(s) * g_out(s).

Speed. What a replay costs is numpy's passes over the blocks, BLAS, and a
few microseconds of Python per item and call. The tricks, each for a reason:

- chunks of ``CHUNK`` samples, each run through all the items, forward then
  backward: a batch bigger than that streams through memory once per chunk,
  not once per item; smaller chunks would cost more Python than they save;
- no fresh large arrays: every array a chunk writes is kept for the next
  replay (``Run.buffer``, and ``autograd.tape.buffers`` for the rows'
  own numpy calls), since a fresh one costs page faults; within a backward
  sweep, a gradient block that is done with is reused at once
  (``Run.scratch``), while it is still in the cache;
- a partial the row computed into an array of its own is multiplied by the
  incoming gradient in place, and becomes the operand's gradient block
  without a copy (``Gather.add``, ``fresh``);
- ``backward(..., inputs=False)`` leaves out the steps that only lead to
  the inputs (``Plan.wanted``);
- forward runs with numpy's floating-point flags raising (one
  ``np.errstate`` per replay); backward first runs with them off and checks
  once, at the end, that the gradients are finite: only if they are not is
  the backward run again with every check of ``autograd.tape.checks``.

What bounds the rest: the passes themselves (a row is evaluated as its
functions are written: relu's partial ``(x > 0) * 1.0`` is two passes, then
one to multiply by g, where fused code would make one), the one pass per
matrix product that says its result is finite, and the Python of about
twenty items per replay.

Non-finite numbers follow the scalar engine sample by sample: where numpy
flags inf or nan in forward, the samples concerned are computed again by the
scalar engine (``autograd.tape.checks``), which gives its value (inf
included) or raises its error naming the sample. An empty batch replays to
empty results.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from operator import attrgetter
from typing import TYPE_CHECKING, Any

import numpy as np

from .buffers import Calls
from .checks import blame

if TYPE_CHECKING:
    from .plan import Plan

__all__ = ["CHUNK", "RECYCLE", "Gather", "Replay", "Run", "backward", "forward", "values"]

CHUNK = 16384
"""Samples per chunk at most (measured on MLP(2, [16, 16, 1]): 10,000 samples as one chunk
are faster than as two or more, and 100,000 in chunks of about 14,000 faster than in chunks of
8,000 or 30,000 or in one). A 16-row block of 16,384 float64 columns is 2 MiB."""

RECYCLE = 32768
"""Steps with fewer numbers (rows times samples) evaluate their row on plain arrays: results of
up to 256 KiB come from the allocator's free lists, and recycling them (``Calls``) costs a few
microseconds a call."""

_DATA = attrgetter("_data")  # a parameter's float, read without the Value.data property


class Run:
    """One chunk of a replay: the blocks of values (and, in backward, of gradients) of its samples."""

    __slots__ = ("blocks", "careful", "dep", "free", "grads", "n", "owned", "rows", "spare",
                 "strict", "wanted")

    def __init__(self, dep: list[bool], rows: np.ndarray, strict: bool,
                 spare: dict[Any, Any] | None = None) -> None:
        self.dep = dep  # per block: one column per sample (True) or one for all (False)
        self.blocks: list[Any] = [None] * len(dep)
        self.grads: list[Any] = [None] * len(dep)
        self.rows = rows  # the batch index of each sample, for error messages
        self.n = len(rows)
        self.strict = strict
        self.careful = 0  # backward: 0 fast, 1 partials checked per step, 2 contributions too
        self.wanted: list[bool] = []  # backward: the blocks whose gradient it computes
        self.spare = spare if spare is not None else {}  # arrays of the previous replay
        self.owned: dict[Any, Any] = {}  # arrays this chunk writes into, for the next replay
        self.free: dict[tuple, list[np.ndarray]] | None = None  # backward: gradients done with

    def _kept(self, key: Any) -> Any:
        """What ``key`` wrote into at the last pass over this chunk, or the previous replay."""
        kept = self.owned.get(key)
        return self.spare.pop(key, None) if kept is None else kept

    def buffer(self, key: Any, shape: tuple[int, ...]) -> np.ndarray:
        """An array of ``shape`` for ``key`` to write into: the previous replay's if it fits.

        (See ``autograd.tape.buffers``: fresh large arrays cost page faults.)
        """
        a = self._kept(key)
        if a is None or a.shape != shape:
            a = np.empty(shape)
        self.owned[key] = a
        return a

    def scratch(self, key: Any, shape: tuple[int, ...]) -> np.ndarray:
        """An array for a gradient: one this sweep is done with, else ``buffer(key, shape)``.

        Memory written moments ago is still in the processor's cache; the
        previous replay's arrays, written a whole epoch ago, mostly are not.
        """
        free = self.free
        if free:
            stack = free.get(shape)
            if stack:
                return stack.pop()
        return self.buffer(key, shape)

    def zeros(self, key: Any, shape: tuple[int, ...]) -> np.ndarray:
        """``scratch(key, shape)`` filled with zeros: a gradient block that several steps add to."""
        a = self.scratch(key, shape)
        a.fill(0.0)
        return a

    def release(self, block: int) -> None:
        """Backward is done with the gradient of ``block`` (its item has run): reuse its array."""
        g = self.grads[block]
        self.grads[block] = None
        if g is not None and self.free is not None and g.dtype == np.float64:
            self.free.setdefault(g.shape, []).append(g)

    def calls(self, key: Any, rows: int) -> Calls | None:
        """The ``Calls`` that recycle a row function's results, or None for a small step."""
        if rows * self.n < RECYCLE:
            return None
        calls = self._kept(key)
        if calls is None:
            calls = Calls()
        self.owned[key] = calls
        calls.free = self.free
        return calls

    def sample(self, s: int) -> int:
        """The batch index of column ``s``."""
        return int(self.rows[s])

    def where(self, s: int, dep: bool = True) -> str:
        """How an error names the sample ``s``: ``sample 7``, or ``every sample``."""
        return f"sample {self.sample(s)}" if dep else "every sample"

    def keep(self, mask: np.ndarray) -> None:
        """Go on with the samples in ``mask`` only (those that follow the recorded branches)."""
        for b, per_sample in enumerate(self.dep):
            if per_sample and self.blocks[b] is not None:
                self.blocks[b] = self.blocks[b][:, mask]
        self.rows = self.rows[mask]
        self.n = len(self.rows)


class Replay:
    """A forward pass over a batch: its chunks (``Run`` s), and the batch rows that were kept."""

    __slots__ = ("chunks", "columns", "n", "rows")

    def __init__(self, chunks: list[Run], columns: np.ndarray) -> None:
        self.chunks = chunks
        self.columns = columns  # the samples, one row per input: block 0 of the chunks
        self.rows = (chunks[0].rows if len(chunks) == 1
                     else np.concatenate([c.rows for c in chunks]))
        self.n = len(self.rows)


class Gather:
    """Rows of some blocks, seen as one array: a step's operand, or a matrix product's x's."""

    __slots__ = ("blocks", "segments", "single")

    def __init__(self, locs: Sequence[tuple[int, int]], block_rows: list[int]) -> None:
        runs: list[tuple[int, list[int]]] = []
        for block, row in locs:
            if runs and runs[-1][0] == block:
                runs[-1][1].append(row)
            else:
                runs.append((block, [row]))
        self.segments: list[tuple[int, Any, int, int, bool, bool]] = []
        lo = 0
        for block, rows in runs:
            hi = lo + len(rows)
            sel: Any
            if rows == list(range(rows[0], rows[0] + len(rows))):
                sel = slice(rows[0], rows[-1] + 1)  # a view: no copy
                unique = True
                full = rows[0] == 0 and len(rows) == block_rows[block]
            else:
                sel = np.array(rows)
                unique = len(set(rows)) == len(rows)
                full = False
            self.segments.append((block, sel, lo, hi, unique, full))
            lo = hi
        self.single = len(self.segments) == 1
        self.blocks = [seg[0] for seg in self.segments]

    def wanted(self, run: Run) -> bool:
        """Does backward want the gradient of any of these rows (``Plan.wanted``)?"""
        return any(map(run.wanted.__getitem__, self.blocks))

    def get(self, blocks: list) -> np.ndarray:
        """The gathered rows of the current values (a view when they are one run of a block)."""
        if self.single:
            block, sel = self.segments[0][:2]
            return blocks[block][sel]
        return np.concatenate([blocks[seg[0]][seg[1]] for seg in self.segments])

    def add(self, run: Run, c: np.ndarray, fresh: bool) -> None:
        """Add the contribution ``c`` (one row per gathered row) into the blocks' gradients.

        ``fresh``: ``c`` is a temporary nobody else holds, which may become a
        gradient block as it is, without a copy.
        """
        blocks, grads, wanted = run.blocks, run.grads, run.wanted
        for block, sel, lo, hi, unique, full in self.segments:
            if not wanted[block]:  # a stop-gradient value, or an input whose gradient is not asked
                continue
            part = c if self.single else c[lo:hi]
            target = blocks[block]
            own = fresh and self.single
            if part.shape[1] != target.shape[1]:  # a value shared by all samples: sum over them
                part = part.sum(axis=1, keepdims=True)
                own = True
            g = grads[block]
            if g is None:
                if full and own and part.shape == target.shape:
                    grads[block] = part
                    continue
                g = grads[block] = run.zeros(("grad", block), target.shape)
            if unique:
                g[sel] += part
            else:
                np.add.at(g, sel, part)  # an index array may repeat a row (x * x in one group)


# --------------------------------------------------------------------------- forward


def forward(plan: Plan, X: np.ndarray, strict: bool = True, rows: np.ndarray | None = None,
            recycle: Replay | None = None) -> Replay:
    """Evaluate every item on the samples ``X`` (n, inputs), chunk by chunk.

    ``strict``: a sample that takes another branch raises ``BranchError``;
    otherwise it is dropped (``TapeCache``), and ``Replay.rows`` says which
    batch rows remain. ``rows`` are the batch indices of ``X``'s samples.
    ``recycle``: a previous replay of this plan, done with, whose arrays
    this one may overwrite.
    """
    n = X.shape[0]
    if rows is None:
        rows = plan.arange if len(plan.arange) == n else np.arange(n)
        plan.arange = rows  # never written to: shared by the replays of a batch size
    columns = recycle.columns if recycle is not None else None
    if columns is None or columns.shape != X.shape[::-1]:
        columns = np.empty(X.shape[::-1])
    np.copyto(columns, X.T)
    params = np.fromiter(map(_DATA, plan.params), float, len(plan.params)).reshape(-1, 1)
    spares = [c.owned for c in recycle.chunks] if recycle is not None else []
    size = -(-n // max(1, -(-n // CHUNK)))  # chunks of equal size, at most CHUNK each
    chunks = []
    with np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
        for c, lo in enumerate(range(0, max(n, 1), max(size, 1))):
            spare = spares[c] if c < len(spares) else None
            run = Run(plan.block_dep, rows[lo:lo + size], strict, spare)
            run.blocks[0] = columns[:, lo:lo + size]
            run.blocks[1] = params
            for item in plan.items:
                if run.n == 0:
                    break
                item.forward(run)
            chunks.append(run)
    return Replay(chunks, columns)


def values(plan: Plan, replay: Replay) -> np.ndarray:
    """The outputs of a replay: shape (n, number of outputs); (0, outputs) for no samples."""
    out = np.empty((replay.n, len(plan.outputs)))
    lo = 0
    for run in replay.chunks:
        if run.n:
            for j, (block, row) in enumerate(plan.output_locs):
                out[lo:lo + run.n, j] = run.blocks[block][row]
        lo += run.n
    return out


# --------------------------------------------------------------------------- backward


def backward(plan: Plan, replay: Replay, seed: np.ndarray, inputs: bool = True
             ) -> np.ndarray | None:
    """Backpropagate ``seed`` (n, outputs); add the batch sums to the parameters' grads.

    Returns the gradients with respect to the inputs, shape (n, inputs), or
    None for ``inputs=False``, which leaves out the steps that only lead to
    them. As the scalar engine's backward: the seed must be finite; inf and
    nan that come from non-finite data flow on; a rule that fails on a
    sample raises its error; and if finite data gave a non-finite gradient,
    ``NumericOverflow`` names the step. On an error no parameter's ``grad``
    changes. An empty batch adds nothing.
    """
    distinct = seed[:1] if seed.strides[0] == 0 else seed  # a number for every sample: one row
    if not np.isfinite(distinct).all():
        bad = float(distinct[~np.isfinite(distinct)][0])
        raise ValueError(f"backward: the gradient to start from must be finite, got {bad!r}")
    if replay.n == 0:
        return np.zeros((0, plan.n_inputs)) if inputs else None
    gp, g_inputs = _sweep(plan, replay, seed, 0, inputs)
    if not _finite(gp, g_inputs):  # look closer, as the scalar engine's backward would
        gp, g_inputs = _sweep(plan, replay, seed, 1, inputs)  # a partial that fails raises
        if not _finite(gp, g_inputs):
            _sweep(plan, replay, seed, 2, inputs)  # a product that overflows raises
            blame(replay, seed, gp, g_inputs)
    for p, g in zip(plan.params, gp[:, 0].tolist(), strict=True):
        old = p.grad
        p.grad = g if old is None else old + g  # None: zero_grad(set_to_none=True)
    return g_inputs


def _finite(gp: np.ndarray, g_inputs: np.ndarray | None) -> bool:
    """Are all gradients finite? Two sums, not a pass per array (a sum that overflows: look closer)."""
    with np.errstate(all="ignore"):
        return math.isfinite(gp.sum()) and (g_inputs is None or math.isfinite(g_inputs.sum()))


def _sweep(plan: Plan, replay: Replay, seed: np.ndarray, careful: int, inputs: bool
           ) -> tuple[np.ndarray, np.ndarray | None]:
    """The backward pass proper, chunk by chunk: (parameter gradients, input gradients (n, d)).

    ``careful`` 0: numpy's flags off, nothing checked (the fast pass); 1: each
    step computes its partials with the flags raising and settles the samples
    where they do (``autograd.tape.checks``); 2: each step also checks its
    contributions for an overflow. ``inputs``: compute the input gradients.
    """
    gp = np.zeros((len(plan.params), 1))
    g_inputs = np.empty((replay.n, plan.n_inputs)) if inputs else None  # returned: fresh
    wanted = plan.wanted[0 if inputs else 1]
    lo = 0
    for run in replay.chunks:
        if not run.n:
            continue
        run.grads = [None] * len(plan.block_rows)
        run.grads[1] = gp  # shared by the chunks: their parameter gradients add up
        run.careful = careful
        run.wanted = wanted
        run.free = {}
        with np.errstate(all="ignore"):  # inf and nan flow on as in floats; steps check partials
            for j, (gather, column) in enumerate(zip(plan.out_gathers, seed[lo:lo + run.n].T,
                                                     strict=True)):
                constant = column.strides[0] == 0  # one number for every sample: no pass over it
                if not (column[0] if constant else column.any()):
                    continue
                start = run.buffer(("seed", j), (1, run.n))
                if constant:
                    start.fill(column[0])
                else:
                    np.copyto(start[0], column)
                gather.add(run, start, fresh=True)
            for item in reversed(plan.items):
                item.backward(run)
        if g_inputs is not None:
            g_inputs[lo:lo + run.n] = 0.0 if run.grads[0] is None else run.grads[0].T
        run.grads = [None] * len(plan.block_rows)  # the gradient blocks stay in run.owned
        run.careful, run.free = 0, None
        lo += run.n
    return gp, g_inputs
