"""The whole engine in one file, written to be read rather than to be fast.

``autograd.value`` is the engine to use: it is tuned for speed, and its
backpropagation is spread over several modules. This module is the same
engine with nothing but the idea left, in the shape of micrograd's
``engine.py``: a ``Value`` holds a number (``data``), the derivative of the
output with respect to it (``grad``), the op that made it (``_op``) and the
nodes it was made from (``_prev``, a tuple in argument order).

Every op goes through one helper, ``_apply``, which looks the op up in the
table of primitives (``autograd.primitives``, the one the fast engine reads),
checks its domain and runs its forward function. ``backward`` puts the graph
in topological order, as micrograd's ``build_topo`` does, and then applies the
chain rule at every node, from the output back: parent.grad += d_i * node.grad,
where d_i are the local partials that the node's row of the table gives.
"""

from __future__ import annotations

import numbers

from .primitives import FLOATS, OPS, Op, op_with


def _as_value(x: Value | float, op: str) -> Value:
    """A Value as it is; a number as a constant leaf (as in micrograd); anything else a TypeError."""
    if isinstance(x, Value):
        return x
    if isinstance(x, numbers.Real):
        return Value(x)
    raise TypeError(f"{op}: expected a number or a Value, got {type(x).__name__}")


def _apply(name: str, *operands: Value | float, params: tuple[float, ...] = ()) -> Value:
    """The one way a node is made: find the op's row in the table, check its domain, run forward."""
    op = op_with(name, *params) if params else OPS[name]
    inputs = tuple(_as_value(x, name) for x in operands)
    xs = [v.data for v in inputs]
    row = op.prim
    if row.domain is not None and not row.domain(*xs, *params):
        raise row.domain_error(str(op), xs, row.domain_text)
    return Value(op.forward(FLOATS, *xs), inputs, op)


class Value:
    """A number in a computation graph, with the gradient that ``backward`` gives it."""

    __slots__ = ("_op", "_prev", "data", "grad", "label")
    data: float
    grad: float
    label: str
    _op: Op | str  # an Op for a node made by an op; "" (or a label) for a leaf
    _prev: tuple[Value, ...]

    def __init__(
        self, data: float, _prev: tuple[Value, ...] = (), _op: Op | str = "", label: str = ""
    ) -> None:
        if not isinstance(data, numbers.Real):
            raise TypeError(f"Value: expected a number, got {type(data).__name__}")
        self.data = float(data)
        self.grad = 0.0
        self.label = label
        self._op = _op
        self._prev = _prev

    def __repr__(self) -> str:
        return f"Value(data={self.data}, grad={self.grad})"

    # arithmetic: self (op) other, and other (op) self for a number on the left
    def __add__(self, other: Value | float) -> Value: return _apply("+", self, other)
    def __radd__(self, other: Value | float) -> Value: return _apply("+", other, self)
    def __sub__(self, other: Value | float) -> Value: return _apply("-", self, other)
    def __rsub__(self, other: Value | float) -> Value: return _apply("-", other, self)
    def __mul__(self, other: Value | float) -> Value: return _apply("*", self, other)
    def __rmul__(self, other: Value | float) -> Value: return _apply("*", other, self)
    def __truediv__(self, other: Value | float) -> Value: return _apply("/", self, other)
    def __rtruediv__(self, other: Value | float) -> Value: return _apply("/", other, self)
    def __neg__(self) -> Value: return _apply("neg", self)
    def __abs__(self) -> Value: return _apply("abs", self)

    def __pow__(self, exponent: float) -> Value:
        """self ** c for a constant number c: the exponent is a parameter of the op, not an input."""
        if not isinstance(exponent, numbers.Real):  # a Value is not a numbers.Real
            raise TypeError(f"**: the exponent must be a number, got {type(exponent).__name__}")
        return _apply("**", self, params=(float(exponent),))

    # functions of one input
    def exp(self) -> Value: return _apply("exp", self)
    def log(self) -> Value: return _apply("log", self)
    def log1p(self) -> Value: return _apply("log1p", self)
    def expm1(self) -> Value: return _apply("expm1", self)
    def sqrt(self) -> Value: return _apply("sqrt", self)
    def sin(self) -> Value: return _apply("sin", self)
    def cos(self) -> Value: return _apply("cos", self)
    def tanh(self) -> Value: return _apply("tanh", self)
    def sigmoid(self) -> Value: return _apply("sigmoid", self)
    def relu(self) -> Value: return _apply("relu", self)
    def erf(self) -> Value: return _apply("erf", self)

    def backward(self) -> None:
        """Set self.grad to 1, then add d self / d node to the grad of every node self depends on.

        First a topological order, micrograd's ``build_topo``: a node is
        appended after all its children. micrograd writes it as a recursive
        function, which stops at Python's recursion limit (about 1,000 nodes
        deep); here the same visits run from an explicit stack. A node is
        pushed once to visit its children and once more to be appended.
        """
        topo: list[Value] = []
        visited: set[Value] = set()
        stack = [(self, False)]
        while stack:
            node, children_done = stack.pop()
            if children_done:
                topo.append(node)
            elif node not in visited:
                visited.add(node)
                stack.append((node, True))
                for child in reversed(node._prev):  # reversed: the first child is visited first
                    stack.append((child, False))

        self.grad = 1.0
        for node in reversed(topo):
            if node._prev:
                op = node._op
                if not isinstance(op, Op):
                    raise TypeError(
                        f"backward: a node made from {len(node._prev)} input(s) has op {op!r}, "
                        "which is not a row of the table; build nodes with Value's operators"
                    )
                ds = op.partials(FLOATS, node.data, *[p.data for p in node._prev])
                for p, d in zip(node._prev, ds, strict=True):
                    p.grad += d * node.grad
