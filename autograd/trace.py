"""Trace once, replay on batches: the graph of a scalar function recorded as a tape of array steps.

The scalar engine rebuilds the graph for every sample. ``trace(f, example)``
runs ``f`` once on ``Value`` inputs and keeps what it did: a flat list of
primitive steps in topological order (``Tape.steps``). The tape then replays
on numpy arrays, one column per input and one row per sample, forward and
backward, with the same table of primitives (the ``ARRAYS`` backend)::

    tape = trace(lambda x, y: (x * w + y).tanh(), [0.5, 1.0])   # w a Value: a parameter
    out = tape.forward(X)        # X of shape (n, 2): out[s] = f(*X[s])
    dX = tape.backward()         # w.grad += sum_s d out[s] / dw; dX[s, i] = d out[s] / d X[s, i]

What the tape holds:

- **inputs**: the Values ``f`` was called with; a replay feeds them the columns.
- **parameters**: every other leaf of the graph (weights, and constants such as
  the 2.0 of ``2 * x``), *referenced*: each replay reads ``p.data`` and each
  backward adds the batch sum of the gradient to ``p.grad``, so optimizers,
  schedulers and ``clip_grad_norm_`` work as after ``loss.backward()``.
- **decisions**: the branches ``f`` took on the data (below).

What is supported, and how a tape stays faithful. While ``f`` runs, every
way Python code can look at a number inside the graph is watched:

- Comparisons of Values (``x < 0``, ``max(values)``, ``a >= b``) are recorded as
  *decisions* with their outcome; a replay evaluates each one on every sample
  and raises ``BranchError``, naming the comparison, the source line and the
  sample, for a sample that would take the other branch.
- Reading ``v.data`` (or ``v.item()``) gives a ``TracedFloat``: the number,
  remembering where it came from. Arithmetic on it (``+ - * / **``, unary
  ``-``, ``abs``) stays traced; comparing it (``abs(d.data) < delta``, or
  ``max(v.data for v in row)``, ``if x.data:``) records a decision; combining
  it with a Value (``v - m``), passing it to ``Value(...)`` or calling
  ``v.detach()`` makes a *stop-gradient* node, recomputed per sample on
  replay (the scalar engine treats it as a constant: so does the tape).
- Anything else that would turn such a number into a plain float, which the
  tape would then replay as a constant, is refused with ``TraceError``:
  ``float()``, ``int()``, ``round()``, ``math`` functions, numpy scalars,
  hashing it; and ``backward()``, ``grad()`` without ``create_graph``,
  ``.tangent`` inside ``f`` (their floats derive from the data).
  ``grad(..., create_graph=True)`` is fine: its result is part of the graph.
- Nodes made under ``no_grad()`` keep no parents: each becomes a
  stop-gradient node over its would-be parents.
- Ops that are not rows of the primitive table (a micrograd-style
  ``Value(data, children, 'custom')``), and rows whose functions fail on arrays
  (no array rule), are refused with ``TraceError``.

Not detectable, so not supported: random draws and other Python state read
inside ``f`` are frozen at their traced values (``nn.Dropout`` in training
mode, for one); a ``BatchNorm1d`` in training mode mixes samples and refuses
to trace (it reads data with ``float``).

Tracing is a recording mode of the engine, like ``no_grad()``: it belongs to
the thread (or asyncio task) that calls ``trace``, which the engine tells
what it does through the hooks of ``autograd.value.Recorder``. Other threads
are not affected while it runs (their ``v.data`` is a float, their
comparisons are theirs), and they may trace at the same time. The engine
itself reads ``_data``, the float, so only user code sees ``TracedFloat`` s.

``TapeCache(f)`` keeps one tape per branch pattern met, tracing again on a
sample that branches differently: it replays any batch (``nn.fit(...,
compiled=True)`` uses it).
"""

from __future__ import annotations

import math
import numbers
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NamedTuple

import numpy as np

from . import value as _value
from .primitives import ARRAYS, FLOATS, Op
from .replay import COMPARISONS, BranchError, Decision, Plan, TraceError, prog_text
from .scalar import describe
from .value import Value

__all__ = ["BranchError", "Decision", "Step", "Tape", "TapeCache", "TraceError", "TracedFloat",
           "trace"]

# --------------------------------------------------------------------------- numbers read while tracing

_AUTOGRAD_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def _site() -> str:
    """'file:line in function' of the innermost frame outside the autograd package."""
    frame = sys._getframe(1)
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_AUTOGRAD_DIR):
        frame = frame.f_back
    if frame is None:
        return "<autograd>"
    return f"{frame.f_code.co_filename}:{frame.f_lineno} in {frame.f_code.co_name}"


