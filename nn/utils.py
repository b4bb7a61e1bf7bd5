"""Gradient clipping, as ``torch.nn.utils``: ``clip_grad_norm_`` and ``clip_grad_value_``.

Both change the parameters' ``grad`` in place (the trailing underscore, as in
PyTorch) and are called between ``backward()`` and the optimizer's ``step()``.
Parameters whose ``grad`` is ``None`` (after ``zero_grad(set_to_none=True)``
and no backward through them) are skipped, as in PyTorch.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import Any

from autograd import Value

__all__ = ["GradNorm", "clip_grad_norm_", "clip_grad_value_"]


class GradNorm(float):
    """The total norm ``clip_grad_norm_`` returns: a float that also has PyTorch's ``.item()``.

    PyTorch returns a 0-dim tensor; code written for it calls
    ``norm.item()``, which gives the plain float here too.
    """

    __slots__ = ()

    def item(self) -> float:
        """The norm as a plain ``float``, as ``torch.Tensor.item``."""
        return float(self)


def _parameters(parameters: Value | Iterable[Value], op: str) -> list[Value]:
    """The parameters as a list: one Value, or an iterable of them."""
    if isinstance(parameters, Value):
        return [parameters]
    if isinstance(parameters, (str, dict)) or not isinstance(parameters, Iterable):
        raise TypeError(
            f"{op}: expected a Value or an iterable of Values, got {type(parameters).__name__}"
        )
    params = list(parameters)
    for p in params:
        if not isinstance(p, Value):
            raise TypeError(
                f"{op}: expected Values, but one of the parameters is {type(p).__name__}"
            )
    return params


def _threshold(value: Any, key: str, op: str) -> float:
    """A non-negative limit as a float, else a TypeError or ValueError naming ``op``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{op}: {key} must be a real number, got {type(value).__name__} {value!r}")
    value = float(value)
    if not value >= 0.0:  # also catches nan
        raise ValueError(f"{op}: invalid {key}={value!r} (must be >= 0)")
    return value


def clip_grad_norm_(
    parameters: Value | Iterable[Value],
    max_norm: float,
    norm_type: float | str = 2.0,
    error_if_nonfinite: bool = False,
) -> GradNorm:
    r"""Scale all gradients together so that their p-norm is at most ``max_norm``; return that norm.

    With gradients g_i and p = ``norm_type``::

        N = (Σ |g_i|^p)^(1/p)               N = max |g_i| for p = inf
        c = max_norm / (N + 1e-6)
        g_i ← c g_i                         only when c < 1

    The gradients are treated as one vector, so the direction of the update
    is kept. Returns N, the norm *before* clipping, as PyTorch does (a
    ``GradNorm``: a float with ``.item()``). ``p`` may
    be any positive number, ``inf`` or ``'inf'``. With
    ``error_if_nonfinite``, a nan or infinite N raises ``RuntimeError``
    instead of filling the gradients with nan.
    """
    op = "clip_grad_norm_"
    params = _parameters(parameters, op)
    max_norm = _threshold(max_norm, "max_norm", op)
    try:
        p = float(norm_type)
    except (TypeError, ValueError):
        raise TypeError(f"{op}: norm_type must be a number or 'inf', got {norm_type!r}") from None
    if not p > 0.0:
        raise ValueError(f"{op}: invalid norm_type={norm_type!r} (must be > 0 or inf)")
    params = [q for q in params if q.grad is not None]
    if not params:
        return GradNorm(0.0)
    grads = [q.grad for q in params]
    if p == math.inf:
        total = max(abs(g) for g in grads)
        if any(math.isnan(g) for g in grads):  # max() would drop a nan that PyTorch's max keeps
            total = math.nan
    elif p == 2.0:
        total = math.sqrt(sum(g * g for g in grads))
    else:
        try:
            total = sum(abs(g) ** p for g in grads) ** (1.0 / p)
        except OverflowError:
            total = math.inf
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(
            f"{op}: the total norm of order {p} of the gradients is {total}, so they cannot be "
            "clipped; pass error_if_nonfinite=False to scale them by it anyway"
        )
    # PyTorch multiplies by min(c, 1) always; multiplying by 1.0 changes nothing, and a nan c
    # spreads to the gradients as it does in PyTorch
    scale = min(max_norm / (total + 1e-6), 1.0)
    for q in params:
        q.grad = q.grad * scale
    return GradNorm(total)


def clip_grad_value_(parameters: Value | Iterable[Value], clip_value: float) -> None:
    r"""Clamp every gradient into [-clip_value, clip_value]: g_i ← min(max(g_i, -c), c).

    Unlike ``clip_grad_norm_`` this changes the direction of the gradient
    vector when only some components are clamped.
    """
    op = "clip_grad_value_"
    params = _parameters(parameters, op)
    c = _threshold(clip_value, "clip_value", op)
    for q in params:
        if q.grad is not None:
            q.grad = min(max(q.grad, -c), c)
