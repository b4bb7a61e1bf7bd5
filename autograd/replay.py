"""Replaying a traced tape on numpy arrays: one row of the primitive table per step, all samples at once.

A tape (``autograd.trace``) numbers the nodes of a recorded graph: inputs,
parameters (every leaf that is not an input, read afresh at each replay) and
one node per primitive step. Replaying it on a batch holds, for every node,
an array with its value for each sample, and evaluates each step's row of the
primitive table with the ``ARRAYS`` backend, as the scalar engine does one
sample at a time:

- forward:   v_out  = forward(ARRAYS, v_1, ..., v_k)       elementwise over samples
- backward:  g_i   += d_i(v_out, v_1, ..., v_k) * g_out     elementwise, d_i from the row

A parameter p has one value for all samples, so its gradient is summed over
the batch: dL/dp = sum_s d_p(s) * g_out(s).

A *plan* says how the steps run. Plain (``fuse=False``): one numpy call per
step, in tape order. Fused (the default), two speed tricks turn a layer of
neurons into a few numpy calls:

- grouping: steps of the same op whose inputs are ready at the same depth run
  as one call on a 2-D array, one row per step (a layer's 16 ReLUs are one
  ``np.maximum``);
- linear forms: a sum b + w_1 x_1 + ... + w_p x_p of parameter-times-value
  products (a neuron) becomes a row of one matrix product W @ X + b, shared
  by the neurons that read the same x's. The terms are then added in another
  order, so such a sum can differ from the scalar engine's in the last bits.

Every node lives in a row of a *block*, a 2-D array with one column per
sample: block 0 holds the inputs, block 1 the parameters (a single column:
the same for every sample, as is any node that depends on no input), and each
plan item writes one new block.

Checks mirror the scalar engine's: a row's domain predicate is evaluated on
the arrays (``DomainError`` naming the op and the first offending sample's
inputs), a finite input giving a non-finite output is ``NumericOverflow``, an
infinite derivative raises in backward, and each recorded branch decision is
re-evaluated per sample (``BranchError``).

Non-finite numbers (inf, nan, or a value that overflows) follow the scalar
engine sample by sample. numpy computes with every floating-point flag
raising; where one is raised, the samples with a non-finite input or result
are computed again by the scalar engine itself (``autograd.scalar.evaluate``
forward, the row's partials on floats backward), so a replay gives the value
the scalar engine gives (inf included), or raises its error (``DomainError``,
``DivisionByZero``, ``NumericOverflow``) naming the sample. In backward, inf
and nan that come from non-finite data flow on silently, as in the scalar
engine; if finite data gave a non-finite gradient, a second, checking pass
finds the step to blame (``NumericOverflow``). An empty batch replays to
empty results.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import DivisionByZero, DomainError, NumericOverflow, OpError
from .primitives import ARRAYS, FLOATS, PRIMITIVES, Op
from .scalar import evaluate

__all__ = ["BranchError", "Decision", "Plan", "TraceError"]


class TraceError(RuntimeError):
    """``f`` cannot be traced faithfully: its tape would not compute what ``f`` computes."""


class BranchError(TraceError):
    """A sample (or a changed parameter) would take another branch than the one the tape recorded."""


# --------------------------------------------------------------------------- expressions

# A value read from a node while tracing (``v.data``) may go through a little arithmetic
# before it is compared or turned back into a constant. It is kept as a postfix program:
# ("node", i) and ("const", c) push a value, ("neg",), ("abs",) apply to the top one, and
# ("add",), ("sub",), ("mul",), ("div",), ("pow",) combine the top two.
UNARY: dict[str, tuple[Callable, str]] = {"neg": (np.negative, "-{}"), "abs": (np.abs, "abs({})")}
BINARY: dict[str, tuple[Callable, str]] = {
    "add": (np.add, "+"), "sub": (np.subtract, "-"), "mul": (np.multiply, "*"),
    "div": (np.true_divide, "/"), "pow": (np.power, "**"),
}
FLOAT_OPS: dict[str, Callable] = {  # the same, on Python floats, as a TracedFloat computes
    "neg": operator.neg, "abs": abs, "add": operator.add, "sub": operator.sub,
    "mul": operator.mul, "div": operator.truediv, "pow": operator.pow,
}
COMPARISONS: dict[str, Callable] = {
    "<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal,
    "==": np.equal, "!=": np.not_equal,
}


def prog_nodes(prog: Sequence[tuple]) -> list:
    """The nodes an expression reads."""
    return [tok[1] for tok in prog if tok[0] == "node"]


def prog_text(prog: Sequence[tuple], name: Callable[[Any], str] = lambda i: f"%{i}") -> str:
    """An expression as it reads: ``abs(%12) < 1.0``'s left side is ``abs(%12)``."""
    stack: list[str] = []
    for tok in prog:
        kind = tok[0]
        if kind == "node":
            stack.append(name(tok[1]))
        elif kind == "const":
            stack.append(repr(tok[1]))
        elif kind in UNARY:
            stack.append(UNARY[kind][1].format(stack.pop()))
        else:
            b, a = stack.pop(), stack.pop()
            stack.append(f"({a} {BINARY[kind][1]} {b})")
    text = stack.pop()
    return text[1:-1] if text.startswith("(") and text.endswith(")") else text