def _refuse(what: str) -> TraceError:
    return TraceError(
        f"{what} while tracing: the tape would replay this number as a constant, the same "
        "for every sample. Keep it a Value (or a TracedFloat: + - * / ** abs and comparisons "
        "are traced), or compute it outside the traced function"
    )


def _operand(x: Any, op: str) -> tuple[tuple, float]:
    """(expression, value) of an operand of a comparison or of TracedFloat arithmetic."""
    if isinstance(x, TracedFloat):
        return x.prog, x.value
    if isinstance(x, Value):
        return (("node", x),), x._data
    if isinstance(x, numbers.Real):
        value = float(x)
        return (("const", value),), value
    raise TypeError(f"{op}: expected a real number or a Value, got {describe(x)}")


def _decide(lhs: Any, op: str, rhs: Any) -> bool:
    """Compare as Python does, and record the outcome as a decision of the trace."""
    (lp, lv), (rp, rv) = _operand(lhs, op), _operand(rhs, op)
    outcome = bool(COMPARISONS[op](lv, rv))
    recording = _value._recorder()
    if not isinstance(recording, _Recording):
        raise TraceError(f"a number read while tracing was compared ({op}) outside the trace "
                         "(after tracing ended, or in another thread)")
    recording.decisions.append((lp, op, rp, outcome, _site()))
    return outcome


class TracedFloat:
    """What ``v.data`` gives inside a traced function: the number, and how it was computed.

    It behaves like a float for ``+ - * / **``, unary minus, ``abs`` and
    comparisons; comparisons (and ``bool()``) are recorded as decisions of
    the tape. Turning it into a plain float (``float()``, ``math.exp``, ...)
    raises ``TraceError``: the tape could not replay that per sample.
    """

    __slots__ = ("prog", "value")

    def __init__(self, value: float, prog: tuple) -> None:
        self.value, self.prog = value, prog

    def _arith(self, other: Any, op: str, reflected: bool = False) -> Any:
        if isinstance(other, Value) or not isinstance(other, (TracedFloat, numbers.Real)):
            return NotImplemented  # Value's reflected method makes a stop-gradient node
        (ap, av), (bp, bv) = _operand(self, op), _operand(other, op)
        if reflected:
            (ap, av), (bp, bv) = (bp, bv), (ap, av)
        if op == "add":
            value = av + bv
        elif op == "sub":
            value = av - bv
        elif op == "mul":
            value = av * bv
        elif op == "div":
            value = av / bv  # raises for x / 0, as floats do
        else:
            value = av**bv
        return TracedFloat(float(value), ap + bp + ((op,),))

    def __add__(self, other):
        return self._arith(other, "add")

    def __radd__(self, other):
        return self._arith(other, "add", True)

    def __sub__(self, other):
        return self._arith(other, "sub")

    def __rsub__(self, other):
        return self._arith(other, "sub", True)

    def __mul__(self, other):
        return self._arith(other, "mul")

    def __rmul__(self, other):
        return self._arith(other, "mul", True)

    def __truediv__(self, other):
        return self._arith(other, "div")

    def __rtruediv__(self, other):
        return self._arith(other, "div", True)

    def __pow__(self, other):
        return self._arith(other, "pow")

    def __rpow__(self, other):
        return self._arith(other, "pow", True)

    def __neg__(self):
        return TracedFloat(-self.value, self.prog + (("neg",),))

    def __pos__(self):
        return self

    def __abs__(self):
        return TracedFloat(abs(self.value), self.prog + (("abs",),))

    def __lt__(self, other):
        return _decide(self, "<", other)

    def __le__(self, other):
        return _decide(self, "<=", other)

    def __gt__(self, other):
        return _decide(self, ">", other)

    def __ge__(self, other):
        return _decide(self, ">=", other)

    def __eq__(self, other):
        return _decide(self, "==", other)

    def __ne__(self, other):
        return _decide(self, "!=", other)

    def __bool__(self):
        return _decide(self, "!=", 0.0)

    def __hash__(self):
        raise _refuse("hashing a number read from a Value")

    def __float__(self):
        raise _refuse("float() (or a math function) on a number read from a Value")

    def __int__(self):
        raise _refuse("int() on a number read from a Value")

    def __index__(self):
        raise _refuse("using a number read from a Value as an index")

    def __round__(self, ndigits=None):
        raise _refuse("round() on a number read from a Value")

    def __trunc__(self):
        raise _refuse("math.trunc() on a number read from a Value")

    def __floor__(self):
        raise _refuse("math.floor() on a number read from a Value")

    def __ceil__(self):
        raise _refuse("math.ceil() on a number read from a Value")

    def __floordiv__(self, other):
        raise _refuse("// on a number read from a Value")

    __rfloordiv__ = __floordiv__

    def __mod__(self, other):
        raise _refuse("% on a number read from a Value")

    __rmod__ = __mod__
    __divmod__ = __mod__
    __rdivmod__ = __mod__

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)  # printing does not change the graph

    def __repr__(self) -> str:
        return f"TracedFloat({self.value!r}: {prog_text(self.prog, lambda v: 'node')})"


