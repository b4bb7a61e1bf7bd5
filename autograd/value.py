"""``Value``: one scalar node of a dynamic computation graph.

A ``Value`` holds ``data`` (a float), ``grad`` (d output / d this node, 0.0
until a backward pass), an optional ``label``, the op that made it (``_op``,
a ``str`` such as ``'*'`` carrying its row of the primitive table) and its
parents (``_prev``), a tuple in argument order: ``x * x`` has parents
``(x, x)`` and gets both contributions to ``x.grad``.

Numbers mixed with Values become constant leaves, as in micrograd:
``2 * x`` records a leaf holding 2.0. Bad operands (a ``str``, ``None``, a
list) raise a ``TypeError`` naming the op and the type; bad numbers raise an
``OpError`` (an ``ArithmeticError``) naming the op and the input, and a failed
operation creates nothing and changes no existing node.

``==`` and ``hash`` are by identity (Values key dicts and sets);
``<``, ``<=``, ``>``, ``>=`` compare ``data``.

``data`` is a property over the slot ``_data`` (the engine reads the slot):
assigning it takes a real number and gives the node a new version, so that
``backward`` refuses a graph that used the old value (``VersionError``).
This module also holds the per-thread recording modes that ``autograd.modes``
and ``autograd.trace`` switch.
"""

from __future__ import annotations

import math
import numbers
import os
import re
import sys
import threading
from collections.abc import Callable, Iterable
from contextvars import ContextVar, Token
from types import FrameType
from typing import TYPE_CHECKING, Any

from .errors import AnomalyError, DivisionByZero, RuleError
from .primitives import FLOATS, OPS, PRIMITIVES, CustomOp, Op, Primitive, op_with
from .scalar import Factories, Scalar, as_float, describe, evaluate, operand, param

if TYPE_CHECKING:  # typing.Self is Python 3.11+; annotations are never evaluated here
    from typing_extensions import Self

_new = object.__new__

# --------------------------------------------------------------------------- modes, per context
#
# Grad mode, anomaly mode and tracing belong to one thread (or asyncio task): they live in a
# ContextVar, so a ``no_grad()`` in one thread changes nothing in another. Reading a
# ContextVar on every op would cost the hot path, so ``_fast`` is one global that is True
# iff no ``_Modes`` other than the default exists anywhere in the process; only while some
# context somewhere is in a mode do ops look the ContextVar up (``_record_slow``). A state
# lives as long as a context holds it (a task made inside ``no_grad()`` keeps it alive), so
# ``_fast`` can never be True while a context that needs the slow path is still around.


class Recorder:
    """The hooks through which a recording mode (``autograd.trace``) watches the engine.

    A recorder is active in the context that entered it and nowhere else; the
    engine calls these in that context only. The defaults record nothing.
    """

    def read(self, node: Value) -> Any:
        """What ``node.data`` (and ``node.item()``) gives while recording."""
        return node._data

    def number(self, x: Any) -> float | None:
        """The float behind ``x`` if it is a number this recorder handed out (by ``read``), else None."""
        return None

    def derive(self, node: Value, x: Any) -> None:
        """``node`` is a leaf made from ``x`` (an operand, ``Value(x)``, ``detach()``)."""

    def unrecorded(self, node: Value, parents: tuple) -> None:
        """``node`` was computed from ``parents`` under ``no_grad()``, so it keeps none."""

    def refuse(self, what: str) -> Exception:
        """The error for an engine feature the recording cannot follow (``backward()``, ``.tangent``)."""
        return RuntimeError(f"{what} is not supported while recording")


class _Modes:
    """The modes of one context: immutable; entering a mode sets a new one, leaving restores the old."""

    __slots__ = ("anomaly", "counted", "grad_enabled", "recorder")

    def __init__(self, grad_enabled: bool, anomaly: bool, recorder: Recorder | None,
                 counted: bool = True) -> None:
        self.grad_enabled, self.anomaly, self.recorder = grad_enabled, anomaly, recorder
        self.counted = counted
        if counted:
            _count_modes(1)

    def __del__(self) -> None:
        if self.counted:
            _count_modes(-1)


