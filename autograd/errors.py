"""The exceptions the engine raises for bad input and bad numbers.

Every arithmetic failure is an ``ArithmeticError`` that names the operation
and the offending input values, so that a learner sees *which* node broke:

- ``DomainError``: an input outside the op's domain (``log(-1)``, ``sqrt(-2)``).
  Also a ``ValueError``, as ``math.log(-1)`` raises one.
- ``DivisionByZero``: ``x / 0``. Also a ``ZeroDivisionError``.
- ``NumericOverflow``: a finite input gave a result too large for a float
  (``exp(1000)``, ``1e200 * 1e200``), an integer operand does not fit in a
  float (``x + 10**400``), or, in backward, finite inputs and a finite
  incoming gradient gave a non-finite gradient (``backward of *``). Also an
  ``OverflowError``.
- ``AnomalyError``: under ``detect_anomaly()``, the first non-finite value
  produced in forward or backward, with the source line that created the node.

Wrong operand types are plain ``TypeError`` s whose message names the op and
the type; those are raised where the operand is converted (``autograd.scalar``).
A constant parameter that is not finite (``x ** nan``, ``softplus(beta=inf)``)
is a plain ``ValueError`` naming the op and the parameter, raised before
anything is computed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def _fmt(x: object) -> str:
    """A number as it should read in a message: repr for floats, so nothing is rounded away.

    An int too large for a float reads as its sign and number of digits (its
    decimal text could be thousands of characters long).
    """
    if not isinstance(x, (int, float)):
        return repr(x)
    try:
        return repr(float(x))
    except OverflowError:  # only an int can be too large for a float
        x = int(x)
        digits = int(abs(x).bit_length() * math.log10(2)) + 1
        if abs(x) < 10 ** (digits - 1):
            digits -= 1
        return f"{'-' if x < 0 else ''}<int with {digits} digits>"


class OpError(ArithmeticError):
    """Base class: an operation ``op`` failed on ``inputs``."""

    def __init__(self, op: str, inputs: Sequence[object], reason: str):
        self.op = op
        self.inputs = tuple(inputs)
        self.reason = reason
        args = ", ".join(_fmt(x) for x in self.inputs)
        super().__init__(f"{op}({args}): {reason}")


class DomainError(OpError, ValueError):
    """An input lies outside the domain of the operation."""


class DivisionByZero(OpError, ZeroDivisionError):
    """Division by zero."""


class NumericOverflow(OpError, OverflowError):
    """A finite input produced a result (or a gradient) that does not fit in a float."""


class AnomalyError(OpError, FloatingPointError):
    """A non-finite value appeared while ``detect_anomaly()`` was active."""

    def __init__(self, op: str, inputs: Sequence[object], reason: str, site: str | None):
        self.site = site
        where = f"\n  node created at {site}" if site else ""
        super().__init__(op, inputs, reason + where)


class TraceError(RuntimeError):
    """``f`` cannot be traced faithfully: its tape would not compute what ``f`` computes."""


class BranchError(TraceError):
    """A sample (or a changed parameter) would take another branch than the one the tape recorded."""


class RuleError(TypeError):
    """A node whose op has no rule in the table, or whose rule returns the wrong number of partials."""