numbers.Real.register(TracedFloat)  # so number checks accept it, and float() on it refuses clearly

# --------------------------------------------------------------------------- the recording mode

class _Recording(_value.Recorder):
    """What a traced function did besides building nodes, seen through the engine's recorder hooks.

    ``decisions``: (lhs, op, rhs, outcome, site) for each comparison;
    ``derived``: stop-gradient leaves and the expression each one stands for.
    The hooks run only in the context (thread or task) that is tracing.
    """

    def __init__(self) -> None:
        self.decisions: list[tuple] = []
        self.derived: dict[Value, tuple] = {}

    def read(self, node: Value) -> TracedFloat:
        return TracedFloat(node._data, (("node", node),))

    def number(self, x: Any) -> float | None:
        return x.value if isinstance(x, TracedFloat) else None

    def derive(self, node: Value, x: Any) -> None:
        if isinstance(x, TracedFloat):
            self.derived[node] = x.prog

    def unrecorded(self, node: Value, parents: tuple) -> None:
        # made under no_grad(): a stop-gradient of the op, which a shadow node computes
        shadow = _value._new(Value)
        shadow._data, shadow._version, shadow.grad, shadow.label = node._data, node._version, 0.0, ""
        shadow._op, shadow._prev = node._op, parents
        self.derived[node] = (("node", shadow),)

    def refuse(self, what: str) -> TraceError:
        return _refuse(what)

    @contextmanager
    def active(self) -> Iterator[_Recording]:
        """Record in the calling thread (or task) for the duration of the block."""
        modes = _value._modes()
        if modes.recorder is not None:
            raise TraceError("trace: already tracing (a traced function cannot call trace)")
        token = _value._enter(modes.grad_enabled, modes.anomaly, self)
        try:
            yield self
        finally:
            _value._MODES.reset(token)


# --------------------------------------------------------------------------- the tape


class Step(NamedTuple):
    """One primitive step of a tape: node ``out`` = ``op``(nodes ``args``)."""

    out: int
    op: Op
    args: tuple[int, ...]


def _node_order(inputs: Sequence[Value], roots: Sequence[Value],
                derived: dict[Value, tuple]) -> list[Value]:
    """Inputs first, then every node the roots need, each after what it reads (no recursion).

    A depth-first post-order that visits parents in argument order, so nodes
    come in the order the program made them (a layer's neurons stay in order).
    """
    order = list(inputs)
    seen = set(order)

    def needs(v: Value) -> tuple:
        prog = derived.get(v)
        return tuple(tok[1] for tok in prog if tok[0] == "node") if prog is not None else v._prev

    for root in roots:
        if root in seen:
            continue
        seen.add(root)
        stack = [(root, iter(needs(root)))]
        while stack:
            node, parents = stack[-1]
            for p in parents:
                if p not in seen:
                    seen.add(p)
                    stack.append((p, iter(needs(p))))
                    break
            else:
                stack.pop()
                order.append(node)
    return order