def prog_eval(prog: Sequence[tuple], value: Callable[[Any], Any],
              ops: dict[str, Callable] | None = None) -> Any:
    """Evaluate an expression, ``value(i)`` giving node i's value (a float or an array).

    The operations are numpy's, or ``ops`` (``FLOAT_OPS``: Python's, which
    raise where a traced float would: ``x / 0`` is a ZeroDivisionError).
    """
    stack: list[Any] = []
    for tok in prog:
        kind = tok[0]
        if kind == "node":
            stack.append(value(tok[1]))
        elif kind == "const":
            stack.append(tok[1])
        elif kind in UNARY:
            stack.append((ops[kind] if ops else UNARY[kind][0])(stack.pop()))
        else:
            b, a = stack.pop(), stack.pop()
            stack.append((ops[kind] if ops else BINARY[kind][0])(a, b))
    return stack.pop()


@dataclass(frozen=True)
class Decision:
    """A branch taken while tracing: ``lhs op rhs`` was ``outcome``, at ``site`` in the user's code.

    ``lhs`` and ``rhs`` are expressions over tape nodes (see ``prog_text``);
    replay evaluates them for every sample and refuses a sample for which
    the comparison comes out the other way.
    """

    lhs: tuple
    op: str
    rhs: tuple
    outcome: bool
    site: str

    @property
    def text(self) -> str:
        return f"{prog_text(self.lhs)} {self.op} {prog_text(self.rhs)}"

    def __str__(self) -> str:
        return f"{self.text} was {self.outcome}, at {self.site}"


# --------------------------------------------------------------------------- a replay in progress


class _Run:
    """One replay: the blocks of values (and, after backward, of gradients) for ``n`` samples."""

    __slots__ = ("block_dep", "blocks", "check", "grads", "n", "rows", "strict")

    def __init__(self, block_dep: list[bool], rows: np.ndarray, strict: bool) -> None:
        self.block_dep = block_dep
        self.blocks: list[Any] = [None] * len(block_dep)
        self.grads: list[Any] = [None] * len(block_dep)
        self.rows = rows  # the original index of each sample, for error messages
        self.n = len(rows)
        self.strict = strict
        self.check = False  # the checking backward pass: each step looks for overflows

    def sample(self, s: int) -> int:
        return int(self.rows[s])

    def where(self, s: int, dep: bool = True) -> str:
        """How an error names the sample ``s``: ``sample 7``, or ``every sample``."""
        return f"sample {self.sample(s)}" if dep else "every sample"

    def keep(self, mask: np.ndarray) -> None:
        """Go on with the samples in ``mask`` only (those that follow the recorded branches)."""
        for b, per_sample in enumerate(self.block_dep):
            if per_sample and self.blocks[b] is not None:
                self.blocks[b] = self.blocks[b][:, mask]
        self.rows = self.rows[mask]
        self.n = len(self.rows)


class _Gather:
    """Rows of some blocks, stacked into one array: a step's operand, or a linear form's x's."""

    __slots__ = ("nograd", "segments", "single")

    def __init__(self, locs: Sequence[tuple[int, int]], block_rows: list[int], nograd: set) -> None:
        runs: list[tuple[int, list[int]]] = []
        for block, row in locs:
            if runs and runs[-1][0] == block:
                runs[-1][1].append(row)
            else:
                runs.append((block, [row]))
        self.segments = []
        lo = 0
        for block, rows in runs:
            hi = lo + len(rows)
            if rows == list(range(rows[0], rows[0] + len(rows))):
                sel: Any = slice(rows[0], rows[-1] + 1)  # a view: no copy
                unique = True
                full = rows[0] == 0 and len(rows) == block_rows[block]
            else:
                sel = np.array(rows)
                unique = len(set(rows)) == len(rows)
                full = False
            self.segments.append((block, sel, lo, hi, unique, full, block in nograd))
            lo = hi
        self.single = len(self.segments) == 1
        self.nograd = all(seg[6] for seg in self.segments)

    def get(self, blocks: list) -> np.ndarray:
        if self.single:
            block, sel = self.segments[0][:2]
            return blocks[block][sel]
        return np.concatenate([blocks[seg[0]][seg[1]] for seg in self.segments])

    def add(self, run: _Run, c: np.ndarray, fresh: bool) -> None:
        """Add the contribution ``c`` (one row per gathered row) into the blocks' gradients."""
        blocks, grads = run.blocks, run.grads
        for block, sel, lo, hi, unique, full, nograd in self.segments:
            if nograd:  # a stop-gradient value: nothing flows back through it
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
                    grads[block] = part  # a temporary nobody else holds: keep it, skip a copy
                    continue
                g = grads[block] = np.zeros(target.shape)
            if unique:
                g[sel] += part
            else:
                np.add.at(g, sel, part)  # an index array may repeat a row (x * x in one group)


