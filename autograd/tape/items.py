"""The items of a plan: each computes one block of a chunk, forward, and sends its gradient back.

- ``Group``: k steps of one row of the primitive table (same constant
  parameters), evaluated generically with the row's own functions on the
  ``ARRAYS`` backend: forward(ARRAYS, ...) and partials(ARRAYS, ...). A row
  added to the table at runtime replays with no change here. On large
  blocks the row's numpy calls write into the previous replay's arrays
  (``autograd.tape.buffers``).
- ``Affine``: m neurons reading the same p values, out = W @ X + b: one
  matrix product (see its docstring: the one place where derivatives are
  written by hand, and how they are checked against the rows).
- ``Derived``: a stop-gradient value, a postfix program over other nodes.
- ``Guard``: a recorded branch decision, checked on every sample.

Every item has ``forward(run)`` and ``backward(run)`` on a ``Run`` (one chunk
of samples); ``autograd.tape.run`` calls them in order, and in reverse.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..errors import BranchError, TraceError
from ..primitives import ARRAYS, Op
from . import checks
from .buffers import plain
from .expr import COMPARISONS, Decision, Program, prog_nodes, prog_text
from .run import Gather, Run


class Group:
    """``k`` steps of one op (with the same parameters): one call of the row's functions."""

    __slots__ = ("block", "dep", "domain", "fwd", "k", "members", "op", "operands", "params",
                 "part", "prim")

    def __init__(self, op: Op, members: list[int], operands: list[Gather], block: int,
                 dep: bool) -> None:
        self.op, self.prim, self.params = op, op.prim, op.params
        self.fwd, self.part, self.domain = op.prim.forward, op.prim.partials, op.prim.domain
        self.members, self.k = members, len(members)
        self.operands, self.block, self.dep = operands, block, dep

    def __repr__(self) -> str:
        return f"Group({self.op}, {self.k} step{'s' if self.k > 1 else ''})"

    def forward(self, run: Run) -> None:
        """out = forward(ARRAYS, x_1, ..., x_k): the domain checked first, flags settled after."""
        xs = [g.get(run.blocks) for g in self.operands]
        shape = (self.k, run.n if self.dep else 1)
        if self.domain is not None:
            ok = self.domain(*xs, *self.params)
            if ok is not True and not np.all(ok):
                raise checks.domain_error(self.op, xs, ok, shape, run, self.dep)
        calls = run.calls((self, "forward"), self.k)
        try:
            out = self.fwd(ARRAYS, *(xs if calls is None else calls.begin(*xs)), *self.params)
        except FloatingPointError:  # numpy flagged inf or nan: the scalar engine decides
            with np.errstate(all="ignore"):
                out = self.fwd(ARRAYS, *xs, *self.params)
            out = checks.settle(self.op, xs, out, shape, run, self.dep)
        except (TypeError, ValueError, AttributeError) as exc:
            raise self._no_array_rule("forward", exc) from exc
        out = plain(out)
        if np.shape(out) != shape:
            out = np.broadcast_to(out, shape)
        run.blocks[self.block] = out

    def backward(self, run: Run) -> None:
        """g_i += d_i * g for each operand, d_i from the row's partials (on ARRAYS).

        A partial the row computed into an array of its own (``Calls``) is
        multiplied by g in place, and becomes the operand's gradient block if
        it is the first to reach it: no array is allocated.
        """
        g = run.grads[self.block]
        if g is None:  # no output depends on these steps
            return
        xs = [op.get(run.blocks) for op in self.operands]
        out = run.blocks[self.block]
        calls = None
        ds: Sequence[Any]
        try:
            if run.careful:
                try:
                    with np.errstate(divide="raise", invalid="raise", over="raise"):
                        ds = self.part(ARRAYS, out, *xs, *self.params)
                except FloatingPointError:  # an infinite or undefined partial: floats decide
                    shape = (self.k, run.n if self.dep else 1)
                    ds = checks.settle_partials(self.op, xs, out, shape, run, self.dep)
                if run.careful == 2:
                    checks.check_contributions(self.op, xs, out, ds, g, run, self.dep)
            else:
                calls = run.calls((self, "partials"), self.k)
                ds = self.part(ARRAYS, *([out, *xs] if calls is None else calls.begin(out, *xs)),
                               *self.params)
        except (TypeError, ValueError, AttributeError) as exc:
            raise self._no_array_rule("partials", exc) from exc
        for p, (gather, d) in enumerate(zip(self.operands, ds, strict=True)):
            if not gather.wanted(run):
                continue
            if type(d) is float and d == 1.0:  # '+' and friends: pass the gradient on unscaled
                gather.add(run, g, fresh=False)
                continue
            mine = calls is not None and calls.owns(d) and d.shape == g.shape and _alone(d, ds)
            d = plain(d)  # if mine: an array the row made for this partial alone, overwritten
            product = d if mine else run.scratch((self, p), g.shape)
            try:
                product = np.multiply(d, g, out=product)
            except ValueError:  # a partial wider than the gradient it multiplies
                product = d * g
            gather.add(run, product, fresh=True)
        run.release(self.block)

    def _no_array_rule(self, what: str, exc: Exception) -> TraceError:
        return TraceError(f"op {self.op!r} has no array rule: its {what} function failed on "
                          f"numpy arrays ({type(exc).__name__}: {exc})")


