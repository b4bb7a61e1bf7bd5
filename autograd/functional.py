"""Whole-function derivatives: ``jacobian`` and ``hessian`` of functions of several scalars.

``f`` takes the inputs as separate ``Value`` arguments and returns one
``Value`` or a list of them. Results are float64 numpy arrays, indexed
[output, input] for the Jacobian and [input, input] for the Hessian.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .forward import forward_tangents
from .reverse import grad
from .scalar import as_float
from .value import Value


def _outputs(f: Callable[..., Any], xs: list[Value], name: str) -> tuple[list[Value], bool]:
    out = f(*xs)
    single = not isinstance(out, (list, tuple))
    outs = [out] if single else list(out)
    # a constant output (a number, or a Value that ignores the inputs) has zero derivatives
    return [o if isinstance(o, Value) else Value(as_float(o, name)) for o in outs], single


def _inputs(inputs: Sequence[float], name: str) -> list[Value]:
    return [Value(as_float(x.data if isinstance(x, Value) else x, name)) for x in inputs]


def jacobian(
    f: Callable[..., Any], inputs: Sequence[float], mode: str = "reverse"
) -> np.ndarray:
    """The m x n matrix J[i, j] = d f_i / d x_j at ``inputs``.

    ``mode="reverse"`` runs one backward sweep per output (cheap when m < n);
    ``mode="forward"`` pushes one tangent per input through the recorded graph
    (cheap when n < m). Both give the same matrix.
    """
    xs = _inputs(inputs, "jacobian")
    outs, _ = _outputs(f, xs, "jacobian")
    jac = np.zeros((len(outs), len(xs)))
    if mode == "reverse":
        for i, o in enumerate(outs):
            jac[i, :] = grad(o, xs)
    elif mode == "forward":
        for j, x in enumerate(xs):
            jac[:, j] = forward_tangents(outs, {x: 1.0})
    else:
        raise ValueError(f"jacobian: mode must be 'reverse' or 'forward', got {mode!r}")
    return jac


def hessian(f: Callable[..., Any], inputs: Sequence[float]) -> np.ndarray:
    """The n x n matrix H[i, j] = d^2 f / d x_i d x_j of a scalar ``f`` (reverse over reverse)."""
    xs = _inputs(inputs, "hessian")
    outs, single = _outputs(f, xs, "hessian")
    if not single or len(outs) != 1:
        raise ValueError("hessian: f must return a single Value")
    first = grad(outs[0], xs, create_graph=True)
    hess = np.zeros((len(xs), len(xs)))
    for i, g in enumerate(first):
        hess[i, :] = grad(g, xs)
    return hess