def _first_bad(bad: np.ndarray) -> tuple[int, int]:
    """(row, sample) of the first True in ``bad``, the lowest sample first."""
    s = int(np.flatnonzero(bad.any(axis=0))[0])
    return int(np.flatnonzero(bad[:, s])[0]), s


def _element(x: Any, j: int, s: int) -> float:
    a = np.asarray(x, dtype=float)
    if a.ndim < 2:
        return float(a.reshape(-1)[0]) if a.size == 1 else float(a.reshape(-1)[s])
    return float(a[j if a.shape[0] > 1 else 0, s if a.shape[1] > 1 else 0])


def _at(exc: OpError, where: str) -> OpError:
    """The scalar engine's error ``exc`` again, saying which sample it was: ``(sample 3)``."""
    return type(exc)(exc.op, exc.inputs, f"{exc.reason} ({where})")


def _error_class(exc: BaseException) -> type[OpError]:
    """The engine's error for a failure of Python's float arithmetic (as ``reverse._explain``)."""
    if isinstance(exc, ZeroDivisionError):
        return DivisionByZero
    if isinstance(exc, OverflowError):
        return NumericOverflow
    return DomainError


def _suspects(shape: tuple[int, int], arrays: Sequence[Any]) -> Any:
    """(sample, row) pairs where any of ``arrays`` is not finite, the lowest sample first."""
    bad = np.zeros(shape, dtype=bool)
    for a in arrays:
        bad |= ~np.isfinite(np.broadcast_to(a, shape))
    return zip(*(index.tolist() for index in np.nonzero(bad.T)))


def _eval_settled(prog: tuple, run: _Run, value: Callable, dep: bool) -> Any:
    """``prog`` on a replay's arrays; where numpy flags inf or nan, per sample as the traced code.

    The traced function computed such an expression on Python floats
    (``TracedFloat``): a sample whose result is not finite is evaluated so
    again, and raises what Python raised there (``x / 0``: ``DivisionByZero``).
    """
    def column(i: Any) -> Any:
        return value(run, i)

    try:
        return prog_eval(prog, column)
    except FloatingPointError:
        pass
    with np.errstate(all="ignore"):
        result = np.array(np.broadcast_to(prog_eval(prog, column), (run.n if dep else 1,)),
                          dtype=float)
    for s in np.flatnonzero(~np.isfinite(result)).tolist():
        def at(i: Any, s: int = s) -> float:
            return _element(value(run, i), 0, s)

        try:
            result[s] = float(prog_eval(prog, at, FLOAT_OPS))  # (-8) ** 0.5 is complex: fails
        except (ArithmeticError, TypeError, ValueError) as exc:
            raise _error_class(exc)(
                prog_text(prog), [at(i) for i in prog_nodes(prog)], f"{exc} ({run.where(s, dep)})"
            ) from None
    return result


# --------------------------------------------------------------------------- plan items


