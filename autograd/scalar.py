"""The operator surface shared by ``Value`` (graph nodes) and ``Dual`` (dual numbers).

Both kinds of scalar support the same arithmetic and the same functions, and
both evaluate them through the one table in ``autograd.primitives``; they
differ only in what they keep: a ``Value`` records its parents for the reverse
sweep, a ``Dual`` carries its tangent forward. Each subclass implements
``_unary(op)``, ``_binary(op, other)`` and ``_rbinary(op, other)``.

Comparisons (``<``, ``<=``, ``>``, ``>=``) compare ``data`` and return a
``bool``; ``==`` and ``hash`` stay by identity, so scalars can key dicts and
sets (``a == b`` is ``a is b``; compare ``a.data == b.data`` for values).
"""

from __future__ import annotations

import math
import numbers
import sys
from typing import Any

from .errors import DomainError, NumericOverflow, OpError
from .primitives import FLOATS, OPS, Op, op_with

ADD, SUB, MUL, DIV, NEG, POW = OPS["+"], OPS["-"], OPS["*"], OPS["/"], OPS["neg"], OPS["pow"]
EXP, LOG, LOG1P, EXPM1, SQRT = OPS["exp"], OPS["log"], OPS["log1p"], OPS["expm1"], OPS["sqrt"]
SIN, COS, TANH, SIGMOID = OPS["sin"], OPS["cos"], OPS["tanh"], OPS["sigmoid"]
RELU, ABS, ERF, MAXIMUM, MINIMUM = OPS["relu"], OPS["abs"], OPS["erf"], OPS["maximum"], OPS["minimum"]
LOGSIGMOID, PRELU = OPS["logsigmoid"], OPS["prelu"]


def describe(x: object) -> str:
    """A short ``type 'value'`` description of an offending operand for error messages."""
    text = repr(x)
    if len(text) > 40:
        text = text[:37] + "..."
    return f"{type(x).__name__} {text}"


def as_float(x: object, op: str) -> float:
    """``x`` as a float if it is a real number (int, float, bool, numpy scalar), else a TypeError.

    A number too large for a float (``10**400``) is a ``NumericOverflow`` naming ``op``.
    """
    if type(x) is float:
        return x
    if isinstance(x, numbers.Real):
        return _real(x, op)
    raise TypeError(
        f"{op}: expected a real number or a Value, got {describe(x)}"
    )


def _real(x: numbers.Real, op: str) -> float:
    """float(x), or a NumericOverflow naming ``op`` where Python's would name nothing."""
    try:
        return float(x)
    except OverflowError:
        kind = "integer" if isinstance(x, numbers.Integral) else type(x).__name__
        raise NumericOverflow(
            op, (x,),
            f"this {kind} is too large for a float (the largest is {sys.float_info.max!r})"
        ) from None


def param(x: object, op: str, name: str) -> float:
    """A constant parameter of ``op`` (an exponent, a slope, a bound) as a finite float.

    Not a real number: TypeError; inf or nan: ValueError naming ``op`` and
    ``name``. A parameter is no graph input, so the forward rule "finite in,
    non-finite out is an overflow" could not say what went wrong.
    """
    c = as_float(x, op)
    if not math.isfinite(c):
        raise ValueError(f"{op}: {name} must be a finite number, got {c!r}")
    return c


# The ops Python reaches through an operator (``x + arr``, ``arr ** x``): for a numpy array
# they return NotImplemented, so that numpy maps the op over its elements. A named op
# (``x.maximum(arr)``) has no reflected form: NotImplemented would reach the caller as a value.
_OPERATOR_OPS = frozenset({"+", "-", "*", "/", "pow"})


