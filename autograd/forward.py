"""Forward mode: dual numbers, ``jvp``, and tangents pushed through a recorded graph.

A dual number a + a' e (with e^2 = 0) carries a value and a tangent; applying
an op f gives f(a) + f'(a) a' e, so evaluating a function on duals computes
its directional derivative in the same single pass. ``Dual`` evaluates every
op with the rows of the primitive table: the output from ``forward``, the
tangent as sum_i d_i * tangent_i from ``partials``, the very numbers reverse
mode uses.

``forward_tangents(output, seeds)`` does the same over a graph that was
already recorded with ``Value`` s, visiting nodes parents-first (the forward
pass of ``autograd.sweep``) and setting ``node.tangent`` on each (viz draws
them).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, overload

from . import sweep
from .graph import topological_order
from .primitives import FLOATS, Op
from .scalar import Scalar, as_float, describe, evaluate, operand
from .value import Value


class Dual(Scalar):
    """A dual number: ``data`` (the primal value) and ``tangent`` (its derivative along a direction)."""

    __slots__ = ("data", "tangent")

    def __init__(self, data: float, tangent: float = 0.0) -> None:
        self.data = as_float(data, "Dual")
        self.tangent = as_float(tangent, "Dual")

    @property
    def primal(self) -> float:
        return self.data

    def _unary(self, op: Op) -> Dual:
        x = self.data
        out = evaluate(op, (x,))
        (d,) = op.partials(FLOATS, out, x)
        return _dual(out, d * self.tangent)

    def _binary(self, op: Op, other: Any) -> Dual:
        other = _lift(other, op)
        if other is NotImplemented:
            return other
        a, b = self.data, other.data
        out = evaluate(op, (a, b))
        da, db = op.partials(FLOATS, out, a, b)
        return _dual(out, da * self.tangent + db * other.tangent)

    def _rbinary(self, op: Op, other: Any) -> Dual:
        other = _lift(other, op)
        if other is NotImplemented:
            return other
        return other._binary(op, self)

    def __repr__(self) -> str:
        return f"Dual(data={self.data}, tangent={self.tangent})"


def _dual(data: float, tangent: float) -> Dual:
    d = object.__new__(Dual)
    d.data = data
    d.tangent = tangent
    return d


def _lift(x: Any, op: Op) -> Dual:
    """A number as a constant dual (tangent 0); NotImplemented for arrays."""
    if type(x) is Dual:
        return x
    x = operand(x, op, Dual)
    return x if x is NotImplemented else _dual(x, 0.0)


def jvp(
    f: Callable[..., Any],
    primals: Sequence[float],
    tangents: Sequence[float],
) -> tuple[Any, Any]:
    """Evaluate ``f(*primals)`` and its derivative along ``tangents`` in one forward pass.

    Returns ``(value, directional_derivative)``: floats when ``f`` returns one
    scalar, lists when it returns a list or tuple (like ``torch.func.jvp``).
    ``f`` must use only scalar arithmetic and the ``Value``/``Dual`` methods.
    """
    primals, tangents = list(primals), list(tangents)
    if len(primals) != len(tangents):
        raise ValueError(
            f"jvp: {len(primals)} primals but {len(tangents)} tangents; give one tangent per primal"
        )
    duals = [Dual(p, t) for p, t in zip(primals, tangents, strict=True)]
    out = f(*duals)
    if isinstance(out, (list, tuple)):
        pairs = [_unpack(o) for o in out]
        return [p for p, _ in pairs], [t for _, t in pairs]
    return _unpack(out)


def _unpack(out: Any) -> tuple[float, float]:
    if isinstance(out, Dual):
        return out.data, out.tangent
    return as_float(out, "jvp"), 0.0  # f returned a constant


@overload
def forward_tangents(output: Value, seeds: Mapping[Value, float], store: bool = True) -> float: ...


@overload
def forward_tangents(
    output: Sequence[Value], seeds: Mapping[Value, float], store: bool = True
) -> list[float]: ...


def forward_tangents(
    output: Value | Sequence[Value], seeds: Mapping[Value, float], store: bool = True
) -> float | list[float]:
    """Push tangents forward through a recorded graph; return the output's tangent(s).

    ``seeds`` maps leaves (inputs) to their tangents; other leaves get 0. Every
    node reached gets ``node.tangent`` = sum_i d_i * parent_i.tangent, computed
    parents-first with the same partials as the backward sweep (the one
    forward pass of ``autograd.sweep``). ``output`` may be one Value or a list
    of them (one pass serves them all). With ``store=False`` nothing is
    written to the nodes (``gradcheck`` checks without leaving a trace).
    """
    outputs = [output] if isinstance(output, Value) else list(output)
    order = topological_order(*outputs)
    checked: dict[Value, float] = {}
    for x, t in seeds.items():
        if not isinstance(x, Value):
            raise TypeError(f"forward_tangents: seeds must be keyed by Values, got {describe(x)}")
        if x._prev:
            raise ValueError(f"forward_tangents: seed given for {x!r}, which is not a leaf")
        checked[x] = as_float(t, "forward_tangents")
    tangents = sweep.forward(order, checked)
    if store:
        for node, t in zip(order, tangents, strict=True):
            node._tangent = t
    index = {v: i for i, v in enumerate(order)}
    result = [tangents[index[o]] for o in outputs]
    return result[0] if isinstance(output, Value) else result