class _Step:
    """A group of ``k`` steps of one op (with the same parameters): one numpy call forward."""

    __slots__ = ("block", "dep", "domain", "fwd", "k", "members", "op", "operands", "params",
                 "part", "prim")

    def __init__(self, op: Op, members: list[int], operands: list[_Gather], block: int, dep: bool):
        self.op, self.prim, self.params = op, op.prim, op.params
        self.fwd, self.part, self.domain = op.prim.forward, op.prim.partials, op.prim.domain
        self.members, self.k = members, len(members)
        self.operands, self.block, self.dep = operands, block, dep

    def forward(self, run: _Run) -> None:
        xs = [g.get(run.blocks) for g in self.operands]
        if self.domain is not None:
            ok = self.domain(*xs, *self.params)
            if ok is not True and not np.all(ok):
                raise self._domain_error(xs, ok, run)
        try:
            out = self.fwd(ARRAYS, *xs, *self.params)
        except FloatingPointError:  # numpy flagged inf or nan: the scalar engine decides
            with np.errstate(all="ignore"):
                out = self.fwd(ARRAYS, *xs, *self.params)
            out = self._settle(xs, out, run)
        except (TypeError, ValueError, AttributeError) as exc:
            raise TraceError(
                f"op {self.op!r} has no array rule: its forward function failed on numpy arrays "
                f"({type(exc).__name__}: {exc})"
            ) from exc
        shape = (self.k, run.n if self.dep else 1)
        if np.shape(out) != shape:
            out = np.broadcast_to(out, shape)
        run.blocks[self.block] = out

    def backward(self, run: _Run) -> None:
        g = run.grads[self.block]
        if g is None:  # no output depends on these steps
            return
        xs = [op.get(run.blocks) for op in self.operands]
        out = run.blocks[self.block]
        try:
            with np.errstate(divide="raise", invalid="raise", over="raise"):
                ds = self.part(ARRAYS, out, *xs, *self.params)
        except FloatingPointError:  # an infinite or undefined partial: the scalar rule decides
            ds = self._settle_partials(xs, out, run)
        if run.check:
            self._check_contributions(xs, out, ds, g, run)
        for gather, d in zip(self.operands, ds):
            if gather.nograd:
                continue
            if type(d) is float and d == 1.0:  # '+' and friends: pass the gradient on unscaled
                gather.add(run, g, fresh=False)
            else:
                gather.add(run, d * g, fresh=True)

    def _domain_error(self, xs: list, ok: Any, run: _Run) -> OpError:
        bad = ~np.broadcast_to(np.asarray(ok, dtype=bool), (self.k, run.n if self.dep else 1))
        j, s = _first_bad(bad)
        where = f"sample {run.sample(s)}" if self.dep else "every sample"
        inputs = [_element(x, j, s) for x in xs]
        return self.prim.domain_error(self.op, inputs, f"{self.prim.domain_text} ({where})")

    def _settle(self, xs: list, out: Any, run: _Run) -> np.ndarray:
        """``out`` where numpy flagged inf or nan, made what the scalar engine gives.

        Each sample with a non-finite input or output is computed by the
        scalar engine (``evaluate``): its value replaces numpy's, or its error
        (``NumericOverflow`` for finite inputs, ``DomainError`` for
        ``sin(inf)``, ...) is raised naming the sample.
        """
        shape = (self.k, run.n if self.dep else 1)
        out = np.array(np.broadcast_to(out, shape), dtype=float)
        for s, j in _suspects(shape, [out, *xs]):
            try:
                out[j, s] = evaluate(self.op, tuple(_element(x, j, s) for x in xs))
            except OpError as exc:
                raise _at(exc, run.where(s, self.dep)) from None
        return out

    def _settle_partials(self, xs: list, out: Any, run: _Run) -> list[np.ndarray]:
        """The partials where numpy flagged inf or nan, made what the scalar rule gives.

        Each sample with a non-finite input, output or partial evaluates the
        row's partials on floats, as the scalar engine's backward does: their
        values replace numpy's, or the rule's failure (``0.5 / 0`` for sqrt
        at 0) raises the scalar engine's error naming the sample.
        """
        shape = (self.k, run.n if self.dep else 1)
        with np.errstate(all="ignore"):
            ds = [np.array(np.broadcast_to(d, shape), dtype=float)
                  for d in self.part(ARRAYS, out, *xs, *self.params)]
        for s, j in _suspects(shape, [out, *xs, *ds]):
            inputs = [_element(x, j, s) for x in xs]
            try:
                exact = self.part(FLOATS, _element(out, j, s), *inputs, *self.params)
            except (ArithmeticError, ValueError) as exc:
                raise _error_class(exc)(
                    f"backward of {self.op}", inputs,
                    f"the derivative is not finite here ({exc}) ({run.where(s, self.dep)})",
                ) from None
            for d, e in zip(ds, exact):
                d[j, s] = e
        return ds

    def _check_contributions(self, xs: list, out: Any, ds: Sequence[Any], g: np.ndarray,
                             run: _Run) -> None:
        """The checking pass: NumericOverflow where finite data and gradient give a non-finite one.

        As the scalar engine's backward: a contribution d_i * g is to blame
        when the step's output, inputs and incoming gradient are finite and
        it is not.
        """
        shape = g.shape
        finite = np.isfinite(g) & np.isfinite(np.broadcast_to(out, shape))
        for x in xs:
            finite &= np.isfinite(np.broadcast_to(x, shape))
        for i, d in enumerate(ds):
            c = np.broadcast_to(d * g, shape)
            bad = finite & ~np.isfinite(c)
            if bad.any():
                j, s = _first_bad(bad)
                raise NumericOverflow(
                    f"backward of {self.op}", [_element(x, j, s) for x in xs],
                    f"the gradient flowing to input {i} is {float(c[j, s])!r} (partial "
                    f"{_element(d, j, s)!r} times incoming gradient {float(g[j, s])!r}) "
                    f"({run.where(s, self.dep)})",
                )


