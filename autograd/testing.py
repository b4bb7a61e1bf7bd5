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
- ``expressions(...)``: random expression graphs (depth up to ``max_depth``)
  over chosen primitives, with fan-out and reuse (``x * x``, ``a + a``);
  domain-restricted ops get inputs mapped into their domain (log of
  ``x*x + 1``), so any real inputs are valid.
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
from .value import Value

__all__ = ["OPS", "Expression", "GradcheckError", "assert_gradients", "expressions", "floats_in"]


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


# --------------------------------------------------------------------------- random expressions

#: How each op is applied in a random expression, with its inputs mapped into its domain.
#: ``kink`` gives the distance of the inputs to the op's non-differentiable points.
OPS: dict[str, tuple[int, Callable[..., Any], Callable[..., float] | None]] = {
    "+": (2, lambda a, b: a + b, None),
    "-": (2, lambda a, b: a - b, None),
    "*": (2, lambda a, b: a * b, None),
    "/": (2, lambda a, b: a / (b * b + 1.0), None),
    "neg": (1, lambda a: -a, None),
    "**": (1, lambda a: a**2, None),
    "pow": (2, lambda a, b: (a * a + 0.5) ** b.tanh(), None),
    "exp": (1, lambda a: a.tanh().exp(), None),
    "log": (1, lambda a: (a * a + 1.0).log(), None),
    "log1p": (1, lambda a: (a * a).log1p(), None),
    "expm1": (1, lambda a: a.tanh().expm1(), None),
    "sqrt": (1, lambda a: (a * a + 1.0).sqrt(), None),
    "sin": (1, lambda a: a.sin(), None),
    "cos": (1, lambda a: a.cos(), None),
    "tanh": (1, lambda a: a.tanh(), None),
    "sigmoid": (1, lambda a: a.sigmoid(), None),
    "erf": (1, lambda a: a.erf(), None),
    "softplus": (1, lambda a: a.softplus(), None),
    "relu": (1, lambda a: a.relu(), lambda a: abs(a)),
    "abs": (1, lambda a: abs(a), lambda a: abs(a)),
    "logsigmoid": (1, lambda a: a.logsigmoid(), None),
    "hardtanh": (1, lambda a: a.hardtanh(-1.0, 1.0), lambda a: min(abs(a + 1), abs(a - 1))),
    "hardsigmoid": (1, lambda a: (a * 4.0).hardsigmoid(), lambda a: min(abs(4 * a + 3), abs(4 * a - 3))),
    "prelu": (2, lambda a, b: a.prelu(b), lambda a, b: abs(a)),
    "elu": (1, lambda a: a.elu(1.5), lambda a: abs(a)),
    "bce": (1, lambda a: a.sigmoid().binary_cross_entropy(0.3), None),
    "maximum": (2, lambda a, b: a.maximum(b), lambda a, b: abs(a - b)),
    "minimum": (2, lambda a, b: a.minimum(b), lambda a, b: abs(a - b)),
}


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
