"""Small postfix programs over tape nodes: what a number read with ``v.data`` became.

Inside a traced function, ``v.data`` is a ``TracedFloat``: the number and how
it was computed. That "how" is a postfix program, a tuple of tokens:

- ``Node(i)`` pushes the value of tape node ``i`` (while recording: the
  ``Value`` itself),
- ``Const(c)`` pushes the number ``c``,
- ``Apply(name)`` pops one operand (``neg``, ``abs``) or two (``add``,
  ``sub``, ``mul``, ``div``, ``pow``) and pushes the result.

So ``abs(x.data - 1.0)`` is ``(Node(x), Const(1.0), Apply('sub'),
Apply('abs'))``. A replay evaluates such programs on arrays (numpy's
operations, one element per sample) or, where numpy flags inf or nan, on
Python floats, as the traced code did (``FLOAT_OPS``). A ``Decision`` is a
comparison of two programs, with the outcome it had while tracing.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np


class Node(NamedTuple):
    """Push the value of a tape node (a ``Value`` while recording, a node number on the tape)."""

    node: Any

    def __repr__(self) -> str:
        return f"Node(%{self.node})" if isinstance(self.node, int) else "Node(<Value>)"


class Const(NamedTuple):
    """Push a number."""

    value: float

    def __repr__(self) -> str:
        return f"Const({self.value!r})"


class Apply(NamedTuple):
    """Pop one operand (``neg``, ``abs``) or two (``add`` ... ``pow``), push the result."""

    name: str

    def __repr__(self) -> str:
        return f"Apply({self.name!r})"


Token = Node | Const | Apply
Program = tuple[Token, ...]

UNARY: dict[str, tuple[Callable, str]] = {"neg": (np.negative, "-{}"), "abs": (np.abs, "abs({})")}
BINARY: dict[str, tuple[Callable, str]] = {
    "add": (np.add, "+"), "sub": (np.subtract, "-"), "mul": (np.multiply, "*"),
    "div": (np.true_divide, "/"), "pow": (np.power, "**"),
}
FLOAT_OPS: dict[str, Callable] = {  # the same on Python floats: x / 0 raises, as it did when traced
    "neg": operator.neg, "abs": abs, "add": operator.add, "sub": operator.sub,
    "mul": operator.mul, "div": operator.truediv, "pow": operator.pow,
}
COMPARISONS: dict[str, Callable] = {
    "<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal,
    "==": np.equal, "!=": np.not_equal,
}


def prog_nodes(prog: Sequence[Token]) -> list:
    """The nodes a program reads, in order."""
    return [tok.node for tok in prog if isinstance(tok, Node)]


def prog_map(prog: Sequence[Token], index: Callable[[Any], Any]) -> Program:
    """The same program with each node ``v`` replaced by ``index(v)`` (Values to numbers)."""
    return tuple(Node(index(tok.node)) if isinstance(tok, Node) else tok for tok in prog)


def prog_text(prog: Sequence[Token], name: Callable[[Any], str] = lambda i: f"%{i}") -> str:
    """A program as it reads: ``(Node(12), Apply('abs'))`` is ``abs(%12)``."""
    stack: list[str] = []
    for tok in prog:
        if isinstance(tok, Node):
            stack.append(name(tok.node))
        elif isinstance(tok, Const):
            stack.append(repr(tok.value))
        elif tok.name in UNARY:
            stack.append(UNARY[tok.name][1].format(stack.pop()))
        else:
            b, a = stack.pop(), stack.pop()
            stack.append(f"({a} {BINARY[tok.name][1]} {b})")
    text = stack.pop()
    return text[1:-1] if text.startswith("(") and text.endswith(")") else text


def prog_eval(prog: Sequence[Token], value: Callable[[Any], Any],
              ops: dict[str, Callable] | None = None) -> Any:
    """Evaluate a program, ``value(i)`` giving node i's value (a float or an array).

    The operations are numpy's, or those of ``ops`` (``FLOAT_OPS``: Python's,
    which raise where a traced float did: ``x / 0`` is a ZeroDivisionError).
    """
    stack: list[Any] = []
    for tok in prog:
        if isinstance(tok, Node):
            stack.append(value(tok.node))
        elif isinstance(tok, Const):
            stack.append(tok.value)
        elif tok.name in UNARY:
            stack.append((ops[tok.name] if ops else UNARY[tok.name][0])(stack.pop()))
        else:
            b, a = stack.pop(), stack.pop()
            stack.append((ops[tok.name] if ops else BINARY[tok.name][0])(a, b))
    return stack.pop()


@dataclass(frozen=True)
class Decision:
    """A branch taken while tracing: ``lhs op rhs`` was ``outcome``, at ``site`` in the user's code.

    ``lhs`` and ``rhs`` are programs over tape nodes (see ``prog_text``); a
    replay evaluates them for every sample and refuses a sample for which the
    comparison comes out the other way.
    """

    lhs: Program
    op: str
    rhs: Program
    outcome: bool
    site: str

    @property
    def text(self) -> str:
        """The comparison as it reads: ``abs(%0) < 1.0``."""
        return f"{prog_text(self.lhs)} {self.op} {prog_text(self.rhs)}"

    def __str__(self) -> str:
        return f"{self.text} was {self.outcome}, at {self.site}"
