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
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Callable, Iterable
from typing import Any

from .errors import AnomalyError
from .primitives import FLOATS, OPS, PRIMITIVES, Op, Primitive, op_with
from .scalar import (
    ABS,
    ADD,
    COS,
    DIV,
    ERF,
    EXP,
    EXPM1,
    LOG,
    LOG1P,
    LOGSIGMOID,
    MAXIMUM,
    MINIMUM,
    MUL,
    NEG,
    PRELU,
    RELU,
    SIGMOID,
    SIN,
    SQRT,
    SUB,
    TANH,
    Scalar,
    as_float,
    describe,
    evaluate,
    operand,
)

_new = object.__new__

# Mode flags, switched by ``no_grad()`` and ``detect_anomaly()`` (autograd.modes).
# ``_fast`` is True when neither is active, so the hot path tests one global.
_grad_enabled = True
_anomaly = False
_fast = True


def _set_modes(grad_enabled: bool, anomaly: bool) -> None:
    global _grad_enabled, _anomaly, _fast
    _grad_enabled, _anomaly = grad_enabled, anomaly
    _fast = grad_enabled and not anomaly


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
        x, y = self.data, other.data
        if domain is not None and not domain(x, y, *params):
            evaluate(op, (x, y))  # raises the domain error
        try:
            out = forward(FLOATS, x, y)
        except (ArithmeticError, ValueError):
            out = evaluate(op, (x, y))  # raises, naming the op and its inputs
        if out - out:  # inf or nan: evaluate raises unless an input was already non-finite
            out = evaluate(op, (x, y))
        v = _new(Value)
        v.data = out
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
        x = self.data
        if domain is not None and not domain(x, *params):
            evaluate(op, (x,))
        try:
            out = forward(FLOATS, x)
        except (ArithmeticError, ValueError):
            out = evaluate(op, (x,))
        if out - out:
            out = evaluate(op, (x,))
        v = _new(Value)
        v.data = out
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
    ``params`` are the row's constant parameters. Numbers become constant leaves.
    """
    if isinstance(op, Primitive):
        op = Op(op, tuple(params))
    elif isinstance(op, str) and not isinstance(op, Op):
        if op not in PRIMITIVES:
            raise ValueError(f"apply: no primitive named {op!r}; known: {sorted(PRIMITIVES)}")
        op = op_with(op, *params) if PRIMITIVES[op].params else OPS[op]
    elif not isinstance(op, Op):
        raise TypeError(f"apply: expected a Primitive, an Op or a name, got {describe(op)}")
    arity = op.prim.arity
    if len(inputs) != arity or arity not in (1, 2):
        raise TypeError(f"apply: {op!r} takes {arity} input(s), got {len(inputs)}")
    first = inputs[0] if type(inputs[0]) is Value else _lift(inputs[0], op)
    if first is NotImplemented:
        raise TypeError(f"apply: unsupported operand {describe(inputs[0])}")
    return _method(op, _unary_method)(first) if arity == 1 else _method(op, _binary_method)(first, inputs[1])


class Value(Scalar):
    """A scalar node: ``data``, ``grad``, ``label``, the op that made it and its parents."""

    __slots__ = ("_op", "_prev", "_site", "_tangent", "data", "grad", "label")

    def __init__(
        self,
        data: float,
        _children: Iterable[Value] = (),
        _op: str = "",
        label: str = "",
    ) -> None:
        self.data = as_float(data, "Value")
        self.grad = 0.0
        self.label = label
        prev = tuple(_children)
        for p in prev:
            if not isinstance(p, Value):
                raise TypeError(f"Value: parents must be Values, got {describe(p)}")
        self._prev = prev
        # A micrograd-style Value(data, children, '+') maps onto the table when the op is known.
        self._op = _op if isinstance(_op, Op) else OPS.get(_op, _op)
        if _anomaly:
            self._site = _user_site()

    # the three hooks of Scalar, for ops without a fast method below (x ** c, softplus)
    def _unary(self, op: Op) -> Value:
        return _method(op, _unary_method)(self)

    def _binary(self, op: Op, other: Any) -> Value:
        return _method(op, _binary_method)(self, other)

    def _rbinary(self, op: Op, other: Any) -> Value:
        return _method(op, _rbinary_method)(self, other)

    # public API -------------------------------------------------------------------------------
    @property
    def op(self) -> str:
        """The op that made this node ('' for a leaf)."""
        return self._op

    @property
    def tangent(self) -> float | None:
        """The tangent set by the last ``forward_tangents`` pass through this node, else None."""
        return getattr(self, "_tangent", None)

    @property
    def site(self) -> str | None:
        """Where this node was created, recorded only under ``detect_anomaly()``."""
        return getattr(self, "_site", None)

    def backward(self, gradient: float = 1.0) -> None:
        """Backpropagate from this node: add d self / d node to every node's ``grad``.

        Gradients *accumulate*: a second call adds the same amounts again, as in
        PyTorch; call ``zero_grad()`` (on a module or optimizer) in between.
        ``gradient`` seeds the sweep (d loss / d self), 1.0 by default.
        """
        from .reverse import backward

        backward(self, gradient)

    def detach(self) -> Value:
        """A new leaf with the same data and no history, as ``torch.Tensor.detach``."""
        return _leaf(self.data)

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data}, grad={self.grad}{label})"

    def _repr_mimebundle_(self, include=None, exclude=None):  # pragma: no cover - thin delegate
        """Jupyter: draw the graph under this node (viz), falling back to the repr."""
        try:
            import viz
        except ImportError:
            return {"text/plain": repr(self)}
        return viz.draw_graph(self)._repr_mimebundle_(include=include, exclude=exclude)

    # Fast methods for the table's ops, made by the factories above; they override Scalar's
    # generic ones (same docstrings) and skip one call per op on the hot path.
    __add__ = _binary_method(ADD)
    __radd__ = _rbinary_method(ADD)
    __sub__ = _binary_method(SUB)
    __rsub__ = _rbinary_method(SUB)
    __mul__ = _binary_method(MUL)
    __rmul__ = _rbinary_method(MUL)
    __truediv__ = _binary_method(DIV)
    __rtruediv__ = _rbinary_method(DIV)
    __neg__ = _unary_method(NEG)
    __abs__ = _unary_method(ABS)
    exp = _unary_method(EXP)
    log = _unary_method(LOG)
    log1p = _unary_method(LOG1P)
    expm1 = _unary_method(EXPM1)
    sqrt = _unary_method(SQRT)
    sin = _unary_method(SIN)
    cos = _unary_method(COS)
    tanh = _unary_method(TANH)
    sigmoid = _unary_method(SIGMOID)
    relu = _unary_method(RELU)
    abs = _unary_method(ABS)
    erf = _unary_method(ERF)
    maximum = _binary_method(MAXIMUM)
    minimum = _binary_method(MINIMUM)
    logsigmoid = _unary_method(LOGSIGMOID)
    prelu = _binary_method(PRELU)


for _name, _fn in list(vars(Value).items()):
    if callable(_fn) and _name in vars(Scalar) and _fn.__doc__ is None:
        _fn.__doc__ = getattr(Scalar, _name).__doc__
        _fn.__name__ = _fn.__qualname__ = _name


def _leaf(x: float) -> Value:
    v = _new(Value)
    v.data = x
    v.grad = 0.0
    v.label = ""
    v._op = ""
    v._prev = ()
    if _anomaly:
        v._site = _user_site()
    return v


def _lift(x: Any, op: Op) -> Value:
    """A number as a constant leaf (NotImplemented for arrays, so numpy maps over them)."""
    if type(x) is float:
        return _leaf(x)
    x = operand(x, op, Value)
    return x if x is NotImplemented else _leaf(x)


def _record_slow(v: Value, parents: tuple) -> Value:
    """Finish a node under ``no_grad()`` (no parents kept) or ``detect_anomaly()`` (site, checks)."""
    v._prev = parents if _grad_enabled else ()
    if _anomaly:
        v._site = _user_site()
        if not math.isfinite(v.data):
            raise AnomalyError(v._op, [p.data for p in parents], f"produced {v.data!r}", v._site)
    return v


_PACKAGE_DIRS = tuple(
    os.path.dirname(os.path.abspath(p)) + os.sep
    for p in (__file__, os.path.join(os.path.dirname(__file__), "..", "nn", "x"),
              os.path.join(os.path.dirname(__file__), "..", "viz", "x"))
)


def _user_site() -> str | None:
    """'file:line in function' of the innermost frame outside this library's packages."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = os.path.abspath(frame.f_code.co_filename)
        if not filename.startswith(_PACKAGE_DIRS):
            return f"{filename}:{frame.f_lineno} in {frame.f_code.co_name}"
        frame = frame.f_back
    return None