def _alone(d: Any, ds: Sequence[Any]) -> bool:
    """Is ``d`` the only one of the partials ``ds`` in its memory (so it may be overwritten)?"""
    if len(ds) == 1:
        return True
    return not any(e is not d and isinstance(e, np.ndarray) and np.may_share_memory(d, e)
                   for e in ds)


class Affine:
    """``m`` linear forms over the same ``p`` values: out = W @ X + b, one matrix product.

    Row j is a neuron's b_j + w_j1 x_1 + ... + w_jp x_p, a tree of ``+`` and
    ``*`` steps whose weights are parameters. This is the ONE place where the
    tape does not evaluate rows of the primitive table: it uses what the
    ``+`` and ``*`` rows' partials (1, 1 and b, a) give for the whole tree::

        forward:   out = W X + b
        backward:  dX = W^T g,   dW = g X^T,   db = sum over samples of g

    The terms are added in another order than the scalar engine's, so a sum
    may differ in its last bits. ``tests/autograd/test_tape_plan.py`` checks
    this item against the plain plan (one row per step) on random networks.
    ``steps[j]`` are row j's own steps, how the scalar engine computes it,
    for the samples whose sum is not finite (``checks.settle_sums``).

    Speed: the products write into kept arrays (``Run.buffer``, ``Run.scratch``);
    for one neuron, W^T g is an outer product, done by broadcasting (BLAS is
    five times slower at it); g X^T, a sum over the samples, is done in pieces
    (``_sum_over_samples``).
    """

    __slots__ = ("bias", "bias_unique", "block", "cache", "ones", "steps", "unique", "weights",
                 "widx", "xs")

    def __init__(self, xs: Gather, widx: np.ndarray, bias: np.ndarray | None, block: int,
                 steps: list[list[tuple]]) -> None:
        self.xs, self.widx, self.bias, self.block, self.steps = xs, widx, bias, block, steps
        flat = widx.ravel()
        self.weights = flat
        self.unique = len(set(flat.tolist())) == flat.size
        self.bias_unique = bias is None or len(set(bias.tolist())) == bias.size
        self.cache: tuple[Any, np.ndarray, Any] = (None, widx, None)
        self.ones = np.ones(0)

    def _ones(self, n: int) -> np.ndarray:
        """n ones, kept: g @ ones sums g over the samples (never written to, so safe with threads)."""
        ones = self.ones
        if len(ones) != n:
            ones = self.ones = np.ones(n)
        return ones

    def __repr__(self) -> str:
        rows, cols = self.widx.shape
        return f"Affine({rows} x {cols}{' + bias' if self.bias is not None else ''})"

    def _matrices(self, p: np.ndarray) -> tuple[np.ndarray, Any]:
        """W and b (as a column) read from the parameters, once per replay, not once per chunk."""
        cache = self.cache
        if cache[0] is not p:
            column = p[:, 0]
            b = None if self.bias is None else column[self.bias][:, None]
            cache = self.cache = (p, column[self.widx], b)  # one tuple: safe with threads
        return cache[1], cache[2]

    def forward(self, run: Run) -> None:
        """out = W @ X + b; one BLAS pass says whether it is all finite (BLAS sets no flags)."""
        p = run.blocks[1][:, 0]
        w, b = self._matrices(run.blocks[1])
        x = self.xs.get(run.blocks)
        out = run.buffer(self, (len(w), x.shape[1]))
        try:
            _product(w, x, out)
            if b is not None:
                out += b
        except FloatingPointError:  # numpy flagged inf or nan
            with np.errstate(all="ignore"):
                out = w @ x
                if b is not None:
                    out += b
            finite = False
        else:
            finite = _all_finite(out)
        if not finite:
            checks.settle_sums(self.steps, p, x, out, run)
        run.blocks[self.block] = out

    def backward(self, run: Run) -> None:
        """dX = W^T g into the x's blocks; dW = g X^T and db = g summed, into the parameters."""
        g = run.grads[self.block]
        if g is None:
            return
        w, _ = self._matrices(run.blocks[1])
        x = self.xs.get(run.blocks)
        gp = run.grads[1][:, 0]
        if run.careful == 2:
            checks.check_products(w, x, g, run)
        if self.xs.wanted(run):
            dx = run.scratch((self, "dx"), x.shape)
            if len(w) == 1:  # one neuron: an outer product, which BLAS does slowly
                np.multiply(w.T, g, out=dx)
            else:
                _product(w.T, g, dx)
            self.xs.add(run, dx, fresh=True)
        dw = _sum_over_samples(g, x).ravel()
        if self.unique:
            gp[self.weights] += dw
        else:
            np.add.at(gp, self.weights, dw)
        if self.bias is not None:
            db = g @ self._ones(g.shape[1])  # BLAS's dot: a third faster than g.sum(axis=1)
            if self.bias_unique:
                gp[self.bias] += db
            else:
                np.add.at(gp, self.bias, db)
        run.release(self.block)