_modes_lock = threading.RLock()  # re-entrant: a __del__ may run while this thread holds it
_live_modes = 0
_fast = True


def _count_modes(delta: int) -> None:
    global _live_modes, _fast
    with _modes_lock:
        _live_modes += delta
        _fast = _live_modes == 0


_DEFAULT = _Modes(True, False, None, counted=False)
_MODES: ContextVar[_Modes] = ContextVar("autograd_modes", default=_DEFAULT)


def _modes() -> _Modes:
    """The modes of the calling thread or task."""
    return _MODES.get()


def _enter(grad_enabled: bool, anomaly: bool, recorder: Recorder | None) -> Token:
    """Make these the calling context's modes; ``_MODES.reset(token)`` restores the previous ones."""
    if grad_enabled and not anomaly and recorder is None:
        return _MODES.set(_DEFAULT)
    return _MODES.set(_Modes(grad_enabled, anomaly, recorder))


def _recorder() -> Recorder | None:
    """The calling context's recorder (``autograd.trace``), if it is recording."""
    return None if _fast else _MODES.get().recorder


# --------------------------------------------------------------------------- version counter
#
# Every node carries ``_version``, a stamp from one process-wide clock. A node made by an op,
# or a new leaf, is stamped with the clock as it is (no tick: building stays one store). Each
# assignment to ``.data`` ticks the clock and stamps the node with the new time, so a parent
# stamped later than its consumer was changed after the consumer used it, and ``backward``
# refuses (``VersionError``). A node made by an op whose data is assigned gets -1: its own
# backward rule would read the new data against its old inputs, so every edge into it fails
# the test. The clock ticks under a lock so that it never runs backwards between threads.
# The test is made on each edge by ``graph.topological_order``, which visits every edge
# anyway (a separate pass would cost twice as much), and ``backward`` refuses what it found.
_clock = 0
_clock_lock = threading.Lock()
_acquire, _release = _clock_lock.acquire, _clock_lock.release  # a third faster than ``with``


def _tick() -> int:
    global _clock
    _acquire()
    try:
        _clock += 1
        return _clock
    finally:
        _release()


def _binary_method(op: Op) -> Callable[[Value, Any], Value]:
    """The Value method for a two-input op: forward from the table row, then one new node.

    Building nodes is the hot path of every expression, so the row's forward
    function is called directly and the node is filled in place; any failure
    (domain, overflow) is handed to ``evaluate``, which raises the full error.
    """
    forward, domain, params = op.forward, op.prim.domain, op.params

    def method(self: Value, other: Any) -> Value:
        if type(other) is not Value:
            other = _lift(other, op)
            if other is NotImplemented:
                return other
        stamp = _clock  # read before the data: a concurrent assignment then stamps newer
        x, y = self._data, other._data
        if domain is not None and not domain(x, y, *params):
            evaluate(op, (x, y))  # raises the domain error
        try:
            out = forward(FLOATS, x, y)
        except (ArithmeticError, ValueError):
            out = evaluate(op, (x, y))  # raises, naming the op and its inputs
        if out - out:  # inf or nan: evaluate raises unless an input was already non-finite
            out = evaluate(op, (x, y))
        v = _new(Value)
        v._data = out
        v._version = stamp
        v.grad = 0.0
        v.label = ""
        v._op = op
        if _fast:
            v._prev = (self, other)
            return v
        return _record_slow(v, (self, other))

    return method


def _rbinary_method(op: Op) -> Callable[[Value, Any], Value]:
    """``other (op) self`` for a number ``other``: the reflected dunder methods."""
    forward = _binary_method(op)

    def method(self: Value, other: Any) -> Value:
        other = _lift(other, op)
        return other if other is NotImplemented else forward(other, self)

    return method