def operand(x: object, op: str, kind: type) -> Any:
    """The float a non-``kind`` operand stands for, or NotImplemented for arrays under an operator.

    Numbers become constants (one too large for a float is a ``NumericOverflow``
    naming the op); a numpy array gets NotImplemented from an operator
    (``+ - * / **``), so that numpy maps the op over its elements, and a
    TypeError from a named op (``maximum``, ``prelu``); anything else is a
    TypeError naming the op.
    """
    if isinstance(x, Scalar):
        raise TypeError(f"{op}: cannot combine a {kind.__name__} with a {type(x).__name__}")
    if isinstance(x, numbers.Real):
        return _real(x, op)
    if hasattr(x, "__array_ufunc__"):
        if op in _OPERATOR_OPS:
            return NotImplemented
        raise TypeError(
            f"{op}: unsupported operand {describe(x)}; {op} takes one scalar at a time, "
            "so apply it to each element (a list comprehension, or np.vectorize)"
        )
    raise TypeError(
        f"{op}: unsupported operand {describe(x)}; operands must be {kind.__name__}s or real numbers"
    )


def evaluate(op: Op, xs: tuple) -> float:
    """Run ``op``'s forward function on floats, turning every failure into an ``OpError``.

    The row's domain predicate is checked first, so ``log(-1)`` reports the
    domain rather than ``math domain error``; a finite input that overflows to
    an infinite result raises ``NumericOverflow``.
    """
    prim = op.prim
    if prim.domain is not None and not prim.domain(*xs, *op.params):
        raise prim.domain_error(op, xs, prim.domain_text)
    try:
        out = op.forward(FLOATS, *xs)
    except OverflowError:
        raise NumericOverflow(op, xs, "result overflows a float") from None
    except (ArithmeticError, ValueError) as exc:
        raise DomainError(op, xs, str(exc)) from None
    if out - out != 0.0 and all(math.isfinite(x) for x in xs):  # inf - inf and nan - nan are nan
        raise NumericOverflow(op, xs, f"finite inputs gave {out!r}")
    return out