SMALL_GEMM = 1_000_000
"""OpenBLAS multiplies an (m x k) by a (k x p) matrix with a kernel for small ones when m p k
is at most about this: for 16 x 16 outputs it is twice as fast as its general kernel."""


SMALL_PRODUCT = 640_000
"""W X for W of m x k is fastest, with OpenBLAS, in pieces of samples with m k samples at most
about this: for W of 16 x 16 on 10,000 samples, four products of 2,500 take three quarters of
the time of one (pieces of 3,900 take as long as one)."""


def _product(w: np.ndarray, x: np.ndarray, out: np.ndarray) -> None:
    """out = w @ x, in pieces of samples that OpenBLAS multiplies fastest (``SMALL_PRODUCT``)."""
    n = x.shape[1]
    piece = SMALL_PRODUCT // (w.shape[0] * w.shape[1])
    if piece >= n or piece < 1000:
        np.matmul(w, x, out=out)
        return
    for lo in range(0, n, piece):
        np.matmul(w, x[:, lo:lo + piece], out=out[:, lo:lo + piece])


def _all_finite(out: np.ndarray) -> bool:
    """Is every element of ``out`` finite? One BLAS pass: the sum of the squares.

    It is inf or nan if an element is, and is computed at BLAS's speed, twice
    numpy's own sum's. Squares past the largest float (elements beyond about
    1e154) overflow, and numpy raises: then the elements are looked at one by one.
    """
    flat = out.reshape(-1)
    try:
        return math.isfinite(np.dot(flat, flat))
    except FloatingPointError:
        return bool(np.isfinite(flat).all())