class _Affine:
    """``m`` linear forms over the same ``p`` values: out = W @ X (+ b), one matrix product.

    ``steps[j]`` are form j's own steps, ``(node, op, args)`` in tape order
    with each arg ``("x", k)``, ``("p", j)`` or ``("n", node)``: how the
    scalar engine computes it, for the samples whose sum is not finite.
    """

    __slots__ = ("bias", "bias_unique", "block", "steps", "unique", "weights", "widx", "xs")

    def __init__(self, xs: _Gather, widx: np.ndarray, bias: np.ndarray | None, block: int,
                 steps: list[list[tuple]]) -> None:
        self.xs, self.widx, self.bias, self.block, self.steps = xs, widx, bias, block, steps
        flat = widx.ravel()
        self.weights = flat
        self.unique = len(set(flat.tolist())) == flat.size
        self.bias_unique = bias is None or len(set(bias.tolist())) == bias.size

    def forward(self, run: _Run) -> None:
        p = run.blocks[1][:, 0]
        x = self.xs.get(run.blocks)
        try:
            out = self._sums(p, x)
            finite = math.isfinite(out.sum())  # one cheap reduction; if not finite, look closer
        except FloatingPointError:  # numpy flagged inf or nan
            with np.errstate(all="ignore"):
                out = self._sums(p, x)
            finite = False
        if not finite:
            self._settle(p, x, out, run)
        run.blocks[self.block] = out

    def _sums(self, p: np.ndarray, x: np.ndarray) -> np.ndarray:
        out = p[self.widx] @ x
        if self.bias is not None:
            out += p[self.bias][:, None]
        return out

    def backward(self, run: _Run) -> None:
        g = run.grads[self.block]
        if g is None:
            return
        p = run.blocks[1][:, 0]
        x = self.xs.get(run.blocks)
        gp = run.grads[1][:, 0]
        if run.check:
            self._check_contributions(p, x, g, run)
        if not self.xs.nograd:
            self.xs.add(run, p[self.widx].T @ g, fresh=True)
        dw = (g @ x.T).ravel()
        if self.unique:
            gp[self.weights] += dw
        else:
            np.add.at(gp, self.weights, dw)
        if self.bias is not None:
            db = g.sum(axis=1)
            if self.bias_unique:
                gp[self.bias] += db
            else:
                np.add.at(gp, self.bias, db)

    def _settle(self, p: np.ndarray, x: np.ndarray, out: np.ndarray, run: _Run) -> None:
        """Each sum that is not finite, computed as the scalar engine does, step by step.

        Its value (inf or nan from a non-finite input) replaces numpy's, or
        its error (``NumericOverflow``: finite terms whose sum overflows) is
        raised naming the sample.
        """
        for s, j in _suspects(out.shape, [out]):
            values: dict[int, float] = {}
            for node, op, args in self.steps[j]:
                inputs = tuple(float(x[k, s]) if kind == "x" else float(p[k]) if kind == "p"
                               else values[k] for kind, k in args)
                try:
                    values[node] = evaluate(op, inputs)
                except OpError as exc:
                    raise _at(exc, run.where(s)) from None
            out[j, s] = values[self.steps[j][-1][0]]

    def _check_contributions(self, p: np.ndarray, x: np.ndarray, g: np.ndarray,
                             run: _Run) -> None:
        """The checking pass: NumericOverflow where finite w, x and g give a non-finite w g or x g.

        The sums of a form pass the incoming gradient g on unchanged; its
        products ``w * x`` send back ``w g`` and ``x g``, as in the scalar
        engine's backward.
        """
        w = p[self.widx]
        for k in range(w.shape[1]):
            wk, xk = w[:, k:k + 1], x[k:k + 1, :]
            finite = np.isfinite(g) & np.isfinite(wk) & np.isfinite(xk) & np.isfinite(wk * xk)
            bad = finite & ~(np.isfinite(wk * g) & np.isfinite(xk * g))
            if bad.any():
                j, s = _first_bad(bad)
                raise NumericOverflow(
                    "backward of *", [float(wk[j, 0]), float(xk[0, s])],
                    f"the gradient {float(g[j, s])!r} times these gives a gradient that is not "
                    f"finite ({run.where(s)})",
                )


class _Derived:
    """A stop-gradient value computed from other nodes (``m`` in ``v - m``, for m read as data)."""

    __slots__ = ("block", "dep", "prog", "where")

    def __init__(self, prog: tuple, block: int, dep: bool, where: Callable) -> None:
        self.prog, self.block, self.dep, self.where = prog, block, dep, where

    def forward(self, run: _Run) -> None:
        width = run.n if self.dep else 1
        value = _eval_settled(self.prog, run, self.where, self.dep)
        value = np.broadcast_to(np.asarray(value, dtype=float), (width,))
        run.blocks[self.block] = value.reshape(1, width)

    def backward(self, run: _Run) -> None:
        pass


class _Guard:
    """Check one recorded branch decision on every sample."""

    __slots__ = ("decision", "dep", "describe", "where")

    def __init__(self, decision: Decision, dep: bool, where: Callable, describe: Callable) -> None:
        self.decision, self.dep, self.where, self.describe = decision, dep, where, describe

    def forward(self, run: _Run) -> None:
        d = self.decision
        lhs = _eval_settled(d.lhs, run, self.where, self.dep)
        rhs = _eval_settled(d.rhs, run, self.where, self.dep)
        bad = np.broadcast_to(COMPARISONS[d.op](lhs, rhs) != d.outcome, (run.n,))
        if not bad.any():
            return
        if run.strict:
            raise self._error(run, lhs, rhs, int(np.flatnonzero(bad)[0]))
        run.keep(~bad)

    def backward(self, run: _Run) -> None:
        pass

    def _error(self, run: _Run, lhs: Any, rhs: Any, s: int) -> BranchError:
        d = self.decision
        if self.dep:
            who = f"sample {run.sample(s)} takes another branch than the traced one"
        else:
            who = "the parameters changed since tracing, and a branch that reads them turned"
        values = ", ".join(f"{prog_text(prog)} = {_element(v, 0, s)!r}"
                           for prog, v in ((d.lhs, lhs), (d.rhs, rhs)) if prog_nodes(prog))
        nodes = dict.fromkeys(prog_nodes(d.lhs) + prog_nodes(d.rhs))
        where = "; ".join(f"%{i} = {self.describe(i)}" for i in nodes)
        return BranchError(
            f"{who}: at {d.site}, {d.text} was {d.outcome} when traced and is {not d.outcome} "
            f"here ({values}; {where}). Trace again, or use autograd.TapeCache, which keeps "
            "one tape per branch"
        )