def _unary_method(op: Op) -> Callable[[Value], Value]:
    """The Value method for a one-input op (see ``_binary_method``)."""
    forward, domain, params = op.forward, op.prim.domain, op.params

    def method(self: Value) -> Value:
        stamp = _clock
        x = self._data
        if domain is not None and not domain(x, *params):
            evaluate(op, (x,))
        try:
            out = forward(FLOATS, x)
        except (ArithmeticError, ValueError):
            out = evaluate(op, (x,))
        if out - out:
            out = evaluate(op, (x,))
        v = _new(Value)
        v._data = out
        v._version = stamp
        v.grad = 0.0
        v.label = ""
        v._op = op
        if _fast:
            v._prev = (self,)
            return v
        return _record_slow(v, (self,))

    return method


def _method(op: Op, factory: Callable[[Op], Callable]) -> Callable:
    """The method ``factory`` builds for ``op``, made once and kept on the ``Op`` itself."""
    methods = op.__dict__.setdefault("methods", {})
    method = methods.get(factory)
    if method is None:
        method = methods[factory] = factory(op)
    return method


def apply(op: Primitive | Op | str, *inputs: Any, params: tuple = ()) -> Value:
    """One node made by ``op`` from ``inputs``: a row of the table (by name) or a row of your own.

    ``apply("sin", x)`` is ``x.sin()``; ``apply(my_row, x, y)`` evaluates a
    ``Primitive`` you declared (its forward and partials, as in the table), so
    that backward, forward mode and ``create_graph`` all use your rule.
    ``params`` are the row's constant parameters, one finite number for each name
    in the row's ``params`` (a ``ValueError`` otherwise). Numbers become constant
    leaves; any other input, a numpy array included, is a ``TypeError``.
    """
    if isinstance(op, Primitive):
        op = Op(op, _apply_params(op, params))
    elif isinstance(op, str) and not isinstance(op, Op):
        if op not in PRIMITIVES:
            raise ValueError(f"apply: no primitive named {op!r}; known: {sorted(PRIMITIVES)}")
        checked = _apply_params(PRIMITIVES[op], params)
        op = op_with(op, *checked) if checked else OPS[op]
    elif not isinstance(op, Op):
        raise TypeError(f"apply: expected a Primitive, an Op or a name, got {describe(op)}")
    elif params:
        raise TypeError(f"apply: the Op {op!r} has its parameters bound already; "
                        "pass params only with a name or a Primitive")
    arity = op.prim.arity
    if arity not in (1, 2):
        raise TypeError(f"apply: {op!r} has arity {arity!r}; the engine builds nodes of 1 or 2 "
                        "inputs")
    if len(inputs) != arity:
        raise TypeError(f"apply: {op!r} takes {arity} input(s), got {len(inputs)}")
    first = inputs[0] if type(inputs[0]) is Value else _lift(inputs[0], op)
    if first is NotImplemented:
        raise TypeError(f"apply: unsupported operand {describe(inputs[0])} for {op!r}")
    if arity == 1:
        return _method(op, _unary_method)(first)
    out = _method(op, _binary_method)(first, inputs[1])
    if out is NotImplemented:  # an operator's method leaves arrays to numpy; apply cannot
        raise TypeError(f"apply: unsupported operand {describe(inputs[1])} for {op!r}")
    return out


def _apply_params(prim: Primitive, params: Any) -> tuple:
    """``params`` for ``prim``: as many as it names, each a finite float (``scalar.param``)."""
    params = tuple(params)
    if len(params) != len(prim.params):
        raise TypeError(f"apply: {prim.name!r} takes {len(prim.params)} parameter(s) "
                        f"{prim.params}, got {len(params)}")
    where = f"apply({prim.name!r})"
    return tuple(param(c, where, name) for c, name in zip(params, prim.params, strict=True))


# C0 and C1 control characters (ESC, NUL, newline...) and lone surrogates (which UTF-8 cannot
# encode): a label holding one breaks the DOT and HTML that viz writes.
_UNDRAWABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def check_label(label: object, where: str) -> str:
    """``label`` if it is a ``str`` that can be drawn, else a TypeError or ValueError naming where.

    Refused: a non-``str``, and a ``str`` holding a control character
    (U+0000 to U+001F, U+007F to U+009F: ``\\x1b``, ``\\x00``, ``\\n``) or a lone
    surrogate. ``Value(...)`` checks its label; ``viz`` checks every label it
    draws, which covers one assigned later (``v.label = ...``).
    """
    if not isinstance(label, str):
        raise TypeError(f"{where}: a label must be a str, got {describe(label)}")
    bad = _UNDRAWABLE.search(label)
    if bad is not None:
        char = bad.group()
        kind = "a lone surrogate" if "\ud800" <= char <= "\udfff" else "a control character"
        raise ValueError(
            f"{where}: label {label!r} contains {kind} (U+{ord(char):04X}); a label must be "
            "printable text, as viz draws it into DOT and HTML"
        )
    return label