def _sum_over_samples(g: np.ndarray, x: np.ndarray) -> np.ndarray:
    """g @ x.T, summed over the samples in pieces that OpenBLAS treats as small matrices.

    Measured with numpy's OpenBLAS: for a 16 x 16 result over 10,000 samples,
    five products of 2,000 samples and four additions take half the time of
    one product. Pieces get no shorter than 1,000 samples (for wide layers
    one product is then as fast).
    """
    n = g.shape[1]
    piece = SMALL_GEMM // (g.shape[0] * x.shape[0])
    if piece >= n or piece < 1000:
        return g @ x.T
    total = g[:, :piece] @ x[:, :piece].T
    part = np.empty_like(total)
    for lo in range(piece, n, piece):
        total += np.matmul(g[:, lo:lo + piece], x[:, lo:lo + piece].T, out=part)
    return total


class Derived:
    """A stop-gradient value computed from other nodes (``m`` in ``v - m``, for m read as data)."""

    __slots__ = ("block", "dep", "prog", "value")

    def __init__(self, prog: Program, block: int, dep: bool,
                 value: Callable[[Run, Any], Any]) -> None:
        self.prog, self.block, self.dep, self.value = prog, block, dep, value

    def __repr__(self) -> str:
        return f"Derived({prog_text(self.prog)})"

    def forward(self, run: Run) -> None:
        """The program on this chunk's arrays (per sample where numpy flags inf or nan)."""
        width = run.n if self.dep else 1
        result = checks.eval_settled(self.prog, run, self.value, self.dep)
        result = np.broadcast_to(np.asarray(result, dtype=float), (width,))
        run.blocks[self.block] = result.reshape(1, width)

    def backward(self, run: Run) -> None:
        """Nothing: no gradient flows through a stop-gradient."""


class Guard:
    """Check one recorded branch decision on every sample."""

    __slots__ = ("decision", "dep", "describe", "value")

    def __init__(self, decision: Decision, dep: bool, value: Callable[[Run, Any], Any],
                 describe: Callable[[int], str]) -> None:
        self.decision, self.dep, self.value, self.describe = decision, dep, value, describe

    def __repr__(self) -> str:
        return f"Guard({self.decision.text} is {self.decision.outcome})"

    def forward(self, run: Run) -> None:
        """Raise ``BranchError`` for the first sample that branches otherwise (or drop it)."""
        d = self.decision
        lhs = checks.eval_settled(d.lhs, run, self.value, self.dep)
        rhs = checks.eval_settled(d.rhs, run, self.value, self.dep)
        bad = np.broadcast_to(COMPARISONS[d.op](lhs, rhs) != d.outcome, (run.n,))
        if not bad.any():
            return
        if run.strict:
            raise self._error(run, lhs, rhs, int(np.flatnonzero(bad)[0]))
        run.keep(~bad)

    def backward(self, run: Run) -> None:
        """Nothing: a decision has no gradient."""

    def _error(self, run: Run, lhs: Any, rhs: Any, s: int) -> BranchError:
        d = self.decision
        if self.dep:
            who = f"sample {run.sample(s)} takes another branch than the traced one"
        else:
            who = "the parameters changed since tracing, and a branch that reads them turned"
        shown = ", ".join(f"{prog_text(prog)} = {checks.element(v, 0, s)!r}"
                          for prog, v in ((d.lhs, lhs), (d.rhs, rhs)) if prog_nodes(prog))
        nodes = dict.fromkeys(prog_nodes(d.lhs) + prog_nodes(d.rhs))
        where = "; ".join(f"%{i} = {self.describe(i)}" for i in nodes)
        return BranchError(
            f"{who}: at {d.site}, {d.text} was {d.outcome} when traced and is {not d.outcome} "
            f"here ({shown}; {where}). Trace again, or use autograd.TapeCache, which keeps "
            "one tape per branch"
        )