class Scalar:
    """Arithmetic and elementwise functions, each dispatched to one row of the primitive table."""

    __slots__ = ()
    data: float

    # subclasses provide these three
    def _unary(self, op: Op) -> Any:
        raise NotImplementedError

    def _binary(self, op: Op, other: Any) -> Any:
        raise NotImplementedError

    def _rbinary(self, op: Op, other: Any) -> Any:
        raise NotImplementedError

    # arithmetic ------------------------------------------------------------------------------
    def __add__(self, other):
        return self._binary(ADD, other)

    def __radd__(self, other):
        return self._rbinary(ADD, other)

    def __sub__(self, other):
        return self._binary(SUB, other)

    def __rsub__(self, other):
        return self._rbinary(SUB, other)

    def __mul__(self, other):
        return self._binary(MUL, other)

    def __rmul__(self, other):
        return self._rbinary(MUL, other)

    def __truediv__(self, other):
        return self._binary(DIV, other)

    def __rtruediv__(self, other):
        return self._rbinary(DIV, other)

    def __neg__(self):
        return self._unary(NEG)

    def __pos__(self):
        return self

    def __pow__(self, other):
        """``x ** c`` for a number c (constant exponent, drawn '**c'); ``x ** y`` for a scalar y (x > 0)."""
        if isinstance(other, Scalar):
            return self._binary(POW, other)
        if hasattr(other, "__array_ufunc__"):
            return NotImplemented
        return self._unary(op_with("**", param(other, "**", "the exponent")))

    def __rpow__(self, other):
        return self._rbinary(POW, other)

    def __abs__(self):
        return self._unary(ABS)

    # functions -------------------------------------------------------------------------------
    def exp(self):
        """e ** self."""
        return self._unary(EXP)

    def log(self):
        """Natural logarithm; needs self > 0."""
        return self._unary(LOG)

    def log1p(self):
        """log(1 + self), accurate near 0; needs self > -1."""
        return self._unary(LOG1P)

    def expm1(self):
        """e ** self - 1, accurate near 0."""
        return self._unary(EXPM1)

    def sqrt(self):
        """Square root; needs self >= 0."""
        return self._unary(SQRT)

    def sin(self):
        return self._unary(SIN)

    def cos(self):
        return self._unary(COS)

    def tanh(self):
        return self._unary(TANH)

    def sigmoid(self):
        """The logistic function 1 / (1 + e ** -self), stable for large |self|."""
        return self._unary(SIGMOID)

    def relu(self):
        """max(self, 0), with relu'(0) = 0 as in PyTorch."""
        return self._unary(RELU)

    def abs(self):
        """|self|, with abs'(0) = 0 as in PyTorch."""
        return self._unary(ABS)

    def erf(self):
        """The error function."""
        return self._unary(ERF)

    def softplus(self, beta: float = 1.0, threshold: float = 20.0):
        """log(1 + e ** (beta x)) / beta, linear above threshold: ``torch.nn.functional.softplus``."""
        beta = param(beta, "softplus", "beta")
        if beta == 0:
            raise ValueError("softplus: beta must be non-zero")
        return self._unary(op_with("softplus", beta, param(threshold, "softplus", "threshold")))

    def logsigmoid(self):
        """log(sigmoid(self)), stable for large |self| (``torch.nn.functional.logsigmoid``)."""
        return self._unary(LOGSIGMOID)

    def hardtanh(self, min_val: float = -1.0, max_val: float = 1.0):
        """clamp(self, min_val, max_val), gradient 1 strictly inside (``torch.nn.functional.hardtanh``)."""
        lo, hi = param(min_val, "hardtanh", "min_val"), param(max_val, "hardtanh", "max_val")
        if not lo < hi:
            raise ValueError(f"hardtanh: min_val must be below max_val, got {lo} and {hi}")
        return self._unary(op_with("hardtanh", lo, hi))

    def hardsigmoid(self):
        """relu6(self + 3) / 6, PyTorch's ``Hardsigmoid`` (slope 1/6 on (-3, 3))."""
        return self._unary(OPS["hardsigmoid"])

    def prelu(self, slope):
        """self if self > 0 else slope * self; ``slope`` may be a learnable scalar (PReLU)."""
        return self._binary(PRELU, slope)

    def leaky_relu(self, negative_slope: float = 0.01):
        """self if self > 0 else negative_slope * self (``torch.nn.functional.leaky_relu``)."""
        return self._binary(PRELU, param(negative_slope, "leaky_relu", "negative_slope"))

    def elu(self, alpha: float = 1.0):
        """self if self > 0 else alpha * (e ** self - 1) (``torch.nn.functional.elu``)."""
        return self._unary(op_with("elu", param(alpha, "elu", "alpha")))

    def binary_cross_entropy(self, target: float):
        """-(t log p + (1 - t) log(1 - p)) for p = self in [0, 1], logs clamped at -100 (PyTorch)."""
        return self._unary(op_with("bce", param(target, "binary_cross_entropy", "target")))

    def maximum(self, other):
        """max(self, other), NaN if either is; a tie shares the gradient (``torch.maximum``)."""
        return self._binary(MAXIMUM, other)

    def minimum(self, other):
        """min(self, other), NaN if either is; a tie shares the gradient (``torch.minimum``)."""
        return self._binary(MINIMUM, other)

    # comparisons compare data; equality stays identity ---------------------------------------
    def __lt__(self, other):
        return self.data < _data(other, "<")

    def __le__(self, other):
        return self.data <= _data(other, "<=")

    def __gt__(self, other):
        return self.data > _data(other, ">")

    def __ge__(self, other):
        return self.data >= _data(other, ">=")

    __eq__ = object.__eq__
    __hash__ = object.__hash__

    def item(self) -> float:
        """The plain float value, as ``torch.Tensor.item``."""
        return self.data


def _data(other: object, op: str) -> float:
    """What a comparison compares: a scalar's data, an int as it is (exact past 1e308), a float."""
    if isinstance(other, Scalar):
        return other.data
    return other if type(other) is int else as_float(other, op)


__all__ = ["OpError", "Scalar", "as_float", "describe", "evaluate", "param"]