class Tape:
    """The graph of a function recorded once; ``forward``/``backward`` replay it on a batch.

    ``inputs`` and ``parameters`` are Values (referenced, not copied);
    ``steps`` are the primitive steps in topological order over nodes
    numbered inputs first; ``outputs`` are node numbers; ``decisions`` the
    branches taken. ``str(tape)`` lists it all. Made by ``trace``.
    """

    def __init__(self, inputs: Sequence[Value], outputs: Sequence[Value], recording: _Recording,
                 fuse: bool = True) -> None:
        derived = recording.derived
        index: dict[Value, int] = {}

        def prog_of(prog: tuple) -> tuple:
            return tuple(("node", index[t[1]]) if t[0] == "node" else t for t in prog)

        refs = [t[1] for d in recording.decisions for prog in (d[0], d[2]) for t in prog
                if t[0] == "node"]
        order = _node_order(inputs, list(outputs) + refs, derived)
        params: list[Value] = []
        nodes: list[tuple] = []
        steps: list[Step] = []
        for i, v in enumerate(order):
            index[v] = i
            if i < len(inputs):
                nodes.append(("input", i))
            elif v in derived:
                nodes.append(("derived", prog_of(derived[v])))
            elif not v._prev:
                nodes.append(("param", len(params)))
                params.append(v)
            else:
                op = v._op
                if not isinstance(op, Op):
                    raise TraceError(
                        f"trace: op {str(op)!r} has no array rule: it is not a row of the primitive "
                        "table (autograd.primitives.TABLE); build the node from Value operations"
                    )
                args = tuple(index[p] for p in v._prev)
                nodes.append(("op", op, args))
                steps.append(Step(i, op, args))
        self.inputs = tuple(inputs)
        self.parameters = tuple(params)
        self.steps = tuple(steps)
        self.outputs = tuple(index[o] for o in outputs)
        self.decisions = tuple(Decision(prog_of(lp), op, prog_of(rp), outcome, site)
                               for lp, op, rp, outcome, site in recording.decisions)
        self._nodes = nodes
        self._check_array_rules(order)
        self.plan = Plan(len(inputs), params, nodes, self.outputs, self.decisions, fuse=fuse)
        self._run: Any = None

    def _check_array_rules(self, order: list[Value]) -> None:
        """Run each distinct op once on arrays (two equal samples) against the scalar engine."""
        checked: set = set()
        for step in self.steps:
            op = step.op
            if (op.prim, op.params) in checked:
                continue
            checked.add((op.prim, op.params))
            floats = [order[a].data for a in step.args]
            xs = [np.full((1, 2), x) for x in floats]
            try:
                with np.errstate(all="ignore"):
                    out = op.prim.forward(ARRAYS, *xs, *op.params)
                    ds = op.prim.partials(ARRAYS, out, *xs, *op.params)
                    if op.prim.domain is not None:
                        np.all(op.prim.domain(*xs, *op.params))
                got = [np.broadcast_to(out, (1, 2))] + [np.broadcast_to(d, (1, 2)) for d in ds]
            except (ArithmeticError, TypeError, ValueError, AttributeError) as exc:
                raise TraceError(
                    f"trace: op {op!r} has no array rule: its row fails on numpy arrays "
                    f"({type(exc).__name__}: {exc})"
                ) from exc
            expected = [order[step.out].data]
            try:
                expected += list(op.prim.partials(FLOATS, expected[0], *floats, *op.params))
            except (ArithmeticError, ValueError):  # an infinite derivative here: compare values only
                got = got[:1]
            if len(got) != len(expected) or not all(
                np.all(np.abs(g - e) <= 1e-9 * (1.0 + abs(e))) or not math.isfinite(e)
                for g, e in zip(got, expected)
            ):
                raise TraceError(
                    f"trace: op {op!r} has no array rule: on arrays its row gives "
                    f"{[g[0, 0] for g in got]} where the scalar engine gives {expected}"
                )

    # ----------------------------------------------------------------------- replay

    def _samples(self, X: Any) -> np.ndarray:
        X = np.asarray(X, dtype=float)
        d = len(self.inputs)
        if X.ndim == 1 and d == 1:
            X = X[:, None]
        if X.ndim != 2 or X.shape[1] != d:
            raise ValueError(
                f"Tape.forward: expected an array of shape (samples, {d}), one column per input, "
                f"got shape {X.shape}"
            )
        return X

    def forward(self, X: Any) -> np.ndarray:
        """Replay on the samples ``X`` (n, inputs): the outputs, shape (n,) or (n, outputs).

        Raises ``BranchError`` if a sample takes another branch than the traced
        one, and the scalar engine's errors (``DomainError``, ...) naming the
        op and the sample.
        """
        self._run = self.plan.forward(self._samples(X), strict=True)
        return self._shape(self.plan.values(self._run))

    def _replay(self, X: np.ndarray, rows: np.ndarray) -> Any:
        """Forward on the samples that follow the recorded branches (the others are dropped)."""
        self._run = self.plan.forward(X, strict=False, rows=rows)
        return self._run

    def _shape(self, values: np.ndarray) -> np.ndarray:
        return values[:, 0] if len(self.outputs) == 1 else values

    def backward(self, seed: Any = 1.0) -> np.ndarray:
        """Backpropagate through the last ``forward``: add to each parameter's ``grad`` its batch sum.

        ``seed`` is d loss / d output: a number; for one output an array of
        shape (n,), one per sample; for several, shape (outputs,) or (n, outputs). Returns d loss / d input
        per sample, shape (n, inputs). Calling it twice adds twice, as
        ``Value.backward`` does.
        """
        if self._run is None:
            raise RuntimeError("Tape.backward: call forward first")
        return self.plan.backward(self._run, _seed(seed, self._run.n, len(self.outputs)))

    # ----------------------------------------------------------------------- reading

    def __len__(self) -> int:
        return len(self.steps)

    def __repr__(self) -> str:
        return (f"Tape({len(self.inputs)} inputs, {len(self.parameters)} parameters, "
                f"{len(self.steps)} steps, {len(self.outputs)} outputs, "
                f"{len(self.decisions)} decisions; replays as {len(self.plan.items)} array steps)")

    def __str__(self) -> str:
        lines = [repr(self)]
        for i, spec in enumerate(self._nodes):
            text = self.plan.describe(i)
            if spec[0] == "param":
                p = self.parameters[spec[1]]
                text += f"{f' {p.label!r}' if p.label else ''} (data {p.data!r})"
            lines.append(f"  %{i} = {text}")
        lines += [f"  decision: {d}" for d in self.decisions]
        lines.append(f"  outputs: {', '.join(f'%{o}' for o in self.outputs)}")
        return "\n".join(lines)