class Value(Scalar):
    """A scalar node: ``data``, ``grad``, ``label``, the op that made it and its parents."""

    __slots__ = ("_data", "_op", "_prev", "_site", "_tangent", "_version", "grad", "label")
    _data: float
    _op: Op | str  # an Op (a str carrying its row) for a node made by an op; "" for a leaf
    _prev: tuple[Value, ...]
    _site: str | None
    _tangent: Any  # a float, or a Value when forward mode ran with create_graph
    _version: int
    grad: Any  # a float, or a Value after backward(create_graph=True)
    label: str

    def __init__(
        self,
        data: float,
        _children: Iterable[Value] = (),
        _op: str = "",
        label: str = "",
    ) -> None:
        self._data = as_float(data, "Value") if _fast else _number(data, "Value")
        self._version = _clock
        self.grad = 0.0
        if type(label) is not str or label:  # the default "" needs no check
            label = check_label(label, f"Value({self.data!r})")
        self.label = label
        prev = tuple(_children)
        for p in prev:
            if not isinstance(p, Value):
                raise TypeError(f"Value: parents must be Values, got {describe(p)}")
        self._prev = prev
        # A micrograd-style Value(data, children, '+') maps onto the table when the op is known.
        self._op = op = _op if isinstance(_op, Op) else OPS.get(_op, _op)
        if prev and isinstance(op, Op) and op.prim.arity != len(prev):
            raise TypeError(f"Value: op {str(op)!r} takes {op.prim.arity} input(s), "
                            f"got {len(prev)} parent(s) {prev!r}")
        if not _fast:
            _init_slow(self, data)

    # The methods of the table's rows (exp, __add__, ...) are made from the rows by
    # ``scalar.row_methods`` with these factories, and installed when the class is made: each
    # calls the row's forward function directly and fills the new node in place.
    _factories = Factories(unary=_unary_method, binary=_binary_method, reflected=_rbinary_method)

    # the three hooks of Scalar, for ops with parameters (x ** c, softplus) and for apply
    def _unary(self, op: Op) -> Value:
        return _method(op, _unary_method)(self)

    def _binary(self, op: Op, other: Any) -> Value:
        return _method(op, _binary_method)(self, other)

    def _rbinary(self, op: Op, other: Any) -> Value:
        return _method(op, _rbinary_method)(self, other)

    # public API -------------------------------------------------------------------------------
    @property
    def data(self) -> float:
        """The node's value, a float. Assigning it stamps a new version (see ``backward``)."""
        if _fast:
            return self._data
        recorder = _MODES.get().recorder
        return self._data if recorder is None else recorder.read(self)

    @data.setter
    def data(self, value: float) -> None:
        if type(value) is not float:
            value = _assigned(value)
        self._data = value
        # after the data: an op reading the clock first then sees the change as newer than itself
        stamp = _tick()
        self._version = -1 if self._prev else stamp

    @property
    def op(self) -> str:
        """The op that made this node ('' for a leaf)."""
        return self._op

    @property
    def tangent(self) -> float | None:
        """The tangent set by the last ``forward_tangents`` pass through this node, else None."""
        recorder = _recorder()
        if recorder is not None:
            raise recorder.refuse("reading .tangent")
        return getattr(self, "_tangent", None)

    @property
    def site(self) -> str | None:
        """Where this node was created, recorded only under ``detect_anomaly()``."""
        return getattr(self, "_site", None)

    def backward(
        self, gradient: float = 1.0, retain_graph: bool | None = None, create_graph: bool = False
    ) -> None:
        """Backpropagate from this node: add d self / d node to every node's ``grad``.

        Gradients *accumulate*: a second call adds the same amounts again, as in
        PyTorch; call ``zero_grad()`` (on a module or optimizer) in between.
        ``gradient`` seeds the sweep (d loss / d self), 1.0 by default.
        ``retain_graph`` is accepted for PyTorch code and changes nothing: this
        engine never frees a graph, so ``backward`` can always run again.
        ``create_graph=True`` (as in PyTorch) records the sweep itself, so
        every ``grad`` it reaches becomes a ``Value`` that can be differentiated
        again (``autograd.grad(..., create_graph=True)`` does the same without
        touching ``.grad``); ``zero_grad()`` before an optimizer reads them.
        Raises ``VersionError``, changing nothing, if the ``.data`` of a node
        in the graph was assigned after a node was computed from it (as
        PyTorch refuses a backward after an in-place change): build the graph
        again from the current data.
        """
        from .reverse import backward

        if not create_graph:
            backward(self, gradient)
            return
        from .graph import topological_order
        from .reverse import _run

        order = topological_order(self)
        saved = _run(order, _leaf(as_float(gradient, "backward")), create_graph=True)
        for n, old in zip(order, saved, strict=True):
            if old:
                n.grad = n.grad + old

    @property
    def _backward(self) -> Callable[[], None]:
        """This node's one chain-rule step, micrograd's ``_backward``: ``node._backward()``.

        Calling it adds ``d_i * self.grad`` to each parent's ``grad``, with the
        local partials d_i from the node's row of the table (a leaf has no step),
        so the lecture's ``o.grad = 1.0; o._backward(); n._backward()`` walks
        backpropagation by hand. Assigning a closure, as micrograd defines an op
        (``out = Value(t, (x,), 'cube'); out._backward = f``), makes the node a
        custom op (``autograd.primitives.CustomOp``): ``backward()``, the
        drawings, the steppers and ``gradcheck`` find its partials by calling
        the closure (linear in ``out.grad``) once per visit.
        """
        op = self._op
        if isinstance(op, CustomOp):
            return op.closure

        def step() -> None:
            recorder = _recorder()
            if recorder is not None:
                raise recorder.refuse("_backward() (float gradients)")
            parents = self._prev
            if not parents:
                return
            if not isinstance(op, Op):
                raise RuleError(f"_backward: no derivative rule for op {str(op)!r}: it is not in the "
                                "primitive table; assign a _backward closure to define one")
            from .sweep import check_arity

            ds = op.partials(FLOATS, self._data, *[p._data for p in parents])
            check_arity(self, ds)
            g = self.grad
            for p, d in zip(parents, ds, strict=True):
                p.grad += d * g

        return step

    @_backward.setter
    def _backward(self, closure: Callable[[], None]) -> None:
        if not callable(closure):
            raise TypeError(f"_backward: expected a function of no arguments, got {describe(closure)}")
        if not self._prev:
            raise ValueError(
                f"_backward: {self!r} is a leaf (no parents), so it has no backward step to define; "
                "make the node with its inputs, Value(data, (x, ...), 'name'), then assign"
            )
        label = self._op if isinstance(self._op, str) else str(self._op)
        self._op = CustomOp(label, self, closure)

    # numbers, as from a one-element tensor -----------------------------------------------------
    def __float__(self) -> float:
        """``float(v)``: the data (as ``float(tensor)``); refused while tracing (it would freeze)."""
        if not _fast:
            recorder = _MODES.get().recorder
            if recorder is not None:
                raise recorder.refuse("float() on a Value (the tape would keep it as a constant)")
        return self._data

    def __int__(self) -> int:
        """``int(v)``: the data truncated toward zero (as ``int(tensor)``); refused while tracing."""
        return int(self.__float__())

    def __round__(self, ndigits: int | None = None) -> float | int:
        """``round(v, n)``: the data rounded, a plain number (not a node); refused while tracing."""
        return round(self.__float__(), ndigits)

    def __format__(self, spec: str) -> str:
        """``f"{v:.4f}"`` formats the data; an empty spec gives ``str(v)`` (printing changes nothing)."""
        return format(self.data, spec) if spec else str(self)

    # in-place updates, the torch idiom `with no_grad(): p -= lr * p.grad` ----------------------
    def _inplace(self, op: str, other: Any, fn: Callable[[float, float], float]) -> Self | None:
        """The updated leaf under ``no_grad()``; None for a non-leaf outside it (a new node).

        A leaf outside ``no_grad()`` is PyTorch's error: rebinding it would
        leave the model's parameter untouched, updating it would change data
        a graph may hold.
        """
        if self._prev:
            return None
        if _fast or _MODES.get().grad_enabled:
            raise RuntimeError(
                f"a leaf Variable that requires grad is being used in an in-place operation "
                f"({op} on {self!r}): update a parameter under no_grad() "
                f"(with no_grad(): p {op} ...), or write x = x {op[0]} ... for a new node"
            )
        if isinstance(other, Value):
            y = other.data
        elif isinstance(other, numbers.Real):
            y = as_float(other, op)
        else:
            raise TypeError(f"{op}: expected a number or a Value, got {describe(other)}")
        self.data = fn(self.data, y)
        return self

    def __iadd__(self, other: Any) -> Self:
        """``x += y``: in place on a leaf under ``no_grad()``; a new node on a non-leaf; else an error."""
        out = self._inplace("+=", other, _add)
        return self + other if out is None else out

    def __isub__(self, other: Any) -> Self:
        """``x -= y``: in place on a leaf under ``no_grad()``; a new node on a non-leaf; else an error."""
        out = self._inplace("-=", other, _sub)
        return self - other if out is None else out

    def __imul__(self, other: Any) -> Self:
        """``x *= y``: in place on a leaf under ``no_grad()``; a new node on a non-leaf; else an error."""
        out = self._inplace("*=", other, _mul)
        return self * other if out is None else out

    def __itruediv__(self, other: Any) -> Self:
        """``x /= y``: in place on a leaf under ``no_grad()``; a new node on a non-leaf; else an error."""
        out = self._inplace("/=", other, _div)
        return self / other if out is None else out

    def detach(self) -> Value:
        """A new leaf with the same data and no history, as ``torch.Tensor.detach``."""
        leaf = _leaf(self._data)
        if not _fast:
            recorder = _MODES.get().recorder
            if recorder is not None:  # a stop-gradient node, recomputed per sample on replay
                recorder.derive(leaf, recorder.read(self))
        return leaf

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self._data}, grad={self.grad}{label})"


