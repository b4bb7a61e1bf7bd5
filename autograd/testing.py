"""Property-testing gradients: hypothesis strategies and one assertion helper.

What you need to test *your own* derivatives the way this project tests its
primitives::

    from hypothesis import given
    from autograd.testing import assert_gradients, floats_in

    @given(floats_in(-3, 3), floats_in(0.1, 3))
    def test_my_op(x, y):
        assert_gradients(lambda x, y: my_op(x, y), [x, y])

- ``floats_in(low, high, avoid=..., margin=...)``: floats in a closed
  interval, kept ``margin`` away from the points in ``avoid`` (kinks, poles).
- ``arguments(row)``: inputs and params for one row of the primitive table,
  drawn where the row says (its ``sample`` intervals and ``param_samples``),
  away from its ``kinks``; ``call(row, *inputs, *params)`` applies the row.
- ``expressions(...)``: random expression graphs (depth up to ``max_depth``)
  over chosen primitives, with fan-out and reuse (``x * x``, ``a + a``);
  ops with a ``sample`` interval get inputs mapped into it (log of
  ``c + r tanh(x)``), so any real inputs are valid.

Everything about a primitive is read from its row (``autograd.primitives``),
so a row added with ``register`` is drawn and composed like the others.
- ``assert_gradients(f, inputs)``: reverse mode, forward mode over the
  recorded graph, dual numbers and central differences must all agree;
  otherwise a plain ``AssertionError`` with a table.

This module needs ``hypothesis`` (the ``test`` extra); the engine itself does not.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from .gradcheck import GradcheckError, gradcheck
from .modes import no_grad
from .primitives import PRIMITIVES, REFLECTED, TABLE, Primitive, subscribe
from .value import Value

__all__ = ["OPS", "Expression", "GradcheckError", "arguments", "assert_gradients", "call",
           "expressions", "floats_in"]


def floats_in(
    low: float, high: float, avoid: Iterable[float] = (), margin: float = 1e-3
) -> st.SearchStrategy[float]:
    """Floats in [low, high] (no nan, no inf) at least ``margin`` away from each point in ``avoid``."""
    if not low <= high:
        raise ValueError(f"floats_in: empty interval [{low}, {high}]")
    points = tuple(avoid)
    base = st.floats(low, high, allow_nan=False, allow_infinity=False)
    if not points:
        return base
    return base.filter(lambda x: all(abs(x - p) >= margin for p in points))


def assert_gradients(
    f: Callable[..., Any],
    inputs: Sequence[float],
    eps: float = 1e-6,
    atol: float = 1e-6,
    rtol: float = 1e-4,
    dual: bool = True,
) -> None:
    """Assert that reverse mode, forward mode (graph and dual numbers) and central differences agree.

    ``f`` takes one scalar per input. The comparison is ``|a - n| <= atol +
    rtol * |n|`` in float64; on failure an ``AssertionError`` (``GradcheckError``)
    lists input, mode, analytic, numeric and difference for every mismatch.
    Set ``dual=False`` when ``f`` cannot run on ``Dual`` s (it builds Values itself).
    """
    gradcheck(f, inputs, eps=eps, atol=atol, rtol=rtol, dual=dual)


# --------------------------------------------------------------------------- the rows' inputs


def call(row: Primitive, *args: Any) -> Any:
    """Apply ``row`` to its inputs and then its params, through its first method.

    ``call(PRIMITIVES["+"], a, b)`` is ``a.__add__(b)``; a row whose first
    method is a reflected operator (``pow``: ``__rpow__``) is called through
    the operator itself (``a.__pow__(b)``, which is ``a ** b``). Works on
    whatever has the methods: ``Value``, ``Dual``, ``autograd.reference.Value``.
    """
    if not row.method_names:
        raise ValueError(f"call: the row {row.name!r} has no methods; use autograd.apply")
    name = row.method_names[0]
    inputs, params = args[: row.arity], args[row.arity :]
    if name in REFLECTED:
        name = "__" + name[3:]  # __rpow__ -> __pow__
    return getattr(inputs[0], name)(*inputs[1:], *params)


def arguments(row: Primitive | str) -> st.SearchStrategy[tuple[list[float], tuple[float, ...]]]:
    """``(inputs, params)`` for ``row``: params from its ``param_samples``, inputs from its
    ``sample`` intervals, kept its ``margin`` away from its ``kinks``."""
    prim = PRIMITIVES[row] if isinstance(row, str) else row
    params = st.sampled_from(prim.param_samples) if prim.params else st.just(())
    inputs = st.tuples(*(floats_in(*prim.interval(i)) for i in range(prim.arity))).map(list)
    drawn = st.tuples(inputs, params)
    if callable(prim.kinks) or prim.kinks:
        drawn = drawn.filter(lambda ip: prim.kink_distance(*ip[0], *ip[1]) > prim.margin)
    return drawn


# --------------------------------------------------------------------------- random expressions
#
# Each row is applied with its inputs mapped into where it may be drawn (``sample``), so any
# real inputs are valid: input a becomes c + r tanh(a), which covers the interval cut to
# [-BOUND, BOUND] (exp stays below e^2 however deep the expression). Rows that may take any
# input (no ``sample``) get their inputs as they are, and the first of ``param_samples``.

BOUND = 2.0

Apply = Callable[..., Any]
Kink = Callable[..., float]

#: How each op is applied in a random expression, with its inputs mapped into its domain:
#: ``(arity, apply, kink)``; ``kink`` gives the distance of the inputs to the op's kinks.
#: Made from the rows of ``autograd.primitives.TABLE`` (and kept in step with ``register``).
OPS: dict[str, tuple[int, Apply, Kink | None]] = {}


def _into(lo: float, hi: float) -> tuple[float, float]:
    """(c, r): a -> c + r tanh(a) covers (lo, hi) cut to [-BOUND, BOUND]."""
    lo, hi = max(lo, -BOUND), min(hi, BOUND)
    return (lo + hi) / 2, (hi - lo) / 2


def _expression_op(row: Primitive) -> tuple[int, Apply, Kink | None]:
    params = row.param_samples[0] if row.params else ()
    maps = [_into(*row.interval(i)) for i in range(row.arity)] if row.sample else None

    def apply(*xs: Any) -> Any:
        if maps is not None:
            xs = tuple(c + r * x.tanh() for (c, r), x in zip(maps, xs, strict=True))
        return call(row, *xs, *params)

    if not callable(row.kinks) and not row.kinks:
        return row.arity, apply, None

    def kink(*xs: float) -> float:
        if maps is not None:
            xs = tuple(c + r * math.tanh(x) for (c, r), x in zip(maps, xs, strict=True))
        return row.kink_distance(*xs, *params)

    return row.arity, apply, kink


def _on_table_change(row: Primitive, added: bool) -> None:
    if added and row.method_names:
        OPS[row.name] = _expression_op(row)
    else:
        OPS.pop(row.name, None)


for _row in TABLE:
    _on_table_change(_row, True)
del _row
subscribe(_on_table_change)


@dataclass(frozen=True)
class Expression:
    """A random straight-line program: ``steps[k] = (op, args)`` defines node n_inputs + k.

    Arguments index earlier nodes (inputs first), so nodes are shared (fan-out)
    and an op may take the same node twice (``x * x``). The last node is the
    output. Call it on ``Value`` s or ``Dual`` s.
    """

    n_inputs: int
    steps: tuple[tuple[str, tuple[int, ...]], ...]

    def __call__(self, *xs: Any) -> Any:
        if len(xs) != self.n_inputs:
            raise ValueError(f"Expression: expected {self.n_inputs} inputs, got {len(xs)}")
        nodes = list(xs)
        for name, args in self.steps:
            nodes.append(OPS[name][1](*(nodes[i] for i in args)))
        return nodes[-1]

    def kink_distance(self, xs: Sequence[float]) -> float:
        """How close the evaluation at ``xs`` comes to a kink (inf if it has none)."""
        with no_grad():
            nodes = [Value(x) for x in xs]
            closest = math.inf
            for name, args in self.steps:
                inputs = [nodes[i] for i in args]
                kink = OPS[name][2]
                if kink is not None:
                    closest = min(closest, kink(*(v.data for v in inputs)))
                nodes.append(OPS[name][1](*inputs))
        return closest

    def __str__(self) -> str:
        names = [f"x{i}" for i in range(self.n_inputs)]
        for name, args in self.steps:
            names.append(f"{name}({', '.join(names[i] for i in args)})")
        return names[-1]


@st.composite
def expressions(
    draw: Callable,
    ops: Sequence[str] | None = None,
    n_inputs: int = 2,
    max_steps: int = 10,
    max_depth: int = 6,
) -> Expression:
    """Random ``Expression`` s over ``ops`` (default: every primitive), of depth at most ``max_depth``."""
    names = sorted(OPS) if ops is None else list(ops)
    unknown = [n for n in names if n not in OPS]
    if unknown:
        raise ValueError(f"expressions: unknown ops {unknown}; choose from {sorted(OPS)}")
    depth = [0] * n_inputs
    steps = []
    for _ in range(draw(st.integers(1, max_steps))):
        usable = [i for i, d in enumerate(depth) if d < max_depth]
        name = draw(st.sampled_from(names))
        arity = OPS[name][0]
        # prefer recent nodes so that chains get deep, but allow any earlier node (fan-out)
        args = tuple(
            draw(st.sampled_from(usable[::-1])) for _ in range(arity)
        )
        steps.append((name, args))
        depth.append(1 + max(depth[i] for i in args))
    return Expression(n_inputs, tuple(steps))