def _seed(seed: Any, n: int, k: int) -> np.ndarray:
    """``seed`` as (n, k): a number; (n,) per sample for one output; (k,) per output; or (n, k)."""
    s = np.asarray(seed, dtype=float)
    if s.ndim == 1:
        s = s[None, :] if k > 1 else s[:, None]
    try:
        return np.broadcast_to(s, (n, k))
    except ValueError:
        raise ValueError(f"backward: a seed of shape {np.shape(seed)} does not fit {n} samples "
                         f"and {k} outputs") from None


def _as_outputs(result: Any) -> list[Value]:
    items = list(result) if isinstance(result, (list, tuple)) else [result]
    for item in items:
        if not isinstance(item, Value):
            raise TraceError(
                f"trace: the function must return a Value or a list of Values, got "
                f"{type(item).__name__}"
            )
    if not items:
        raise TraceError("trace: the function returned no outputs")
    return items


def trace(f: Callable[..., Any], example_inputs: Sequence[float], fuse: bool = True) -> Tape:
    """Record ``f(*inputs)`` once, at ``example_inputs``, as a ``Tape`` that replays on arrays.

    ``f`` takes one ``Value`` per input and returns a Value or a list of
    Values; every other leaf it reaches is a parameter of the tape
    (referenced). ``fuse=False`` replays one numpy call per step, in tape
    order (the plain replay); by default independent steps of one op are
    grouped and neurons become matrix products (see ``autograd.replay``).
    See the module docstring for what can be traced.
    """
    xs = []
    for i, x in enumerate(example_inputs):
        if isinstance(x, bool) or not isinstance(x, numbers.Real):
            raise TypeError(f"trace: example input {i} must be a real number, got {type(x).__name__}")
        xs.append(Value(float(x), label=f"x{i}"))
    recording = _Recording()
    with recording.active():
        outputs = _as_outputs(f(*xs))
    return Tape(xs, outputs, recording, fuse=fuse)


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
        self._runs: list[tuple[Tape, Any]] = []
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
            out[run.rows] = tape.plan.values(run)
        return out[:, 0] if k == 1 else out

    def _replay(self, tape: Tape, X: np.ndarray, remaining: np.ndarray) -> np.ndarray:
        """Run ``tape`` on the remaining samples; returns those that took another branch."""
        run = tape._replay(X[remaining], remaining)
        if not run.n:
            return remaining
        self._runs.append((tape, run))
        return np.setdiff1d(remaining, run.rows, assume_unique=True)

    def backward(self, seed: Any = 1.0) -> np.ndarray:
        """Backpropagate through the last ``forward``; returns d loss / d input, shape (n, inputs)."""
        if not self._runs:
            raise RuntimeError("TapeCache.backward: call forward first")
        k = len(self._runs[0][0].outputs)
        seeds = _seed(seed, self._n, k)
        grads = np.zeros((self._n, len(self._runs[0][0].inputs)))
        for tape, run in self._runs:
            grads[run.rows] = tape.plan.backward(run, seeds[run.rows])
        return grads