# --------------------------------------------------------------------------- linear forms


@dataclass
class _Form:
    """root = bias + sum_k coefs[k] * xs[k]; ``absorbed`` are the nodes it replaces."""

    xs: tuple[int, ...]
    coefs: tuple[int, ...]
    bias: int | None
    absorbed: list[int]


def _linear_forms(nodes: list, dep: list, consumers: list, pinned: list, consumer: list) -> dict:
    """Maximal sums of parameter-times-value products (neurons), found bottom-up in one pass.

    A '+' is absorbed into the '+' that consumes it when it has no other
    consumer and is not an output or read by a decision; a product ``p * x``
    (p a parameter, x depending on the inputs) with a single consumer is a
    term; a lone parameter is a bias (at most one per form).
    """
    add, mul = PRIMITIVES["+"], PRIMITIVES["*"]

    def is_op(i: int, prim: Any) -> bool:
        spec = nodes[i]
        return spec[0] == "op" and spec[1].prim is prim

    def is_param(i: int) -> bool:
        return nodes[i][0] == "param"

    def term(i: int) -> tuple[int, int] | None:
        if not is_op(i, mul) or consumers[i] != 1 or pinned[i]:
            return None
        a, b = nodes[i][2]
        if is_param(a) and dep[b] and not is_param(b):
            return a, b
        if is_param(b) and dep[a] and not is_param(a):
            return b, a
        return None

    def inner(i: int) -> bool:  # a '+' that belongs to its consumer's sum
        return is_op(i, add) and consumers[i] == 1 and not pinned[i] and is_op(consumer[i], add)

    linear = [False] * len(nodes)
    terms = [0] * len(nodes)
    biases = [0] * len(nodes)
    for i, spec in enumerate(nodes):
        if not is_op(i, add):
            continue
        ok = True
        for a in spec[2]:
            if term(a) is not None:
                terms[i] += 1
            elif is_param(a):
                biases[i] += 1
            elif inner(a) and linear[a]:
                terms[i] += terms[a]
                biases[i] += biases[a]
            else:
                ok = False
        linear[i] = ok and biases[i] <= 1 and terms[i] >= 1
    forms: dict[int, _Form] = {}
    for root, spec in enumerate(nodes):
        if not linear[root] or (inner(root) and linear[consumer[root]]):
            continue
        xs, coefs, bias, absorbed = [], [], None, []
        stack = [root]
        while stack:  # left to right over the tree of '+', so the x's come in the order of the sum
            i = stack.pop()
            if i == root or (inner(i) and linear[i]):
                if i != root:
                    absorbed.append(i)
                stack.extend(reversed(nodes[i][2]))
            elif is_param(i):
                bias = i
            else:
                coef, x = term(i)
                coefs.append(coef)
                xs.append(x)
                absorbed.append(i)
        if len(set(xs)) == len(xs):
            forms[root] = _Form(tuple(xs), tuple(coefs), bias, absorbed)
    return forms


# --------------------------------------------------------------------------- the plan


def _analyse(nodes: list, outputs: Sequence[int], decisions: Sequence[Decision]) -> tuple:
    """Per node: depends on an input?; how many steps consume it, and one of them; is it pinned?

    Pinned nodes (outputs, and nodes read by decisions or stop-gradients) must
    keep a value of their own, so they are never fused away.
    """
    n = len(nodes)
    dep, consumers, consumer, pinned = [False] * n, [0] * n, [-1] * n, [False] * n
    for i, spec in enumerate(nodes):
        if spec[0] == "input":
            dep[i] = True
        elif spec[0] == "derived":
            refs = prog_nodes(spec[1])
            dep[i] = any(dep[r] for r in refs)
            for r in refs:
                pinned[r] = True
        elif spec[0] == "op":
            dep[i] = any(dep[a] for a in spec[2])
            for a in spec[2]:
                consumers[a] += 1
                consumer[a] = i
    for o in outputs:
        pinned[o] = True
    for d in decisions:
        for r in prog_nodes(d.lhs) + prog_nodes(d.rhs):
            pinned[r] = True
    return dep, consumers, consumer, pinned


