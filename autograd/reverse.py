"""Reverse mode: ``backward()`` and ``grad()``, both running the one sweep of ``autograd.sweep``.

The sweep goes over the topological order, from the output back to the
leaves; at each node the primitive table gives the local partials d_i, and
each parent receives ``d_i * node.grad``. The sweep uses each node's ``grad`` slot
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
import operator
from collections.abc import Sequence
from typing import Any

from . import sweep
from . import value as value_module
from .errors import AnomalyError, DivisionByZero, DomainError, NumericOverflow, OpError, RuleError
from .graph import topological_order
from .primitives import FLOATS, Op
from .sweep import Watcher
from .value import Value, _leaf


def _anomaly_watch(node: Value, ds: tuple, g: Any) -> None:
    """Under ``detect_anomaly()``: the first non-finite contribution raises, naming the op."""
    for i, d in enumerate(ds):
        contribution = d * g
        if not math.isfinite(getattr(contribution, "_data", contribution)):
            raise AnomalyError(
                f"backward of {node._op}", [q._data for q in node._prev],
                f"the gradient flowing to input {i} is {contribution!r}", node.site,
            )


def _run(order: list[Value], seed: float | Value, create_graph: bool,
         watch: Watcher | None = None) -> list:
    """Sweep with fresh accumulators; returns the grads that were in the nodes before.

    A float sweep holds the forward pass's rule: a seed that is not finite is
    refused up front, and a gradient that finite data and a finite incoming
    gradient made inf or nan is a ``NumericOverflow`` naming the op
    (``_check_finite``). On any error every ``.grad`` is restored.
    (With ``create_graph`` every product and sum of the sweep is itself a
    ``Value`` operation, which raises under the same rule.)
    """
    # stale data (VersionError), float gradients while tracing; and whether detect_anomaly() is on
    anomaly = value_module._before_backward(order, create_graph)
    if not create_graph and not math.isfinite(float(seed)):  # a float sweep has a float seed
        raise ValueError(f"backward: the gradient to start from must be finite, got {seed!r}")
    saved = [n.grad for n in order]
    for n in order:
        n.grad = 0.0
    order[-1].grad = seed
    if watch is None and anomaly:
        watch = _anomaly_watch
    try:
        sweep.reverse(order, create_graph, watch)
        if not create_graph:
            _check_finite(order, float(seed))
    except BaseException as exc:
        for n, old in zip(order, saved, strict=True):
            n.grad = old
        error = _explain(order, exc)
        if error is exc:
            raise
        raise error from exc
    return saved


_grad_of = operator.attrgetter("grad")


def _check_finite(order: list[Value], seed: float) -> None:
    """After a float sweep: a ``NumericOverflow`` if finite inputs gave a non-finite gradient.

    One sum tells whether any grad is inf or nan, as those propagate through a
    sum (inf + -inf is nan: still caught), at the cost of one pass in C. Only
    when it is not finite does a second, checking sweep (``_first_overflow``)
    look for the step to blame. Grads made non-finite by non-finite data (a
    forward pass that had an inf or nan input) are no error, as in the forward
    pass; a sum of finite grads that overflows costs the second sweep and
    raises nothing.
    """
    if math.isfinite(sum(map(_grad_of, order))):
        return
    error = _first_overflow(order, seed)
    if error is not None:
        raise error


class _Blame(Exception):
    """Stops the checking sweep at the step to blame, carrying its error."""

    def __init__(self, error: NumericOverflow) -> None:
        super().__init__(str(error))
        self.error = error


def _first_overflow(order: list[Value], seed: float) -> NumericOverflow | None:
    """Rerun the sweep, watching each step; the error for the first finite step gone non-finite.

    A step is node -> parent i: ``parent.grad += d_i * node.grad``. It is to
    blame when the node's data, its inputs' data, its incoming grad and the
    parent's grad before the step are all finite, and the grad after is not.
    """
    isfinite = math.isfinite

    def blame(node: Value, ds: tuple, g: float) -> None:
        xs = [p._data for p in node._prev]
        if not (isfinite(g) and isfinite(node._data) and all(map(isfinite, xs))):
            return
        for e in sweep.reverse_edges(node, ds, g):
            if isfinite(e.before) and not isfinite(e.after):
                if isfinite(e.contribution):
                    reason = (f"adding {e.contribution!r} to input {e.arg}'s gradient "
                              f"{e.before!r} gives {e.after!r}")
                else:
                    reason = (f"the gradient flowing to input {e.arg} is {e.contribution!r} "
                              f"(partial {e.partial!r} times incoming gradient {g!r})")
                raise _Blame(NumericOverflow(f"backward of {node._op}", xs, reason))

    for n in order:
        n.grad = 0.0
    order[-1].grad = seed
    try:
        sweep.reverse(order, False, blame)
    except _Blame as found:
        return found.error
    return None


def run_fresh(order: list[Value], gradient: float, watch: Watcher | None = None) -> list[float]:
    """The float sweep from ``order[-1]`` on fresh accumulators; every ``.grad`` is left as found.

    Returns the gradients it computed, parallel to ``order`` (what ``grad()``
    reads off, and what a watcher saw being built).
    """
    from .scalar import as_float

    saved = _run(order, as_float(gradient, "backward"), create_graph=False, watch=watch)
    result = [n.grad for n in order]
    for n, old in zip(order, saved, strict=True):
        n.grad = old
    return result


def _explain(order: list[Value], exc: BaseException) -> BaseException:
    """Turn a failure inside a rule into an error that names the op and its inputs."""
    if isinstance(exc, (OpError, RuleError)) or not isinstance(exc, Exception):
        return exc
    node, wrong_arity = _failing_node(order)
    if node is None:
        return exc
    op = node._op
    inputs = [p._data for p in node._prev]
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
            ds = op.partials(FLOATS, node._data, *[p._data for p in node._prev])
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
    for n, old in zip(order, saved, strict=True):
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
    for n, old in zip(order, saved, strict=True):
        n.grad = old
    return result