def _add(a: float, b: float) -> float:
    return a + b


def _sub(a: float, b: float) -> float:
    return a - b


def _mul(a: float, b: float) -> float:
    return a * b


def _div(a: float, b: float) -> float:
    if b == 0:
        raise DivisionByZero("/=", (a, b), "the divisor must not be 0")
    return a / b


def _leaf(x: float) -> Value:
    v = _new(Value)
    v._data = x
    v._version = _clock
    v.grad = 0.0
    v.label = ""
    v._op = ""
    v._prev = ()
    if not _fast and _MODES.get().anomaly:
        v._site = _user_site()
    return v


def _lift(x: Any, op: Op) -> Value:
    """A number as a constant leaf (NotImplemented for arrays, so numpy maps over them)."""
    if type(x) is float:
        return _leaf(x)
    if not _fast:
        recorder = _MODES.get().recorder
        if recorder is not None:
            number = recorder.number(x)
            if number is not None:  # a number read from a node: a stop-gradient leaf
                leaf = _leaf(number)
                recorder.derive(leaf, x)
                return leaf
    x = operand(x, op, Value)
    return x if x is NotImplemented else _leaf(x)


def _record_slow(v: Value, parents: tuple) -> Value:
    """Finish a node under ``no_grad()`` (no parents kept), ``detect_anomaly()`` or a recording."""
    modes = _MODES.get()
    v._prev = parents if modes.grad_enabled else ()
    if modes.anomaly:
        v._site = _user_site()
        if not math.isfinite(v._data):
            raise AnomalyError(v._op, [p._data for p in parents], f"produced {v._data!r}", v._site)
    if modes.recorder is not None and not v._prev:
        modes.recorder.unrecorded(v, parents)
    return v