def _schedule(nodes: list, dep: list, forms: dict, fuse: bool) -> tuple[list, list]:
    """Each node's level, and the groups of nodes computed together, in the order they run.

    Fused: a node's level is 1 + the highest level among what it reads, and
    nodes of one level and one kind (same op and parameters, or linear forms
    over the same x's) form one group: they only read lower levels, so one
    numpy call computes them all. Plain: one group per node, in tape order.
    """
    absorbed = {i for form in forms.values() for i in form.absorbed}
    level = [0.0] * len(nodes)
    groups: dict[tuple, list[int]] = {}
    for i, spec in enumerate(nodes):
        if spec[0] in ("input", "param") or i in absorbed:
            continue
        if spec[0] == "derived":
            refs, key = prog_nodes(spec[1]), ("derived", i)
        elif i in forms:
            refs, key = list(forms[i].xs), ("affine", forms[i].xs, forms[i].bias is not None)
        else:
            refs = list(spec[2])
            key = ("op", spec[1].prim, spec[1].params, tuple(dep[a] for a in refs), dep[i])
        level[i] = 1 + max((level[r] for r in refs), default=0) if fuse else float(i)
        groups.setdefault((level[i], *key) if fuse else (level[i], i), []).append(i)
    order = sorted(groups.items(), key=lambda kv: (kv[0][0], kv[1][0]))
    return level, [(key[0], members) for key, members in order]


