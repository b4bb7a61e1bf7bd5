"""Reverse mode: the backward sweep, ``backward()`` and ``grad()``.

One sweep over the topological order, from the output back to the leaves;
at each node the primitive table gives the local partials d_i, and each
parent receives ``d_i * node.grad``. The sweep uses each node's ``grad`` slot
as its accumulator; what was there before (from earlier passes) is set aside
first and added back at the end, so that gradients *accumulate* across
``backward()`` calls exactly as in PyTorch, and ``grad()`` can leave every
``.grad`` as it found it.

With ``create_graph=True`` the same rules are evaluated on the nodes
themselves (the ``VALUES`` backend), so the gradients come back as ``Value`` s
that can be differentiated again.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from . import value as value_module
from .errors import AnomalyError, DivisionByZero, DomainError, NumericOverflow, OpError
from .graph import topological_order
from .primitives import FLOATS, VALUES, Op
from .value import Value, _leaf


class RuleError(TypeError):
    """A node whose op has no rule in the table, or whose rule returns the wrong number of partials."""


def _sweep_floats(order: list[Value]) -> None:
    """Propagate float gradients from the last node of ``order`` to all others."""
    m = FLOATS
    for node in reversed(order):
        parents = node._prev
        if not parents:
            continue
        g = node.grad
        n = len(parents)
        # the two common arities are unrolled: this loop is the engine's hot path
        if n == 2:
            a, b = parents
            da, db = node._op.partials(m, node.data, a.data, b.data)
            a.grad += da * g
            b.grad += db * g
        elif n == 1:
            (a,) = parents
            (da,) = node._op.partials(m, node.data, a.data)
            a.grad += da * g
        else:
            ds = node._op.partials(m, node.data, *[p.data for p in parents])
            _check_arity(node, ds)
            for p, d in zip(parents, ds):
                p.grad += d * g


def _sweep_general(order: list[Value], create_graph: bool, check: bool) -> None:
    """The same sweep, for the two slow cases.

    ``create_graph``: rules are evaluated on the nodes themselves, so every
    partial, product and sum is recorded and the gradients are ``Value`` s.
    ``check`` (under ``detect_anomaly()``): the first non-finite gradient
    contribution raises ``AnomalyError`` naming the op and where it was created.
    """
    for node in reversed(order):
        parents = node._prev
        if not parents:
            continue
        g = node.grad
        if create_graph:
            ds = node._op.partials(VALUES, node, *parents)
        else:
            ds = node._op.partials(FLOATS, node.data, *[p.data for p in parents])
        _check_arity(node, ds)
        for i, (p, d) in enumerate(zip(parents, ds)):
            contribution = d * g
            if check and not math.isfinite(getattr(contribution, "data", contribution)):
                raise AnomalyError(
                    f"backward of {node._op}", [q.data for q in parents],
                    f"the gradient flowing to input {i} is {contribution!r}", node.site,
                )
            p.grad = p.grad + contribution


def _check_arity(node: Value, ds: object) -> None:
    if not isinstance(ds, tuple) or len(ds) != len(node._prev):
        got = len(ds) if isinstance(ds, tuple) else type(ds).__name__
        raise RuleError(
            f"the rule for {node._op!r} returned {got} partials for {len(node._prev)} inputs"
        )


def _run(order: list[Value], seed: object, create_graph: bool) -> list:
    """Sweep with fresh accumulators; returns the grads that were in the nodes before."""
    saved = [n.grad for n in order]
    for n in order:
        n.grad = 0.0
    order[-1].grad = seed
    try:
        if create_graph or value_module._anomaly:
            _sweep_general(order, create_graph, check=value_module._anomaly)
        else:
            _sweep_floats(order)
    except BaseException as exc:
        for n, old in zip(order, saved):
            n.grad = old
        raise _explain(order, exc) from exc
    return saved


def _explain(order: list[Value], exc: BaseException) -> BaseException:
    """Turn a failure inside a rule into an error that names the op and its inputs."""
    if isinstance(exc, (OpError, RuleError)) or not isinstance(exc, Exception):
        return exc
    node, wrong_arity = _failing_node(order)
    if node is None:
        return exc
    op = node._op
    inputs = [p.data for p in node._prev]
    if not isinstance(op, Op):
        return RuleError(
            f"no derivative rule for op {op!r}: it is not in the primitive table "
            "(autograd.primitives.TABLE); build the node from Value operations instead"
        )
    if wrong_arity:
        return RuleError(f"the rule for {op!r} returned the wrong number of partials "
                         f"for {len(inputs)} inputs")
    kind = {ZeroDivisionError: DivisionByZero, OverflowError: NumericOverflow}
    cls = next((v for k, v in kind.items() if isinstance(exc, k)), DomainError)
    return cls(f"backward of {op}", inputs, f"the derivative is not finite here ({exc})")


def _failing_node(order: list[Value]) -> tuple[Value | None, bool]:
    """The node whose rule failed, from the output back, and whether it gave the wrong arity."""
    for node in reversed(order):
        if not node._prev:
            continue
        op = node._op
        if not isinstance(op, Op):
            return node, False
        try:
            ds = op.partials(FLOATS, node.data, *[p.data for p in node._prev])
        except (ArithmeticError, ValueError, TypeError, AttributeError):
            return node, False
        if not isinstance(ds, tuple) or len(ds) != len(node._prev):
            return node, True
    return None, False


def backward(root: Value, gradient: float = 1.0) -> None:
    """Add d root / d node (times ``gradient``) to the ``grad`` of every node ``root`` depends on."""
    if not isinstance(root, Value):
        raise TypeError(f"backward: expected a Value, got {type(root).__name__}")
    from .scalar import as_float

    order = topological_order(root)
    saved = _run(order, as_float(gradient, "backward"), create_graph=False)
    for n, old in zip(order, saved):
        if old:
            n.grad += old


def grad(
    output: Value,
    inputs: Value | Sequence[Value],
    create_graph: bool = False,
) -> list:
    """d output / d input for each input, leaving every ``.grad`` untouched (``torch.autograd.grad``).

    Returns a list of floats, or with ``create_graph=True`` a list of ``Value`` s
    that are themselves differentiable (for second derivatives and Hessians).
    An input that ``output`` does not depend on gets 0.0. A single ``Value``
    as ``inputs`` is treated as a one-element list.
    """
    if not isinstance(output, Value):
        raise TypeError(f"grad: output must be a Value, got {type(output).__name__}")
    if isinstance(inputs, Value):
        inputs = [inputs]
    inputs = list(inputs)
    for x in inputs:
        if not isinstance(x, Value):
            raise TypeError(f"grad: inputs must be Values, got {type(x).__name__}")
    order = topological_order(output)
    seed = _leaf(1.0) if create_graph else 1.0
    saved = _run(order, seed, create_graph)
    reached = set(order)
    zero = (lambda: _leaf(0.0)) if create_graph else (lambda: 0.0)
    result = [x.grad if x in reached else zero() for x in inputs]
    for n, old in zip(order, saved):
        n.grad = old
    return result