def _number(x: Any, op: str) -> float:
    """``as_float(x, op)``, except that a number the calling context's recorder read gives its float."""
    recorder = _MODES.get().recorder
    number = None if recorder is None else recorder.number(x)
    return as_float(x, op) if number is None else number


def _init_slow(v: Value, data: Any) -> None:
    """``Value(...)`` under a mode: the creation site (anomaly); a leaf made from read data (tracing)."""
    modes = _MODES.get()
    if modes.anomaly:
        v._site = _user_site()
    if modes.recorder is not None and not v._prev and modes.recorder.number(data) is not None:
        modes.recorder.derive(v, data)


def _assigned(value: Any) -> float:
    """A number assigned to ``Value.data`` as a float (ints, bools and numpy scalars convert)."""
    if isinstance(value, numbers.Real):
        recorder = _recorder()
        if recorder is not None and recorder.number(value) is not None:
            raise recorder.refuse("assigning a number read from a Value to .data")
        return as_float(value, "Value.data")
    raise TypeError(f"Value.data: expected a real number (int, float or numpy scalar), "
                    f"got {describe(value)}")


class VersionError(RuntimeError):
    """``backward`` met a node whose data was assigned after the graph used it (PyTorch's in-place check)."""


def _stale(node: Value, parent: Value) -> VersionError:
    """The error for the edge ``node`` <- ``parent`` that ``topological_order`` found stale."""
    op = node._op
    if node._version < 0:
        return VersionError(
            f"backward: the data of {node!r}, made by {str(op)!r}, was assigned after it was computed; "
            f"its backward rule would mix the new value with the old inputs. Assign to leaves "
            "(parameters), or detach() the node first and build on the detached copy"
        )
    i = next(k for k, q in enumerate(node._prev) if q is parent)
    return VersionError(
        f"backward: the data of {parent!r} was assigned after {str(op)!r} used it (input {i} of "
        f"{node!r}); the graph holds the old value, so its gradients would be wrong. "
        "Build the graph again from the current data (as after each optimizer step)"
    )


