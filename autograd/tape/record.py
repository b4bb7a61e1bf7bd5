"""Stage 1, record: run ``f`` once on ``Value`` inputs and keep what it did as instructions.

``trace(f, example)`` calls ``f`` in a recording mode of the engine and turns
the graph it built into the instructions of a ``Tape`` (``Input``,
``Param``, ``StopGradient``, ``Step``: see ``autograd.tape.instructions``),
numbered inputs first, each node after what it reads. While ``f`` runs, every
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
  ``Value(data, children, 'custom')``) are refused with ``TraceError``; a row
  whose functions fail on numpy arrays is refused when a replay runs it.

Not detectable, so not supported: random draws and other Python state read
inside ``f`` are frozen at their traced values (``nn.Dropout`` in training
mode, for one); a ``BatchNorm1d`` in training mode mixes samples and refuses
to trace (it reads data with ``float``).

Tracing is a recording mode of the engine, like ``no_grad()``: it belongs to
the thread (or asyncio task) that calls ``trace``, which the engine tells
what it does through the hooks of ``autograd.value.Recorder``. Other threads
are not affected while it runs, and they may trace at the same time. The
engine itself reads ``_data``, the float, so only user code sees
``TracedFloat`` s.
"""

from __future__ import annotations

import numbers
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from types import FrameType
from typing import Any

from .. import value as _value
from ..errors import TraceError
from ..scalar import describe
from ..value import Value
from .expr import (
    COMPARISONS,
    Apply,
    Const,
    Node,
    Program,
    prog_text,
)
from .instructions import from_graph
from .tape import Tape

__all__ = ["TracedFloat", "trace"]

# --------------------------------------------------------------------------- numbers read while tracing

_AUTOGRAD_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def _site() -> str:
    """'file:line in function' of the innermost frame outside the autograd package."""
    frame: FrameType | None = sys._getframe(1)
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


def _operand(x: Any, op: str) -> tuple[Program, float]:
    """(expression, value) of an operand of a comparison or of TracedFloat arithmetic."""
    if isinstance(x, TracedFloat):
        return x.prog, x.value
    if isinstance(x, Value):
        return (Node(x),), x._data
    if isinstance(x, numbers.Real):
        value = float(x)
        return (Const(value),), value
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

    def __init__(self, value: float, prog: Program) -> None:
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
        return TracedFloat(float(value), (*ap, *bp, Apply(op)))

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
        return TracedFloat(-self.value, (*self.prog, Apply("neg")))

    def __pos__(self):
        return self

    def __abs__(self):
        return TracedFloat(abs(self.value), (*self.prog, Apply("abs")))

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
        self.decisions: list[tuple[Program, str, Program, bool, str]] = []
        self.derived: dict[Value, Program] = {}

    def read(self, node: Value) -> TracedFloat:
        return TracedFloat(node._data, (Node(node),))

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
        self.derived[node] = (Node(shadow),)

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
    grouped and neurons become matrix products (``autograd.tape.plan``).
    See the module docstring for what can be traced.
    """
    xs: list[Value] = []
    for i, x in enumerate(example_inputs):
        if isinstance(x, bool) or not isinstance(x, numbers.Real):
            raise TypeError(f"trace: example input {i} must be a real number, got {type(x).__name__}")
        xs.append(Value(float(x), label=f"x{i}"))
    recording = _Recording()
    with recording.active():
        outputs = _as_outputs(f(*xs))
    instructions, params, outs, decisions = from_graph(xs, outputs, recording.derived,
                                                         recording.decisions)
    return Tape(xs, params, instructions, outs, decisions, fuse=fuse)