class Plan:
    """How a tape runs on arrays: its steps as a list of items, each one or a few numpy calls.

    ``nodes[i]`` is ``("input", k)``, ``("param", j)``, ``("derived", prog)``
    or ``("op", op, args)``, in topological order; ``params[j]`` are the
    parameter Values (their ``data`` is read at each replay and their ``grad``
    receives the batch sums).
    """

    def __init__(self, n_inputs: int, params: Sequence[Any], nodes: list, outputs: Sequence[int],
                 decisions: Sequence[Decision], fuse: bool = True) -> None:
        self.n_inputs, self.params, self.nodes = n_inputs, list(params), nodes
        self.outputs = list(outputs)
        dep, consumers, consumer, pinned = _analyse(nodes, outputs, decisions)
        forms = _linear_forms(nodes, dep, consumers, pinned, consumer) if fuse else {}
        level, order = _schedule(nodes, dep, forms, fuse)

        # blocks: 0 = inputs, 1 = parameters, then one per item, in the order the items run
        self.loc: dict[int, tuple[int, int]] = {}
        self.block_rows = [n_inputs, len(self.params)]
        self.block_dep = [True, False]
        self.nograd: set[int] = set()  # blocks of stop-gradient values
        for i, spec in enumerate(nodes):
            if spec[0] in ("input", "param"):
                self.loc[i] = (0 if spec[0] == "input" else 1, spec[1])
        timed: list[tuple[float, int, Any]] = []
        for lvl, members in order:
            timed.append((lvl, members[0], self._item(members, dep[members[0]], forms)))
        for d in decisions:
            refs = prog_nodes(d.lhs) + prog_nodes(d.rhs)
            lvl = max((level[r] for r in refs), default=0.0) + 0.5  # right after what it reads
            guard = _Guard(d, any(dep[r] for r in refs), self._value, self.describe)
            timed.append((lvl, -1, guard))
        timed.sort(key=lambda t: (t[0], t[1]))
        self.items = [t[2] for t in timed]
        self.out_gathers = [self._gather([self.loc[o]]) for o in outputs]

    def _item(self, members: list[int], dep: bool, forms: dict) -> Any:
        """The plan item computing ``members`` (nodes of one kind), writing a new block."""
        nodes = self.nodes
        block = len(self.block_rows)
        self.block_rows.append(len(members))
        self.block_dep.append(dep)
        spec = nodes[members[0]]
        if spec[0] == "derived":
            self.nograd.add(block)
            item: Any = _Derived(spec[1], block, dep, self._value)
        elif members[0] in forms:
            first = forms[members[0]]
            widx = np.array([[nodes[c][1] for c in forms[i].coefs] for i in members])
            bias = (np.array([nodes[forms[i].bias][1] for i in members])
                    if first.bias is not None else None)
            steps = [self._form_steps(i, forms[i]) for i in members]
            item = _Affine(self._gather([self.loc[x] for x in first.xs]), widx, bias, block, steps)
        else:
            operands = [self._gather([self.loc[nodes[i][2][p]] for i in members])
                        for p in range(len(spec[2]))]
            item = _Step(spec[1], members, operands, block, dep)
        for r, i in enumerate(members):
            self.loc[i] = (block, r)
        return item

    def _form_steps(self, root: int, form: _Form) -> list[tuple]:
        """The steps of the linear form ``root`` in tape order, for ``_Affine.steps``."""
        position = {x: k for k, x in enumerate(form.xs)}
        steps = []
        for i in sorted([*form.absorbed, root]):
            _, op, args = self.nodes[i]
            steps.append((i, op, tuple(
                ("x", position[a]) if a in position
                else ("p", self.nodes[a][1]) if self.nodes[a][0] == "param" else ("n", a)
                for a in args)))
        return steps

    def describe(self, i: int) -> str:
        """Node i as the tape lists it: ``input 0``, ``parameter 3``, ``*(%2, %0)``."""
        spec = self.nodes[i]
        if spec[0] in ("input", "param"):
            return f"{'input' if spec[0] == 'input' else 'parameter'} {spec[1]}"
        if spec[0] == "derived":
            return f"stop_gradient({prog_text(spec[1])})"
        return f"{spec[1]}({', '.join(f'%{a}' for a in spec[2])})"

    def _gather(self, locs: list) -> _Gather:
        return _Gather(locs, self.block_rows, self.nograd)

    def _value(self, run: _Run, i: int) -> np.ndarray:
        """Node i's value in a replay: one entry per sample, or a single one if it reads no input."""
        block, row = self.loc[i]
        return run.blocks[block][row]

    # ----------------------------------------------------------------------- running

    def forward(self, X: np.ndarray, strict: bool = True, rows: np.ndarray | None = None) -> _Run:
        """Evaluate every item on the samples ``X`` (n, n_inputs); the values stay in the run."""
        n = X.shape[0]
        run = _Run(self.block_dep, np.arange(n) if rows is None else rows, strict)
        run.blocks[0] = np.ascontiguousarray(X.T)
        run.blocks[1] = np.fromiter((p.data for p in self.params), float,
                                    len(self.params)).reshape(-1, 1)
        with np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
            for item in self.items:
                item.forward(run)
                if run.n == 0:
                    break
        return run

    def values(self, run: _Run) -> np.ndarray:
        """The outputs of a replay: shape (n, number of outputs); (0, outputs) for no samples."""
        out = np.empty((run.n, len(self.outputs)))
        if run.n == 0:  # an empty batch, or every sample dropped: the items stopped early
            return out
        for j, o in enumerate(self.outputs):
            out[:, j] = self._value(run, o)
        return out

    def backward(self, run: _Run, seed: np.ndarray) -> np.ndarray:
        """Backpropagate ``seed`` (n, outputs); add the batch sums to the parameters' grads.

        Returns the gradients with respect to the inputs, shape (n, n_inputs).
        As the scalar engine's backward: the seed must be finite; inf and nan
        that come from non-finite data flow on; a rule that fails on a sample
        raises its error; and if finite data gave a non-finite gradient, a
        checking pass raises ``NumericOverflow`` naming the step. On an error
        no parameter's ``grad`` changes. An empty batch adds nothing.
        """
        if not np.isfinite(seed).all():
            bad = float(seed[~np.isfinite(seed)][0])
            raise ValueError(f"backward: the gradient to start from must be finite, got {bad!r}")
        if run.n == 0:
            return np.zeros((0, self.n_inputs))
        self._sweep(run, seed)
        gp, g_inputs = run.grads[1], run.grads[0]
        with np.errstate(all="ignore"):  # a sum of finite gradients may overflow: then look closer
            finite = math.isfinite(gp.sum()) and (g_inputs is None
                                                  or math.isfinite(g_inputs.sum()))
        if not finite:
            self._blame(run, seed)
        for p, g in zip(self.params, gp[:, 0].tolist()):
            p.grad = g if p.grad is None else p.grad + g  # None: zero_grad(set_to_none=True)
        return np.zeros((run.n, self.n_inputs)) if g_inputs is None else g_inputs.T.copy()

    def _sweep(self, run: _Run, seed: np.ndarray) -> None:
        """The backward pass proper: fresh gradient blocks, filled from the outputs back."""
        run.grads = [None] * len(self.block_rows)
        run.grads[1] = np.zeros((len(self.params), 1))
        with np.errstate(all="ignore"):  # inf and nan flow on as in floats; steps check partials
            for j, gather in enumerate(self.out_gathers):
                column = seed[:, j]
                if column.any():
                    gather.add(run, column.reshape(1, -1).copy(), fresh=True)
            for item in reversed(self.items):
                item.backward(run)

    def _blame(self, run: _Run, seed: np.ndarray) -> None:
        """Some gradient is not finite: raise NumericOverflow if finite data made it so.

        A checking pass first looks for a step whose finite data and incoming
        gradient give a non-finite contribution (as the scalar engine does);
        failing that, a sample whose values are all finite but whose input
        gradient is not, or parameter gradients of an all-finite batch that
        are not, overflowed when contributions were added up. Otherwise the
        inf or nan came from the data, and is the answer.
        """
        run.check = True
        try:
            self._sweep(run, seed)
        finally:
            run.check = False
        finite = np.isfinite(seed).all(axis=1)
        for block, dep in zip(run.blocks, run.block_dep):
            if block is not None:
                finite &= np.isfinite(block).all(axis=0) if dep else bool(np.isfinite(block).all())
        g_inputs, gp = run.grads[0], run.grads[1][:, 0]
        if g_inputs is not None:
            bad = ~np.isfinite(g_inputs) & finite
            if bad.any():
                i, s = _first_bad(bad)
                raise NumericOverflow("backward", [float(v) for v in run.blocks[0][:, s]],
                                      f"finite gradients add up to {float(g_inputs[i, s])!r} "
                                      f"for input {i} ({run.where(s)})")
        if finite.all() and not np.isfinite(gp).all():
            j = int(np.flatnonzero(~np.isfinite(gp))[0])
            raise NumericOverflow("backward", [float(run.blocks[1][j, 0])],
                                  f"the gradients of parameter {j} add up to {float(gp[j])!r} "
                                  "over the batch")