def _before_backward(order: list[Value], create_graph: bool) -> bool:
    """What every backward sweep checks first; returns whether ``detect_anomaly()`` is on.

    A recording context refuses float gradients (they derive from the data),
    and so is a graph whose data changed after it was used: ``order`` (from
    ``topological_order``) names the first such edge in ``order.stale``.
    """
    anomaly = False
    if not _fast:
        modes = _MODES.get()
        if modes.recorder is not None and not create_graph:
            raise modes.recorder.refuse("backward() or grad() without create_graph=True "
                                        "(float gradients)")
        anomaly = modes.anomaly
    stale = getattr(order, "stale", None)
    if stale is not None:
        raise _stale(*stale)
    return anomaly


# Directories whose frames belong to the library, not to the user (see ``_user_site``): the
# engine's own; packages built on it (nn, viz) add theirs with ``register_package``.
_internal_dirs: tuple[str, ...] = (os.path.dirname(os.path.abspath(__file__)) + os.sep,)


def register_package(path: str) -> None:
    """Count the package at ``path`` (its directory, or any file in it) as part of the library.

    Messages that point at the user's code (the creation site that
    ``detect_anomaly()`` records) skip frames in these directories. A package
    built on the engine calls it at import: ``register_package(__file__)``.
    """
    global _internal_dirs
    path = os.path.abspath(path)
    directory = (path if os.path.isdir(path) else os.path.dirname(path)) + os.sep
    if directory not in _internal_dirs:
        _internal_dirs = (*_internal_dirs, directory)


def _user_site() -> str | None:
    """'file:line in function' of the innermost frame outside this library's packages."""
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        filename = os.path.abspath(frame.f_code.co_filename)
        if not filename.startswith(_internal_dirs):
            return f"{filename}:{frame.f_lineno} in {frame.f_code.co_name}"
        frame = frame.f_back
    return None
