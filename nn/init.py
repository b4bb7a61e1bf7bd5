"""Initialisers: fill a layer's weights in place, as ``torch.nn.init``.

A weight matrix here is a list of rows of ``Value`` s, one row per output and
one column per input (the layout of PyTorch's ``Linear.weight``), so
``fan_in`` is the row length and ``fan_out`` the number of rows. A flat list
(one neuron's weights, a bias) works too when ``fan_in`` and ``fan_out`` are
given. Every function sets ``.data`` of each Value in place, records nothing
in any graph and returns the list it was given.

The scaled initialisers keep the variance of activations (or of gradients)
about the same from layer to layer:

- Xavier / Glorot: Var(w) = gain^2 * 2 / (fan_in + fan_out), so
  ``xavier_uniform_`` draws U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out))
  and ``xavier_normal_`` draws N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out)).
- Kaiming / He: Var(w) = gain^2 / fan with fan = fan_in (or fan_out), so
  ``kaiming_normal_`` has std = gain / sqrt(fan) and ``kaiming_uniform_`` draws
  U(-b, b) with b = gain * sqrt(3 / fan) (a uniform U(-b, b) has variance b^2 / 3).

``gain`` comes from ``calculate_gain``. Random numbers come from a numpy
Generator (``generator=``: a Generator, an int seed, or None for the
package's default generator; see ``nn.random``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from autograd import Value

from .random import get_generator

__all__ = [
    "calculate_gain",
    "constant_",
    "fan_in_fan_out",
    "kaiming_normal_",
    "kaiming_uniform_",
    "normal_",
    "ones_",
    "uniform_",
    "xavier_normal_",
    "xavier_uniform_",
    "zeros_",
]

GeneratorLike = np.random.Generator | int | None

#: Nonlinearities whose gain is 1 (``torch.nn.init.calculate_gain`` lists the same names).
_GAIN_ONE = (
    "linear",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "sigmoid",
)
_NONLINEARITIES = (*_GAIN_ONE, "tanh", "relu", "leaky_relu", "selu")
_MODES = ("fan_in", "fan_out")


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for weights followed by ``nonlinearity`` (PyTorch's table).

    ============================ =====================================
    nonlinearity                 gain
    ============================ =====================================
    linear, conv*, sigmoid       1
    tanh                         5/3
    relu                         sqrt(2)
    leaky_relu                   sqrt(2 / (1 + negative_slope^2))
    selu                         3/4
    ============================ =====================================

    For ``leaky_relu``, ``param`` is the negative slope (default 0.01); it is
    ignored for the others. Names are the lower-case ``nn.functional`` names.
    """
    if nonlinearity in _GAIN_ONE:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3.0
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            slope = float(param)
        else:
            raise ValueError(f"calculate_gain: negative_slope {param!r} is not a valid number")
        return math.sqrt(2.0 / (1.0 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4.0
    raise ValueError(
        f"calculate_gain: unsupported nonlinearity {nonlinearity!r}; "
        f"choose one of {list(_NONLINEARITIES)}"
    )


def fan_in_fan_out(weight_rows: list[list[Value]]) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight matrix given as rows: (row length, number of rows).

    Rows are outputs and columns inputs, as PyTorch's ``Linear.weight``
    (shape ``[out_features, in_features]``).
    """
    if not isinstance(weight_rows, (list, tuple)) or not weight_rows:
        raise ValueError("fan_in_fan_out: expected a non-empty list of rows (lists of Values)")
    if not all(isinstance(row, (list, tuple)) for row in weight_rows):
        raise ValueError(
            "fan_in_fan_out: expected a list of rows (lists of Values), got a flat list; "
            "pass fan_in and fan_out for a flat list"
        )
    fan_in = len(weight_rows[0])
    for i, row in enumerate(weight_rows):
        if len(row) != fan_in:
            raise ValueError(
                f"fan_in_fan_out: rows must have equal lengths; row 0 has {fan_in}, "
                f"row {i} has {len(row)}"
            )
    return fan_in, len(weight_rows)


# --------------------------------------------------------------------------- helpers


def _leaves(weights: Any, name: str) -> list[Value]:
    """The Values of ``weights`` (a flat list or a list of rows) in row-major order."""
    if not isinstance(weights, (list, tuple)):
        raise TypeError(f"{name}: expected a list of Values or of rows, got {type(weights).__name__}")
    flat: list[Value] = []
    for item in weights:
        for v in item if isinstance(item, (list, tuple)) else (item,):
            if not isinstance(v, Value):
                raise TypeError(f"{name}: expected Values, got {type(v).__name__} {v!r}")
            flat.append(v)
    return flat


def _is_empty(weights: Any, name: str) -> bool:
    """True when ``weights`` holds no Value: filling it is a no-op, as in PyTorch."""
    return not _leaves(weights, name)


def _gain(gain: float, name: str) -> float:
    if isinstance(gain, bool) or not isinstance(gain, (int, float)) or not gain >= 0:
        raise ValueError(f"{name}: gain must be a number >= 0, got {gain!r}")
    return float(gain)


def _fans(weights: Any, fan_in: int | None, fan_out: int | None, name: str) -> tuple[int, int]:
    """The fans given, or those of the rows; given fans must agree with the rows' shape."""
    nested = bool(weights) and all(isinstance(row, (list, tuple)) for row in weights)
    for label, fan in (("fan_in", fan_in), ("fan_out", fan_out)):
        if fan is not None and (isinstance(fan, bool) or not isinstance(fan, int) or fan < 1):
            raise ValueError(f"{name}: {label} must be a positive int, got {fan!r}")
    if not nested:
        if fan_in is None or fan_out is None:
            raise ValueError(
                f"{name}: fan_in and fan_out are needed for a flat list of weights "
                "(or pass the weight matrix as a list of rows)"
            )
        return fan_in, fan_out
    shape_in, shape_out = fan_in_fan_out(weights)
    if (fan_in or shape_in, fan_out or shape_out) != (shape_in, shape_out):
        raise ValueError(
            f"{name}: fan_in={fan_in}, fan_out={fan_out} disagree with the rows "
            f"({shape_out} rows of {shape_in})"
        )
    return shape_in, shape_out


def _fill(weights: Any, name: str, draw: Callable[[int], Any]) -> Any:
    """Set the Values of ``weights`` to ``draw(n)`` (n numbers, row-major); return ``weights``."""
    flat = _leaves(weights, name)
    for v, x in zip(flat, draw(len(flat)), strict=True):
        v.data = float(x)
    return weights


# --------------------------------------------------------------------------- constants


def constant_(weights: Any, val: float) -> Any:
    """Set every weight to ``val``."""
    val = float(val)
    return _fill(weights, "constant_", lambda n: [val] * n)


def zeros_(weights: Any) -> Any:
    """Set every weight to 0."""
    return constant_(weights, 0.0)


def ones_(weights: Any) -> Any:
    """Set every weight to 1."""
    return constant_(weights, 1.0)


# --------------------------------------------------------------------------- plain distributions


def uniform_(weights: Any, a: float = 0.0, b: float = 1.0, generator: GeneratorLike = None) -> Any:
    """Draw every weight from U(a, b), the half-open interval [a, b); needs a <= b."""
    if not a <= b:
        raise ValueError(f"uniform_: needs a <= b, got a={a}, b={b}")
    gen = get_generator(generator)
    return _fill(weights, "uniform_", lambda n: gen.uniform(a, b, size=n))


def normal_(weights: Any, mean: float = 0.0, std: float = 1.0, generator: GeneratorLike = None) -> Any:
    """Draw every weight from N(mean, std^2); needs std >= 0."""
    if not std >= 0:
        raise ValueError(f"normal_: needs std >= 0, got std={std}")
    gen = get_generator(generator)
    return _fill(weights, "normal_", lambda n: gen.normal(mean, std, size=n))


# --------------------------------------------------------------------------- Xavier / Glorot


def xavier_uniform_(
    weights: Any,
    fan_in: int | None = None,
    fan_out: int | None = None,
    gain: float = 1.0,
    generator: GeneratorLike = None,
) -> Any:
    """Glorot & Bengio (2010): U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)).

    The fans default to those of ``weights`` given as rows (see ``fan_in_fan_out``).
    """
    if _is_empty(weights, "xavier_uniform_"):
        return weights
    fan_in, fan_out = _fans(weights, fan_in, fan_out, "xavier_uniform_")
    bound = _gain(gain, "xavier_uniform_") * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(weights, -bound, bound, generator)


def xavier_normal_(
    weights: Any,
    fan_in: int | None = None,
    fan_out: int | None = None,
    gain: float = 1.0,
    generator: GeneratorLike = None,
) -> Any:
    """Glorot & Bengio (2010): N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    if _is_empty(weights, "xavier_normal_"):
        return weights
    fan_in, fan_out = _fans(weights, fan_in, fan_out, "xavier_normal_")
    std = _gain(gain, "xavier_normal_") * math.sqrt(2.0 / (fan_in + fan_out))
    return normal_(weights, 0.0, std, generator)


# --------------------------------------------------------------------------- Kaiming / He


def _kaiming_std(
    weights: Any, fan_in: int | None, fan_out: int | None,
    a: float, mode: str, nonlinearity: str, name: str,
) -> float:
    """std = gain / sqrt(fan), with gain = calculate_gain(nonlinearity, a) and fan chosen by mode."""
    if not isinstance(mode, str) or mode.lower() not in _MODES:
        raise ValueError(f"{name}: mode {mode!r} is not supported; use one of {list(_MODES)}")
    gain = calculate_gain(nonlinearity, a)
    fan_in, fan_out = _fans(weights, fan_in, fan_out, name)
    fan = fan_in if mode.lower() == "fan_in" else fan_out
    return gain / math.sqrt(fan)


def kaiming_uniform_(
    weights: Any,
    fan_in: int | None = None,
    fan_out: int | None = None,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: GeneratorLike = None,
) -> Any:
    """He et al. (2015): U(-b, b) with b = gain * sqrt(3 / fan).

    ``gain = calculate_gain(nonlinearity, a)``, where ``a`` is the negative
    slope of a following leaky ReLU; the defaults (``a=0``, ``'leaky_relu'``)
    give gain sqrt(2), the ReLU gain. ``mode='fan_in'`` keeps the variance of
    the forward activations, ``'fan_out'`` that of the backward gradients.
    """
    if _is_empty(weights, "kaiming_uniform_"):
        return weights
    std = _kaiming_std(weights, fan_in, fan_out, a, mode, nonlinearity, "kaiming_uniform_")
    bound = math.sqrt(3.0) * std
    return uniform_(weights, -bound, bound, generator)


def kaiming_normal_(
    weights: Any,
    fan_in: int | None = None,
    fan_out: int | None = None,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: GeneratorLike = None,
) -> Any:
    """He et al. (2015): N(0, std^2) with std = gain / sqrt(fan) (see ``kaiming_uniform_``)."""
    if _is_empty(weights, "kaiming_normal_"):
        return weights
    std = _kaiming_std(weights, fan_in, fan_out, a, mode, nonlinearity, "kaiming_normal_")
    return normal_(weights, 0.0, std, generator)
