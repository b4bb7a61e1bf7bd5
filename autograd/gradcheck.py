"""Checking gradients against central finite differences.

For each input x_j, the numeric derivative is
    (f(x + eps e_j) - f(x - eps e_j)) / (2 eps),
whose error is O(eps^2) for smooth f. It is compared, in float64, with the
engine's reverse mode and forward mode (and optionally dual numbers) using
``|analytic - numeric| <= atol + rtol * |numeric|``. A mismatch raises
``GradcheckError`` (an ``AssertionError``) whose message is a table of
output, input, analytic, numeric and difference.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .forward import forward_tangents, jvp
from .reverse import grad
from .scalar import as_float
from .value import Value


class GradcheckError(AssertionError):
    """Analytic and numeric derivatives disagree; the message is the table of disagreements."""


def _as_list(out: Any) -> list:
    return list(out) if isinstance(out, (list, tuple)) else [out]


def _data(x: Any, name: str) -> float:
    return x.data if isinstance(x, Value) else as_float(x, name)


def numeric_gradient(
    f: Callable[..., Any], inputs: Sequence[float], eps: float = 1e-6
) -> list[list[float]]:
    """Central differences: rows are outputs, columns inputs (``f`` is run on fresh leaves)."""
    x = [_data(v, "numeric_gradient") for v in inputs]

    def run(point: list[float]) -> list[float]:
        # not under no_grad: f may itself differentiate (numeric second derivatives)
        return [_data(o, "numeric_gradient") for o in _as_list(f(*map(Value, point)))]

    columns = []
    for j in range(len(x)):
        plus, minus = list(x), list(x)
        plus[j] += eps
        minus[j] -= eps
        columns.append([(a - b) / (2 * eps) for a, b in zip(run(plus), run(minus), strict=True)])
    n_out = len(columns[0]) if columns else len(_as_list(f(*map(Value, x))))
    return [[columns[j][i] for j in range(len(x))] for i in range(n_out)]


def gradcheck(
    f: Callable[..., Any],
    inputs: Sequence[float],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    dual: bool = False,
    raise_exception: bool = True,
) -> bool:
    """Check reverse mode (and forward mode) of ``f`` at ``inputs`` against finite differences.

    ``f`` takes one ``Value`` per input and returns a ``Value`` or a list of
    them. Compared for every (output, input) pair: ``grad`` (reverse mode),
    ``forward_tangents`` over the recorded graph (forward mode) and, with
    ``dual=True``, ``jvp`` on dual numbers (``f`` must then use only scalar
    arithmetic on its arguments). Nothing is left on any node: ``grad`` and
    the forward pass run on their own accumulators, so a model's parameters
    that ``f`` reads keep their ``.grad`` and ``.tangent``. Returns True, or raises ``GradcheckError``
    with a table (returns False instead when ``raise_exception=False``).
    """
    x = [_data(v, "gradcheck") for v in inputs]
    leaves = [Value(v) for v in x]
    outs = [o if isinstance(o, Value) else Value(_data(o, "gradcheck")) for o in _as_list(f(*leaves))]
    reverse = [grad(o, leaves) for o in outs]
    forward = [[0.0] * len(x) for _ in outs]
    for j, leaf in enumerate(leaves):
        for i, t in enumerate(forward_tangents(outs, {leaf: 1.0}, store=False)):
            forward[i][j] = t
    duals = None
    if dual:
        duals = [[0.0] * len(x) for _ in outs]
        for j in range(len(x)):
            _, tangents = jvp(lambda *a: _as_list(f(*a)), x, [float(k == j) for k in range(len(x))])
            for i, t in enumerate(tangents):
                duals[i][j] = t
    numeric = numeric_gradient(f, x, eps)

    def close(a: float, b: float) -> bool:
        return abs(a - b) <= atol + rtol * abs(b)

    rows = []
    for i in range(len(outs)):
        for j in range(len(x)):
            n = numeric[i][j]
            modes = [("reverse", reverse[i][j]), ("forward", forward[i][j])]
            if duals is not None:
                modes.append(("dual", duals[i][j]))
            for name, a in modes:
                if not close(a, n):
                    rows.append((i, j, x[j], name, a, n, a - n))
    if not rows:
        return True
    if not raise_exception:
        return False
    header = f"{'out':>3} {'in':>3} {'x':>12} {'mode':>8} {'analytic':>16} {'numeric':>16} {'diff':>12}"
    lines = [header] + [
        f"{i:>3} {j:>3} {xj:>12.6g} {name:>8} {a:>16.10g} {n:>16.10g} {d:>12.3g}"
        for i, j, xj, name, a, n, d in rows
    ]
    raise GradcheckError(
        f"gradcheck: {len(rows)} derivative(s) disagree with central differences "
        f"(eps={eps}, atol={atol}, rtol={rtol}):\n" + "\n".join(lines)
    )
